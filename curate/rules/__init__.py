"""Rules: YAML files that name registered checks, their severity and thresholds; and the gate."""

from curate.rules.gate import RuleOutcome, evaluate_rules, gate_summary
from curate.rules.load import Rule, RuleSet, load_rules, resolve_rules_path

__all__ = ["Rule", "RuleSet", "load_rules", "resolve_rules_path", "RuleOutcome", "evaluate_rules", "gate_summary"]
