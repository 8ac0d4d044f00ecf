"""curate: audit, gate and clean fine-tuning data, then train LoRA adapters on what passed."""

import os as _os

__version__ = "0.1.0"

# Nothing curate runs may phone home. onnxruntime >= 1.29 sends telemetry from Linux too (a DNS
# query for mobile.events.data.microsoft.com, events queued under ~/.cache/Microsoft/DeveloperTools/)
# unless ORT_DISABLE_TELEMETRY=1 is set before the library initialises; the runtime API
# (`onnxruntime.disable_telemetry_events()`) comes too late for the process-info event. Set here,
# before any import path (optimum, sentence-transformers' ONNX backend, curate.embed) can load it.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
_os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


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
