"""Audit outputs: audit.json (machines), signals.parquet, report.html (people), report.md (PRs, CI logs)."""

from curate.report.write import audit_json, write_outputs

__all__ = ["audit_json", "write_outputs"]
