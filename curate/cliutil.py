"""Helpers shared by the subcommands: loading options, the console, JSON output."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

# Outside a terminal (CI logs, pipes) rich would wrap tables at 80 columns; logs read better wider.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)


def add_load_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("loading (detected when not given)")
    g.add_argument("--format", choices=["alpaca", "prompt_completion", "chat", "classification", "text"],
                   help="record format")
    g.add_argument("--text-field", help="text column (classification/text)")
    g.add_argument("--label-field", help="label column (classification)")
    g.add_argument("--prompt-field", help="prompt/instruction column")
    g.add_argument("--response-field", help="answer/output/completion column")
    g.add_argument("--messages-field", help="chat turns column")
    g.add_argument("--id-field", help="record id column ('none': number records by position)")
    g.add_argument("--split", help="which split of a multi-split JSON file or dataset directory")
    g.add_argument("--encoding", default="utf-8", help="file encoding (default utf-8)")
    g.add_argument("--skip-invalid", action="store_true",
                   help="move invalid records to a quarantine file instead of stopping")


def load_from_args(args, path=None, *, quiet=False):
    from curate.load import load_dataset

    return load_dataset(path or args.data, format=args.format, text_field=args.text_field,
                        label_field=args.label_field, prompt_field=args.prompt_field,
                        response_field=args.response_field, messages_field=args.messages_field,
                        id_field=args.id_field, split=args.split, encoding=args.encoding,
                        skip_invalid=args.skip_invalid)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
