"""The `curate` command line. Run `curate --help`, or `curate SUBCOMMAND --help`.

Exit codes: 0 success / gate passed, 1 gate failed, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

# Subcommand modules in the order `--help` lists them (see curate/commands/__init__.py).
COMMANDS = [
    "curate.commands.inspect",
    "curate.commands.dedup",
    "curate.commands.audit",
    "curate.commands.clean",
    "curate.commands.select",
    "curate.commands.gaps",
    "curate.commands.augment",
    "curate.commands.split",
    "curate.commands.checks",
    "curate.commands.train",
    "curate.commands.eval",
    "curate.commands.runs",
    "curate.commands.cache",
    "curate.commands.drift",
]


def build_parser() -> argparse.ArgumentParser:
    from curate import __version__

    parser = argparse.ArgumentParser(prog="curate", description="Audit, gate and clean fine-tuning data; "
                                     "then train and evaluate LoRA adapters on data that passed.")
    parser.add_argument("--version", action="version", version=f"curate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMANDS:
        importlib.import_module(mod).add_parser(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM (a job scheduler's stop, `kill`): leave the way Ctrl-C does, with a word and exit 143."""


def _on_sigterm(signum, frame):
    raise Terminated()


def report_error(e, console) -> None:
    """Print a CurateError. Its text holds the user's own values (file names, roles, fields) which may
    contain `[red]` or `[/b]`: they are printed literally, never read as rich markup."""
    from rich.text import Text

    console.print(Text.assemble(("error:", "bold red"), " ", e.message), soft_wrap=True)
    if e.fix:
        console.print(Text.assemble("  ", ("fix:", "bold"), " ", e.fix), soft_wrap=True)


def main(argv=None) -> int:
    # presidio's URL recognizer would fetch the public-suffix list through tldextract; the bundled
    # copy is enough, and nothing in curate may touch the network at run time.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from curate.cliutil import err_console
    from curate.errors import CurateError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.run(args) or 0)
    except CurateError as e:
        report_error(e, err_console)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        return 130
    except Terminated:
        err_console.print("terminated (SIGTERM): stopped before finishing; outputs are written whole or not at all, "
                          "a training run continues with --resume from its last checkpoint", markup=False)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
