"""The gate in front of training: find the audit of exactly this data (by fingerprint) or run it.

An audit is `audit.json` as `curate audit DATA --out DIR` writes it: `dataset.fingerprint`,
`rules_digest`, `gate.passed`, `gate.failed_rules`. The fingerprint hashes the canonical records, so
an audit of the same data in another file layout still counts, and an audit of yesterday's edit
does not. The rules digest hashes the resolved rule set, so an audit that passed lenient rules does
not open the gate for `--rules strict`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import CurateError

SEARCH_GLOB = "curate-out/*/audit.json"


@dataclass
class GateResult:
    audit_path: str | None  # the audit.json that decided (None: none found and the gate was overridden)
    passed: bool | None  # None: no audit at all
    failed_rules: list[str] = field(default_factory=list)  # one readable line per failed rule


def read_audit(path) -> tuple[str, bool, list[str]]:
    """(fingerprint, passed, failed rule lines) of one audit.json."""
    fp, passed, failed, _ = read_audit_full(path)
    return fp, passed, failed


def read_audit_full(path) -> tuple[str, bool, list[str], str | None]:
    """(fingerprint, passed, failed rule lines, rules digest or None for an audit that predates it)."""
    path = Path(path)
    try:
        a = json.loads(path.read_text())
        fp = a["dataset"]["fingerprint"]
        passed = bool(a["gate"]["passed"])
        failed = a["gate"].get("failed_rules") or []
        details = {r.get("rule"): r for r in a.get("rules") or [] if isinstance(r, dict)}
        digest = a.get("rules_digest")
    except FileNotFoundError:
        raise CurateError(f"{path}: no such audit file", fix="pass the audit.json that `curate audit` wrote") from None
    except (ValueError, KeyError, TypeError) as e:
        raise CurateError(f"{path}: not an audit.json from `curate audit` (missing or bad {e})",
                          fix="re-run `curate audit DATA --out DIR` and pass DIR/audit.json") from None
    return fp, passed, [_rule_line(details.get(r, r) if isinstance(r, str) else r) for r in failed], digest


def _rule_line(rule) -> str:
    """'max_pii_rate: value 0.04 > threshold 0.01, 12 records flagged' from the audit's rule entry."""
    if not isinstance(rule, dict):
        return str(rule)
    line = str(rule.get("rule") or rule.get("name") or rule.get("check") or "?")
    if rule.get("error"):
        return f"{line}: the check crashed ({str(rule['error']).splitlines()[-1][:120]})"
    bits = [f"{k} {rule[k]}" for k in ("value", "threshold") if rule.get(k) is not None]
    if rule.get("flagged"):
        bits.append(f"{rule['flagged']} records flagged")
    return line + (": " + ", ".join(bits) if bits else "") + (f" ({rule['message']})" if rule.get("message") else "")


def rules_digest(rules) -> tuple[str, str]:
    """(rules file, digest of its resolved rules) for a rules name or path."""
    from curate.rules import load_rules

    rs = load_rules(rules)
    return rs.path, rs.digest


def find_audit(fingerprint: str, explicit=None, root: Path = Path("."), *, rules=None, log=print) -> Path | None:
    """The explicit audit (which must match), else the newest matching ./curate-out/*/audit.json.

    `rules`: the rules the audit must have been made with (None: any, for an explicit audit only;
    an audit found by searching must match `rules` or the default rules).
    """
    if explicit:
        fp, _, _, digest = read_audit_full(explicit)
        if fp != fingerprint:
            raise CurateError(f"{explicit} audits different data (fingerprint {fp[:12]}..., this data is "
                              f"{fingerprint[:12]}...)", fix="re-run `curate audit` on the file you are training on")
        if rules is not None:
            path, want = rules_digest(rules)
            if digest != want:
                raise CurateError(f"{explicit} was made with other rules than --rules {rules} ({path})"
                                  + ("" if digest else "; it records no rules digest (an older curate)"),
                                  fix=f"run `curate audit DATA --rules {rules}` and pass its audit.json, "
                                      "or drop --rules to gate on the audit as it is")
        return Path(explicit)
    path, want = rules_digest(rules or "default")
    hits = []
    for p in sorted(root.glob(SEARCH_GLOB)):
        try:
            fp, _, _, digest = read_audit_full(p)
        except CurateError:
            continue  # someone else's broken file is not our audit
        if fp != fingerprint:
            continue
        if digest != want:
            log(f"not gating on {p}: it audits this data with other rules than {path}")
            continue
        hits.append(p)
    return max(hits, key=lambda p: p.stat().st_mtime) if hits else None


def run_audit_now(ds, out_dir: Path, rules: str = "default", log=print, progress=None) -> Path:
    """Run `curate audit` through its Python API and write its outputs where `find_audit` looks."""
    from curate.audit import run_audit
    from curate.progress import as_progress
    from curate.report.write import write_outputs

    log(f"no audit of {ds.path} yet: running `curate audit --rules {rules}` into {out_dir}")
    progress = as_progress(progress)
    result = run_audit(ds, rules=rules, progress=progress)
    progress.phase("report", total=None)
    write_outputs(result, out_dir)
    progress.close()  # the audit is over: training logs follow on a terminal free of its bars
    return Path(out_dir) / "audit.json"


def check_gate(ds, *, audit=None, rules: str | None = None, allow_failed: bool = False, log=print,
               progress=None) -> GateResult:
    """Find or run the audit of `ds` with `rules` (None: default; with an explicit `audit`, any rules);
    a failed or missing gate is an error unless `allow_failed`. `progress` (curate.progress) hears the audit's phases."""
    path = find_audit(ds.fingerprint, audit, rules=rules, log=log)
    if path is None:
        from curate.cliutil import default_out_dir

        out = default_out_dir(ds)  # where `curate audit DATA` writes, so the next search finds it
        if (out / "audit.json").exists():  # an audit of this data with other rules lives there: keep it
            out = out.with_name(f"{out.name}.rules-{rules_digest(rules or 'default')[1][:8]}")
        path = run_audit_now(ds, out, rules or "default", log, progress=progress)
    if path is None:
        if not allow_failed:
            raise CurateError(f"{ds.path}: no audit of this data found (fingerprint {ds.fingerprint[:12]}...; "
                              f"looked in ./{SEARCH_GLOB})",
                              fix=f"run `curate audit {ds.path}` first, pass --audit PATH, or --allow-failed-gate")
        log("WARNING: training WITHOUT an audit (--allow-failed-gate); this is recorded in run.json")
        return GateResult(None, None)
    _, passed, failed = read_audit(path)
    if not passed and allow_failed:
        log(f"WARNING: the gate FAILED ({path}) and --allow-failed-gate overrides it; recorded in run.json:")
        for line in failed:
            log(f"  - {line}")
    return GateResult(str(path), passed, failed)
