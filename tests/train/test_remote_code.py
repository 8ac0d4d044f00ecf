"""A model folder that ships its own Python code is not run without --trust-remote-code, and says so."""

from __future__ import annotations

import json

import pytest
from tiny_models import tiny_tokenizer

from curate.errors import CurateError
from train.model import load_base


def test_custom_code_without_trust_is_a_clear_error_and_the_code_never_runs(tmp_path):
    m = tmp_path / "model"
    m.mkdir()
    tiny_tokenizer().save_pretrained(m)
    (m / "config.json").write_text(json.dumps({"model_type": "curate_custom", "auto_map": {
        "AutoConfig": "configuration_x.XConfig", "AutoModelForSequenceClassification": "modeling_x.XModel"}}))
    for f in ("configuration_x.py", "modeling_x.py"):
        (m / f).write_text("raise SystemExit('the model code ran')\n")
    with pytest.raises(CurateError) as e:
        load_base(str(m), "classification", ["a", "b"])
    assert "--trust-remote-code was not given" in e.value.message and "trust" in e.value.fix
