"""Helpers shared by the subcommands: loading options, the console, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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


def check_out_dir(out, *, flag: str = "--out"):
    """Refuse an output folder that cannot be used, before any work is done: a file, or a place we cannot write.

    Nothing is created: the nearest existing folder is probed with a temporary file that is removed.
    """
    import tempfile
    from pathlib import Path

    from curate.errors import CurateError

    p = Path(out)
    if p.exists() and not p.is_dir():
        raise CurateError(f"{flag} {out}: this is a file, not a folder",
                          fix=f"pass a folder for {flag} (it is created when missing)")
    anc = p
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise CurateError(f"{flag} {out}: {anc} is a file, so no folder can be made under it",
                          fix=f"pass a folder path for {flag}")
    try:
        with tempfile.TemporaryFile(dir=anc):
            pass
    except OSError as e:
        raise CurateError(f"{flag} {out}: cannot write in {anc} ({e.strerror or e})",
                          fix=f"pass a {flag} folder you can write to") from None
    return p


def refuse_overwrite(targets, *, inputs=(), earlier_run: str | None = None, flag: str = "--out") -> None:
    """Never write over an input file, nor over output an earlier run left (a quarantine is the only copy).

    `targets`: the paths this command would write. `inputs`: files and folders it read.
    `earlier_run`: what the command calls an existing target that is not an input ('an earlier clean'),
    or None when overwriting earlier output is fine (output derived again from inputs that still exist).
    """
    from pathlib import Path

    from curate.errors import CurateError

    read = {Path(i).resolve(): str(i) for i in inputs if i and Path(i).exists()}
    for t in targets:
        t = Path(t)
        if t.resolve() in read:
            raise CurateError(f"{flag}: writing {t} would overwrite the input {read[t.resolve()]}",
                              fix=f"pass a {flag} folder other than the input's own")
    if earlier_run:
        existing = [str(t) for t in targets if Path(t).exists()]
        if existing:
            raise CurateError(f"{flag}: {', '.join(existing)} already exist(s) ({earlier_run}); "
                              "writing again would replace them and lose what they hold",
                              fix=f"pass a new {flag} folder, or move the earlier output away first")


OUT_ROOT = "curate-out"


def default_out_dir(ds) -> Path:
    """./curate-out/<safe file stem>-<first 8 hex of the data's fingerprint>/: where a command's outputs go by default.

    The fingerprint hashes the records, so two projects' `train.csv` never share (and overwrite) a
    folder, while auditing the same data again writes to the same place. The stem is sanitized: a
    file name can hold PII (export_jane@example.org.jsonl).
    """
    from curate.report.sanitize import safe_name

    return Path(OUT_ROOT) / f"{safe_name(ds.name)}-{ds.fingerprint[:8]}"


def set_aside_invalid(ds, path=None):
    """Write the records --skip-invalid skipped (with where and why) and say how many: never dropped silently.

    `path`: where (default invalid.jsonl in `default_out_dir(ds)`, where `curate inspect` and `curate audit` write them too).
    """
    from curate.load import write_invalid

    if not ds.invalid:
        return None
    q = write_invalid(ds, path or default_out_dir(ds) / "invalid.jsonl")
    err_console.print(f"{len(ds.invalid)} invalid record(s) of {ds.path} skipped (--skip-invalid), with reasons: {q}",
                      style="yellow", markup=False, soft_wrap=True)
    return q
