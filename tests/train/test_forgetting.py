"""The bundled general text and the general-set loader."""

from __future__ import annotations

import pytest

from curate.errors import CurateError
from train.forgetting import default_general_file, load_general


def test_bundled_general_text_is_varied_prose():
    texts, labels, name = load_general(None, cap=10_000)
    assert name == "general_text.txt" and labels is None
    assert len(texts) >= 100
    sentences = sum(t.count(". ") + 1 for t in texts)
    assert sentences >= 300
    assert len(set(texts)) == len(texts)  # no repeated passages


@pytest.mark.parametrize("content,suffix,expect_labels", [
    pytest.param("one passage\n\nanother passage\n", ".txt", False, id="txt-skips-blank-lines"),
    pytest.param('{"text": "hi there", "label": "greet"}\n{"text": "bye now", "label": "leave"}\n', ".jsonl", True,
                 id="labelled-dataset"),
])
def test_load_general_formats(tmp_path, content, suffix, expect_labels):
    p = tmp_path / f"g{suffix}"
    p.write_text(content)
    texts, labels, _ = load_general(p)
    assert len(texts) == 2 and (labels is not None) == expect_labels


@pytest.mark.parametrize("content", [pytest.param(None, id="missing"), pytest.param("\n \n", id="empty")])
def test_load_general_errors(tmp_path, content):
    p = tmp_path / "g.txt"
    if content is not None:
        p.write_text(content)
    with pytest.raises(CurateError, match="general-text file"):
        load_general(p)


def test_default_file_ships_in_package_resources():
    assert default_general_file().parent.name == "resources"
