"""The `curate` command line. Run `curate --help`, or `curate SUBCOMMAND --help`.

Exit codes: 0 success / gate passed, 1 gate failed, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Subcommand modules in the order `--help` lists them (see curate/commands/__init__.py).
COMMANDS = [
    "curate.commands.inspect",
    "curate.commands.dedup",
    "curate.commands.audit",
    "curate.commands.clean",
    "curate.commands.select",
    "curate.commands.gaps",
    "curate.commands.split",
    "curate.commands.checks",
    "curate.commands.train",
    "curate.commands.eval",
    "curate.commands.runs",
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
    try:
        return int(args.run(args) or 0)
    except CurateError as e:
        from rich.markup import escape  # file names and values from the user's data are printed literally

        err_console.print(f"[bold red]error:[/bold red] {escape(e.message)}", markup=True, soft_wrap=True)
        if e.fix:
            err_console.print(f"  [bold]fix:[/bold] {escape(e.fix)}", soft_wrap=True)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
