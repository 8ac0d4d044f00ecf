"""Unanswerable prompts: each reason with its matching span, and prompts that must stay answerable."""

from __future__ import annotations

import pytest

from curate.content.prompts import PromptsConfig, unanswerable
from content_helpers import chat, dataset, run_check, signals

OK = "You can do that in the app under Settings."


@pytest.mark.parametrize("prompt, reason, span", [
    ("I attached a screenshot of the error, what does it mean?", "attachment", "I attached"),
    ("Why does the image below show a declined payment?", "image", "image below"),
    ("Describe the image.", "image", "Describe the image"),
    ("I left you a voice message about this yesterday", "audio_video", "voice message"),
    ("Please summarize https://example.com/news/123", "link", "https://example.com/news/123"),
    ("Summarize the following article.", "missing_content", "the following article"),
    ("As shown in the table above, why was I charged twice?", "missing_content", "table above"),
    ("Classify this tweet as positive or negative.", "missing_content", "this tweet"),
    ("Can you look up today's exchange rate for me?", "browse", "look up today"),
    ("Search the web for the best savings account", "browse", "Search the web"),
    ("Draw a picture of a cat wearing a hat", "image_generation", "Draw a picture"),
    ("Thanks! Can you create an image of my dog?", "image_generation", "create an image"),
    ("Generate a logo for my bakery", "image_generation", "Generate a logo"),
], ids=["attachment", "image-below", "describe-image", "voice", "link", "following-article", "table-above",
        "this-tweet", "look-up", "search-web", "draw", "can-you-create", "logo"])
def test_unanswerable_reason_and_span(prompt, reason, span):
    found = unanswerable(prompt, PromptsConfig())
    assert found is not None and found[0] == reason and span in found[1]


@pytest.mark.parametrize("prompt", [
    "What is the capital of France?",
    "Summarize the following article:\n\nBanks raised rates today after inflation came in higher than expected.",
    "Rewrite this sentence in passive voice: The dog chased the cat around the yard.",
    "Generate a description of an image of a sunset for alt text.",
    "Explain this code:\n\ndef f(x):\n    return x * 2\n",
    "How do I freeze my card?",
    "Sansa is a famous artist, she can draw a portrait and sell it for $5. How much does she earn from 3?",
    "Toby has 63 photos on his camera roll and 3 friends in the photo. How many photos are left?",
    "Summarize:\n#Person1#: I know how to send a letter but not the attachment.\n#Person2#: I listen to the news.",
], ids=["question", "article-given", "sentence-given", "image-description", "code-given", "support",
        "word-problem-draw", "word-problem-photo", "dialogue-mentions"])
def test_answerable_prompts_not_flagged(prompt):
    assert unanswerable(prompt, PromptsConfig()) is None


def test_check_fail_pass_and_single_record(tmp_path):
    ds = dataset(tmp_path, [chat("Summarize the following article.", OK, rid="u"), chat("How do I freeze my card?", OK, rid="ok")])
    res = run_check("max_unanswerable_prompts", ds, signals(ds, ["prompts"]))
    assert not res.passed and res.flagged == ["u"] and res.evidence["u"].startswith("missing_content:")
    assert res.details["by_reason"] == {"missing_content": 1}
    one = dataset(tmp_path, [chat("How do I freeze my card?", OK)], "one.jsonl")
    assert run_check("max_unanswerable_prompts", one, signals(one, ["prompts"])).passed
