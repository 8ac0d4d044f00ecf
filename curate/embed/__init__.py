"""Embedding audits: embeddings (encode), topics and the long tail, reference coverage, drift,
semantic duplicates/leakage, label issues, and the SVG pictures for the report.

Importing `curate.embed.checks` registers the stages and checks.
"""
