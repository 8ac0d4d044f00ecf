"""The `curate` command line. Run `curate --help`, or `curate SUBCOMMAND --help`.

Exit codes: 0 success / gate passed, 1 gate failed, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import contextlib
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


VERBOSE_HELP = "show third-party progress bars, warnings and log messages (hidden by default)"


def build_parser() -> argparse.ArgumentParser:
    from curate import __version__

    parser = argparse.ArgumentParser(prog="curate", description="Audit, gate and clean fine-tuning data; "
                                     "then train and evaluate LoRA adapters on data that passed.")
    parser.add_argument("--version", action="version", version=f"curate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMANDS:
        importlib.import_module(mod).add_parser(sub)
    for p in set(sub.choices.values()):  # `curate audit DATA --verbose` as well as `curate --verbose audit DATA`
        if "--verbose" not in p._option_string_actions:
            # SUPPRESS: a subcommand's default must not undo a --verbose given before it
            p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


@contextlib.contextmanager
def quiet_third_party(verbose: bool = False):
    """Keep the terminal for curate's own progress and verdict: no library progress bars, warnings or log chatter.

    Entered before any command module is imported, since tqdm reads TQDM_DISABLE and transformers
    reads TRANSFORMERS_VERBOSITY once, at import. `--verbose` leaves everything as the libraries set
    it; a value the user set in the environment is kept. On leaving, the process is as it was (the
    CLI runs in-process in tests and notebooks).
    """
    if verbose:
        yield
        return
    import logging
    import warnings

    env = {"TQDM_DISABLE": "1",  # every tqdm bar: transformers' "Loading weights", datasets' map, ours
           "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
           "TRANSFORMERS_VERBOSITY": "error",
           "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
           "PYTHONWARNINGS": "ignore"}  # worker processes (--num-proc) start with it
    added = [k for k in env if k not in os.environ]
    os.environ.update({k: env[k] for k in added})
    root = logging.getLogger()
    level = root.level
    # Libraries log through the root logger (onnxruntime.quantization's "Please consider to run
    # pre-processing before quantization" is a bare logging.warning) or through loggers that defer
    # to it (presidio-analyzer); curate says what it has to say through its own console.
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's FutureWarnings, spaCy's W0xx, presidio's deprecations
            yield
    finally:
        root.setLevel(level)
        for k in added:
            os.environ.pop(k, None)


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
    argv = sys.argv[1:] if argv is None else list(argv)
    # known before parsing: building the parser imports the commands, and they import libraries
    options = argv[: argv.index("--")] if "--" in argv else argv
    verbose = "--verbose" in options or "-v" in options
    with quiet_third_party(verbose):
        return _main(argv)


def _main(argv) -> int:
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
