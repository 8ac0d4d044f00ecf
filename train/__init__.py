"""Gated LoRA training and evaluation: data -> model -> loop -> evaluate."""
