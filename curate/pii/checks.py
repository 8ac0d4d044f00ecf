"""PII checks over the `pii_spans` signal. Evidence shows type, field and a masked form, never
the value: no raw PII may reach a report or a log (tests/pii/test_checks.py greps for it)."""

from __future__ import annotations

import re
from collections import Counter

from curate.checks.registry import CheckResult, register_check, rate_check
from curate.pii import detect  # noqa: F401  (registers the "pii" stage these checks need)
from curate.pii.scrub import mask_value

EVIDENCE_SPANS = 3  # spans shown per flagged record
# What the checks count unless a rule lists `entities`: everything the stage finds except LOCATION.
# A country or city name alone identifies nobody, and en_core_web_sm tags them in most support
# chats ("a hotel in Germany"); a street address is STREET_ADDRESS and is counted.
CHECKED_BY_DEFAULT = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS",
                      "STREET_ADDRESS", "URL", "API_KEY", "PRIVATE_KEY", "PASSWORD", "DATE_TIME", "NRP")


def _entity_types() -> list[str]:
    from curate.pii.detect import ALL_ENTITIES

    return list(ALL_ENTITIES)


def _roles() -> list[str]:
    from curate.load.formats import ROLE_ALIASES

    return sorted(set(ROLE_ALIASES.values()))


# a misspelt entity type or role would select nothing and pass the gate: the rules loader checks these
CHOICES = {"entities": _entity_types, "roles": _roles}


def field_group(name: str) -> str:
    """messages.3.content -> messages.*.content: one row per field kind in the report table."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)", "*", name)


def _records_by_id(ctx) -> dict:
    ds = getattr(ctx, "dataset", None)
    return {r["id"]: r for r in ds.records} if ds is not None else {}


def _select(spans, roles_of: dict, *, entities, roles) -> list[dict]:
    entities = CHECKED_BY_DEFAULT if entities is None else entities
    return [s for s in spans or [] if s["entity_type"] in entities
            and (not roles or roles_of.get(s["field"]) in roles)]


def _scan(signals, ctx, *, entities, roles):
    """Per record: its selected spans and the evidence line; plus the type x field table."""
    recs = _records_by_id(ctx)
    chosen, evidence = [], []
    spans_by = Counter()
    records_by: dict[tuple, set] = {}
    for rid, spans in zip(signals["id"], signals["pii_spans"]):
        rec = recs.get(rid, {"fields": []})
        roles_of = {f["name"]: f["role"] for f in rec["fields"]}
        texts = {f["name"]: f["text"] for f in rec["fields"]}
        sel = _select(spans, roles_of, entities=entities, roles=roles)
        chosen.append(sel)
        parts = []
        for s in sel:
            key = (s["entity_type"], field_group(s["field"]), roles_of.get(s["field"], "?"))
            spans_by[key] += 1
            records_by.setdefault(key, set()).add(rid)
        for s in sel[:EVIDENCE_SPANS]:
            text = texts.get(s["field"])
            shown = mask_value(text[s["start"]:s["end"]], s["entity_type"]) if text is not None else "(masked)"
            parts.append(f"{s['entity_type']} in {s['field']} ({roles_of.get(s['field'], '?')}): {shown}")
        if len(sel) > EVIDENCE_SPANS:
            parts.append(f"+{len(sel) - EVIDENCE_SPANS} more")
        evidence.append("; ".join(parts))
    table = [{"entity_type": t, "field": f, "role": r, "spans": n, "records": len(records_by[(t, f, r)])}
             for (t, f, r), n in sorted(spans_by.items(), key=lambda kv: (-kv[1], kv[0]))]
    by_type = Counter()
    for (t, _, _), n in spans_by.items():
        by_type[t] += n
    return chosen, evidence, {"table": table, "by_entity_type": dict(by_type.most_common())}


@register_check("require_no_pii_in_answers", needs=("pii",), fix="scrub_pii", choices={"entities": _entity_types})
def require_no_pii_in_answers(signals, ctx, *, max_count: int = 0, entities: list | None = None) -> CheckResult:
    """At most `max_count` records carry PII in an assistant answer (the model learns to emit it).

    `entities`: the types that count (default: all but LOCATION, see CHECKED_BY_DEFAULT)."""
    chosen, evidence, details = _scan(signals, ctx, entities=entities, roles=("assistant",))
    ids = [rid for rid, sel in zip(signals["id"], chosen) if sel]
    n = len(signals)
    return CheckResult(value=len(ids), passed=n > 0 and len(ids) <= max_count, threshold=max_count, flagged=ids,
                       evidence={rid: ev for rid, ev, sel in zip(signals["id"], evidence, chosen) if sel},
                       details=details,
                       message=f"{len(ids)} of {n} records have PII in an assistant answer (max {max_count})")


@register_check("max_pii_rate", needs=("pii",), fix="scrub_pii", choices=CHOICES)
def max_pii_rate(signals, ctx, *, max_rate: float = 0.01, entities: list | None = None,
                 roles: list | None = None) -> CheckResult:
    """At most `max_rate` of records contain PII in any field (or only in `roles`, e.g. [user])."""
    chosen, evidence, details = _scan(signals, ctx, entities=entities, roles=roles)
    res = rate_check(signals, [bool(s) for s in chosen], evidence, max_rate=max_rate,
                     message="contain PII" + (f" in {'/'.join(roles)} fields" if roles else ""))
    res.details = details
    return res
