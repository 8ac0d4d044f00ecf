"""curate: audit, gate and clean fine-tuning data, then train LoRA adapters on what passed."""

__version__ = "0.1.0"
