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
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path

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
    def digest(self) -> str:
        """sha256 of the resolved rules (check, severity, parameters, stage settings), not of the file's text:
        the train gate trusts an audit only when it was made with the same rules."""
        import hashlib
        import json

        doc = {"rules": [[r.name, r.check, r.severity, r.params] for r in self.rules],
               "stages": {k: dataclasses.asdict(v) for k, v in sorted(self.stage_configs.items())}}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def stages_needed(self) -> list[str]:
        """The stages the rules' checks need, and the stages those read from, each after what it reads."""
        from curate.checks import CHECKS
        from curate.engine.graph import plan

        leaves: list[str] = []
        for r in self.rules:
            for s in CHECKS[r.check].needs:
                if s not in leaves:
                    leaves.append(s)
        return plan(leaves)


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
    if typ in (list, tuple) or origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if typ is dict or origin is dict:
        return isinstance(value, dict)
    if typ is float:  # .nan and .inf are YAML floats, but no threshold compares sensibly with them
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ) if isinstance(typ, type) else True


def _type_name(typ) -> str:
    return getattr(typ, "__name__", None) or str(typ).replace("typing.", "")


def _not_type(value, typ) -> str:
    """' = nan is not a float' reads wrong: a NaN or infinity is called what it is."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_show(value)} is not a finite number (.nan and .inf compare false with everything)"
    return f"{_show(value)} is not a {_type_name(typ)}"


def _show(value) -> str:
    """A value from the user's file as it reads in an error message (short, literal)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _choice_problems(where: str, key: str, value, allowed: tuple) -> list[str]:
    """Every value of an enumerated parameter that the check does not know, each with a suggestion."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in items:
        if v not in allowed:
            hint = did_you_mean(str(v).upper(), allowed) or did_you_mean(str(v).lower(), allowed) or did_you_mean(v, allowed)
            part = [a for a in allowed if len(str(v)) >= 3 and str(v).lower() in str(a).lower()]
            if not hint and len(part) == 1:  # EMAIL -> EMAIL_ADDRESS: too short for difflib, but only one fits
                hint = f"; did you mean '{part[0]}'?"
            out.append(f"{where}: parameter '{key}' has unknown value {_show(v)}{hint} "
                       f"(it takes: {', '.join(map(str, allowed))})")
    return out


def _hashable_name(value) -> bool:
    return isinstance(value, str) and bool(value)


def load_rules(rules: str | Path | None = None) -> RuleSet:
    from curate.checks import load_all
    from curate.engine.graph import inherited_fields
    from curate.stages import load_stages
    from curate.yamlfile import read_yaml

    STAGES = load_stages()

    checks = load_all()
    path = resolve_rules_path(rules)
    doc = read_yaml(path, what="the rules file")
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ConfigError(path, [f"expected a mapping with a 'rules:' list at the top, got {type(doc).__name__}"],
                          fix="start the file with `rules:` followed by a list of `- check: ...` entries")
    for k in doc:
        if k not in TOP_KEYS:
            problems.append(f"unknown top-level key {_show(k)}{did_you_mean(k, TOP_KEYS)}")
    stage_configs = {}
    raw_stages = doc.get("stages") or {}
    if not isinstance(raw_stages, dict):
        problems.append(f"'stages:' must be a mapping of stage name -> parameters, not a {type(raw_stages).__name__} "
                        f"(e.g. stages: {{dedup: {{threshold: 0.8}}}})")
        raw_stages = {}
    for sname, sparams in raw_stages.items():
        stage = STAGES.get(sname) if isinstance(sname, str) else None
        if stage is None:
            problems.append(f"stages: unknown stage {_show(sname)}{did_you_mean(sname, STAGES)}")
            continue
        if not isinstance(sparams or {}, dict):
            problems.append(f"stages.{sname}: parameters must be a mapping, not {_show(sparams)}")
            continue
        fields = {f.name: f for f in dataclasses.fields(stage.config)}
        hints = typing.get_type_hints(stage.config)
        upstream = inherited_fields(stage, STAGES)
        ok = {}
        for k, v in (sparams or {}).items():
            if k in upstream:  # one value for every stage that reads the producer's output (one embedding model)
                problems.append(f"stages.{sname}.{k}: set by the '{upstream[k]}' stage, whose output {sname} reads; "
                                f"write it once under stages: {{{upstream[k]}: {{{k}: {_show(v)}}}}}")
            elif k not in fields:
                problems.append(f"stages.{sname}: unknown parameter {_show(k)}{did_you_mean(k, fields)}")
            elif not _type_ok(v, hints.get(k)):
                problems.append(f"stages.{sname}.{k}: {_not_type(v, hints.get(k))}")
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
            problems.append(f"{where}: expected a mapping with 'check' and 'severity', got {_show(r)}")
            continue
        cname = r.get("check")
        if cname is not None and not _hashable_name(cname):
            problems.append(f"{where}: 'check' must be one check name, not {_show(cname)}; "
                            "write one rule per check")
            continue
        where = f"rule {i} ({cname})" if cname else where
        for k in r:
            if k not in RULE_KEYS:
                problems.append(f"{where}: unknown key {_show(k)}{did_you_mean(k, RULE_KEYS)}")
        severity = r.get("severity")
        if not isinstance(severity, str) or severity not in SEVERITIES:
            problems.append(f"{where}: severity {_show(severity)} must be one of {', '.join(SEVERITIES)}"
                            + (did_you_mean(severity, SEVERITIES) if isinstance(severity, str) else ""))
        if cname not in checks:
            problems.append(f"{where}: unknown check {_show(cname)}{did_you_mean(cname, checks)}" if cname
                            else f"{where}: 'check:' is missing; every rule needs one")
            continue
        check = checks[cname]
        spec = check.params
        raw_params = r.get("params")
        if raw_params is not None and not isinstance(raw_params, dict):
            problems.append(f"{where}: params must be a mapping of name: value, not {_show(raw_params)} "
                            f"(e.g. params: {{{next(iter(spec), 'max_rate')}: ...}})")
            raw_params = {}
        params = dict(raw_params or {})
        for key in ("role", "field"):
            if key in r:
                params[key] = r[key]
        for k, v in params.items():
            if k not in spec:
                problems.append(f"{where}: unknown parameter {_show(k)}{did_you_mean(k, spec)}"
                                + (f" (it takes: {', '.join(spec)})" if spec else " (it takes none)"))
            elif not _type_ok(v, spec[k][0]):
                problems.append(f"{where}: parameter '{k}' = {_not_type(v, spec[k][0])}")
            elif v is not None and check.allowed(k) is not None:
                problems += _choice_problems(where, k, v, check.allowed(k))
        name = r.get("name") or cname
        if not isinstance(name, str):
            problems.append(f"{where}: 'name' must be a string, not {_show(name)}")
            name = str(name)
        if name in names:
            problems.append(f"{where}: rule name '{name}' is used twice; give one of them a 'name:'")
        names.add(name)
        out.append(Rule(name, cname, str(severity), params, str(r.get("description") or "")))
    if problems:
        raise ConfigError(path, problems)
    return RuleSet(str(path), out, stage_configs)
