"""Unanswerable prompts: each reason with its matching span, and prompts that must stay answerable."""

from __future__ import annotations

import pytest

from curate.content.prompts import PromptsConfig, declared_tools, unanswerable
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


# --- the whole record is read (issue 13 item 3) ---

@pytest.mark.parametrize("prompt, data, reason, span", [
    ("Transcribe the recording into text.", "", "audio_video", "Transcribe the recording"),
    ("Summarise this video in three bullet points.", "", "audio_video", "this video"),
    ("What is said in the audio clip?", "", "audio_video", "audio clip"),
    ("Summarize this article.", "https://www.bbc.com/news/world-123", "link", "bbc.com"),
    ("Modify the following JavaScript code to log the value of x multiplied by 3.", "", "missing_content",
     "following JavaScript code"),
    ("Find the median of the list below.", "", "missing_content", "list below"),
    ("Write a function that sorts the list below.", "", "missing_content", "list below"),
    ("Given the text, what is the main idea?", "", "missing_content", "Given the text"),
], ids=["transcribe-recording", "summarise-video", "said-in-audio-clip", "link-as-input", "code-with-a-number",
        "list-below-empty", "code-task-points-below", "given-the-text"])
def test_unanswerable_with_the_record(prompt, data, reason, span):
    found = unanswerable(prompt, PromptsConfig(), data=data)
    assert found is not None and found[0] == reason and span in found[1]


@pytest.mark.parametrize("prompt, before, data", [
    ("Explain the meaning of this song: Yesterday, all my troubles seemed so far away, now it looks as though "
     "they are here to stay", "", ""),
    ("Sort this list: 3, 1, 2", "", ""),
    ("Calculate the mean of the following list\n\n[2, 4, 5, 9, 14]", "", ""),
    ("Use the given data to calculate the median.", "", "1, 4, 2, 8, 5"),
    ("Edit the given code to include a loop.", "", "x = 0"),
    ("Sort the list above in descending order.", "Here is my list: 5, 3, 9, 1", ""),
    ("What is said in the audio clip?", "", "Transcript: Alice: we should leave at nine. Bob: fine, I will bring "
     "the car and the maps."),
    ("Summarize the dialogue.", "", "#Person1#: Listen to this!\n#Person2#: Here is a picture of my dog.\n#Person1#: Cute."),
    ("#Person1#: Listen to this song.\n#Person2#: Here is a picture of my dog.\n#Person1#: Look at this photo.", "", ""),
    ("Translate into French: 'Please see the attached file before the meeting.'", "", ""),
    ("Write a Python function to find the mode of the given list of numbers.", "", ""),
    ("Given a list of numbers, find the first pair that adds up to 7.", "", ""),
    ("Write a script that fetches data from https://api.example.com/data and prints it.", "", ""),
    ("Update the following code so the link will open in a new tab.", "",
     '<a href="https://example.com">Visit my website</a>'),
    ("Create a Visual Basic program that prints the input string reversed.", "", ""),
    ("Reserve the following table of 3x2 dimension in C.", "", ""),
    ("Design an image classifier for handwritten digits in Python.", "", ""),
    ("You are a science-fiction author. Create a vivid picture of the planet's landscape.", "", ""),
    ("Categorize the task: classification, retrieval or editing.", "", "Reformat the following code from python to java"),
], ids=["song-with-lyrics", "short-list", "list-in-next-line", "given-data-in-input", "given-code-in-input",
        "list-in-earlier-turn", "audio-with-transcript", "dialogue-in-input", "dialogue-is-prompt", "quoted-attached",
        "code-task-given-list", "given-a-list", "code-task-url", "url-inside-html", "visual-basic", "size-given-inline", "image-classifier",
        "vivid-picture-in-words", "reference-inside-input-data"])
def test_answerable_with_the_record(prompt, before, data):
    assert unanswerable(prompt, PromptsConfig(), before=before, data=data) is None


@pytest.mark.parametrize("text, tools", [
    ("You have access to the following tools:\nrequest(url): fetch a web page", {"web"}),
    ('{"tools": [{"type": "function", "function": {"name": "browse_page", "parameters": {"url": {"type": "string"}}}}]}', {"web"}),
    ("Tools available: read_file(path) returns the file's text.", {"file"}),
    ('{"name": "request", "parameters": {"type": "object", "properties": {"url": {"type": "string"}}}}', {"web"}),
    ("You have a tool `request(url)` that returns the page content. Use it when needed.", {"web"}),
    ("Write a function that calls fetch(url)", {"web"}),  # harmless: a code task is answerable anyway
    ("Summarize https://example.com/a", set()),
], ids=["request-url", "json-schema", "read-file", "bare-function-schema", "tool-in-prose", "code-mention", "no-tools"])
def test_declared_tools(text, tools):
    assert declared_tools(text) == tools


def test_record_level_tools_input_and_dialogue(tmp_path):
    tools = "You are an agent. You have access to the following tools:\nrequest(url): returns the page at url."
    rows = [
        chat("What does https://example.com/pricing say about refunds?", OK, system=tools, rid="tool"),
        chat("What does https://example.com/pricing say about refunds?", OK, rid="no-tool"),
        {"id": "input", "instruction": "Use the given data to calculate the median.", "input": "3, 9, 4, 1", "output": "3.5"},
        {"id": "empty-input", "instruction": "Use the given data to calculate the median.", "input": "", "output": "3.5"},
    ]
    chats = dataset(tmp_path, rows[:2], "chat.jsonl")
    res = run_check("max_unanswerable_prompts", chats, signals(chats, ["prompts"]))
    assert res.flagged == ["no-tool"] and res.evidence["no-tool"].startswith("link:")
    alp = dataset(tmp_path, rows[2:], "alpaca.jsonl")
    res = run_check("max_unanswerable_prompts", alp, signals(alp, ["prompts"]))
    assert res.flagged == ["empty-input"] and "given data" in res.evidence["empty-input"]
