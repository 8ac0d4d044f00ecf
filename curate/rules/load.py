"""Load and validate a rules file. Every problem is reported at once, before anything runs.

A rules file:

    # curate audit DATA --rules audit_rules/default.yaml
    stages:                      # optional: parameters of the stages that compute signals
      dedup: {threshold: 0.8}
    rules:
      - check: max_near_duplicate_rate   # a registered check (`curate checks` lists them)
        severity: error                  # error blocks the gate, warn reports and flags, info only informs
        params: {max_rate: 0.01}         # the check's parameters (thresholds)
        role: assistant                  # optional, for checks that take a role or field
        name: near_dups                  # optional, to use one check twice
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from curate.errors import ConfigError, CurateError, did_you_mean

RULES_DIR = Path(__file__).resolve().parents[2] / "audit_rules"
SEVERITIES = ("error", "warn", "info")
RULE_KEYS = ("check", "severity", "params", "role", "field", "name", "description")
TOP_KEYS = ("rules", "stages")


@dataclass
class Rule:
    name: str
    check: str
    severity: str
    params: dict = field(default_factory=dict)
    description: str = ""


@dataclass
class RuleSet:
    path: str
    rules: list[Rule]
    stage_configs: dict  # stage name -> config dataclass instance

    @property
    def stages_needed(self) -> list[str]:
        from curate.checks import CHECKS

        out: list[str] = []
        for r in self.rules:
            for s in CHECKS[r.check].needs:
                if s not in out:
                    out.append(s)
        return out


def resolve_rules_path(rules: str | Path | None) -> Path:
    """A path, or the name of a file in audit_rules/ ('strict' -> audit_rules/strict.yaml)."""
    if rules is None:
        rules = "default"
    p = Path(rules)
    if p.exists():
        return p
    named = RULES_DIR / (p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml")
    if not p.parent.parts or p.parent == Path(".") or p.parent == RULES_DIR:
        if named.exists():
            return named
    shipped = sorted(x.stem for x in RULES_DIR.glob("*.yaml"))
    raise CurateError(f"rules file '{rules}' not found{did_you_mean(p.stem, shipped)}",
                      fix=f"pass a YAML path, or one of the shipped rule sets: {', '.join(shipped)}")


def _type_ok(value, typ) -> bool:
    if typ is None or typ is typing.Any:
        return True
    origin = typing.get_origin(typ)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_type_ok(value, t) for t in typing.get_args(typ))
    if typ is type(None):
        return value is None
    if origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin is dict:
        return isinstance(value, dict)
    if typ is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ) if isinstance(typ, type) else True


def _type_name(typ) -> str:
    return getattr(typ, "__name__", None) or str(typ).replace("typing.", "")


def load_rules(rules: str | Path | None = None) -> RuleSet:
    from curate.checks import load_all
    from curate.stages import STAGES

    checks = load_all()
    path = resolve_rules_path(rules)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(path, [f"not valid YAML: {e}"]) from None
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ConfigError(path, ["expected a mapping with a 'rules:' list at the top"])
    for k in doc:
        if k not in TOP_KEYS:
            problems.append(f"unknown top-level key '{k}'{did_you_mean(k, TOP_KEYS)}")
    stage_configs = {}
    for sname, sparams in (doc.get("stages") or {}).items():
        stage = STAGES.get(sname)
        if stage is None:
            problems.append(f"stages: unknown stage '{sname}'{did_you_mean(sname, STAGES)}")
            continue
        fields = {f.name: f for f in dataclasses.fields(stage.config)}
        hints = typing.get_type_hints(stage.config)
        ok = {}
        for k, v in (sparams or {}).items():
            if k not in fields:
                problems.append(f"stages.{sname}: unknown parameter '{k}'{did_you_mean(k, fields)}")
            elif not _type_ok(v, hints.get(k)):
                problems.append(f"stages.{sname}.{k}: {v!r} is not a {_type_name(hints.get(k))}")
            else:
                ok[k] = v
        stage_configs[sname] = stage.config(**ok)
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("'rules:' must be a non-empty list of rules")
        raw_rules = []
    out, names = [], set()
    for i, r in enumerate(raw_rules, start=1):
        where = f"rule {i}"
        if not isinstance(r, dict):
            problems.append(f"{where}: expected a mapping with 'check' and 'severity', got {r!r}")
            continue
        cname = r.get("check")
        where = f"rule {i} ({cname})" if cname else where
        for k in r:
            if k not in RULE_KEYS:
                problems.append(f"{where}: unknown key '{k}'{did_you_mean(k, RULE_KEYS)}")
        severity = r.get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{where}: severity {severity!r} must be one of {', '.join(SEVERITIES)}"
                            + did_you_mean(severity, SEVERITIES))
        if cname not in checks:
            problems.append(f"{where}: unknown check '{cname}'{did_you_mean(cname, checks)}"
                            + ("" if cname else "; every rule needs 'check:'"))
            continue
        spec = checks[cname].params
        params = dict(r.get("params") or {})
        if not isinstance(r.get("params") or {}, dict):
            problems.append(f"{where}: params must be a mapping")
            params = {}
        for key in ("role", "field"):
            if key in r:
                params[key] = r[key]
        for k, v in params.items():
            if k not in spec:
                problems.append(f"{where}: unknown parameter '{k}'{did_you_mean(k, spec)}"
                                + (f" (it takes: {', '.join(spec)})" if spec else " (it takes none)"))
            elif not _type_ok(v, spec[k][0]):
                problems.append(f"{where}: parameter '{k}' = {v!r} is not a {_type_name(spec[k][0])}")
        name = str(r.get("name") or cname)
        if name in names:
            problems.append(f"{where}: rule name '{name}' is used twice; give one of them a 'name:'")
        names.add(name)
        out.append(Rule(name, cname, str(severity), params, str(r.get("description") or "")))
    if problems:
        raise ConfigError(path, problems)
    return RuleSet(str(path), out, stage_configs)
