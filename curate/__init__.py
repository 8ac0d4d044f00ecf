"""curate: audit, gate and clean fine-tuning data, then train LoRA adapters on what passed."""

__version__ = "0.1.0"


def audit(data, *, eval=(), reference=None, rules=None, out=None, **load_kwargs):
    """Audit a dataset like `curate audit`; returns an AuditResult (`.passed`, `.signals` DataFrame).

    With `out`, the report files are written there too.
    """
    from curate.audit import run_audit

    result = run_audit(data, eval=eval, reference=reference, rules=rules, load_kwargs=load_kwargs)
    if out is not None:
        from curate.report import write_outputs

        write_outputs(result, out)
    return result
