"""Executors: how stages run. `parallel.py` spreads a row-local stage over local processes."""
