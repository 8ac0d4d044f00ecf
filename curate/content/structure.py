"""Structure of a fine-tuning record: fields present, chat turns in a valid order, no template tokens.

Stage `structure` (row-local) writes:
    structure_issues  list of {code, field, detail}: `empty_field` (instruction/text empty),
                      `empty_turn` (a non-final chat turn is empty), `system_not_first`,
                      `role_order` (two user or two assistant turns in a row, or a chat that starts
                      with the assistant), `no_final_answer` (the chat ends on a user turn).
                      An empty *final answer* is left to the `answers` stage (`answer_defect=empty`).
    template_leaks    list of {field, token}: chat-template special tokens inside content
                      (`<|im_start|>`, `[INST]`, `<start_of_turn>`...). Such records teach the model
                      to emit control tokens as text; fenced code blocks are not scanned (an answer
                      that explains chat templates may quote them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.stages import register_stage

# Special tokens of the common chat templates (ChatML, Llama 2/3, Gemma, Mistral, Phi, Zephyr).
TEMPLATE_TOKEN_RE = re.compile(
    r"<\|(?:im_start|im_end|im_sep|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|end_of_text|"
    r"user|assistant|system|end|eom_id|python_tag|fim_prefix|fim_middle|fim_suffix)\|>"
    r"|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>|<bos>|<eos>|<pad>"
    # <s> is also the HTML strikethrough tag: only count it at the very start of a text or before [INST]
    # (HTML quoted inside a code block is not scanned at all)
    r"|^\s*<s>|<s>(?=\s*\[INST\])|</s>"
)
FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.S)


@dataclass
class StructureConfig:
    min_prompt_chars: int = 1  # a prompt/instruction/text shorter than this (after strip) is `empty_field`


def _issue(code: str, field: str, detail: str) -> dict:
    return {"code": code, "field": field, "detail": detail}


def chat_issues(messages: list[dict], fields: list[dict]) -> list[dict]:
    """Role-order and empty-turn problems of one chat, each naming the turn."""
    out: list[dict] = []
    fields = [f for f in fields if not f.get("alternative")]  # a rejected answer is not a turn of the chat
    names = [f["name"] for f in fields] if len(fields) == len(messages) else [f"messages.{i}" for i in range(len(messages))]
    prev = None
    for i, (m, name) in enumerate(zip(messages, names)):
        role = m["role"]
        if role == "system":
            if i != 0:
                out.append(_issue("system_not_first", name, f"system turn at position {i}, not first"))
        elif role == "tool":
            if prev not in ("assistant", "tool"):
                out.append(_issue("role_order", name, f"tool turn {i} does not follow an assistant turn"))
        elif prev in (None, "system") and role == "assistant":
            out.append(_issue("role_order", name, f"turn {i} is assistant before any user turn"))
        elif role == prev and role in ("user", "assistant"):
            out.append(_issue("role_order", name, f"turn {i} is {role} after {role}"))
        if not m["content"].strip() and not (role == "assistant" and i == len(messages) - 1):
            out.append(_issue("empty_turn", name, f"{role} turn {i} is empty"))
        prev = role
    last = messages[-1]["role"] if messages else None
    if last != "assistant" and last != "tool":
        out.append(_issue("no_final_answer", names[-1] if names else "messages",
                          f"the chat ends on a {last} turn, so there is no answer to train on"))
    return out


def template_leaks(fields: list[dict]) -> list[dict]:
    out = []
    for f in fields:
        text = FENCE_RE.sub(" ", f["text"]) if "```" in f["text"] else f["text"]
        for m in TEMPLATE_TOKEN_RE.finditer(text):
            out.append({"field": f["name"], "token": m.group(0).strip()})
            break  # one per field is enough evidence
    return out


def record_issues(fmt: str, messages: list[dict], fields: list[dict], cfg: StructureConfig) -> list[dict]:
    if fmt == "chat":
        return chat_issues(messages, fields)
    out = []
    user_fields = [f for f in fields if f["role"] == "user"]
    if user_fields and len(user_fields[0]["text"].strip()) < cfg.min_prompt_chars:
        f = user_fields[0]
        out.append(_issue("empty_field", f["name"], f"'{f['name']}' is empty"))
    return out


@register_stage("structure", config=StructureConfig, columns=("structure_issues", "template_leaks"), row_local=True)
def structure(batch: dict[str, list], *, config: StructureConfig) -> dict[str, list]:
    """Required fields, chat role order, empty turns and leaked chat-template tokens."""
    issues, leaks = [], []
    for fmt, messages, fields in zip(batch["format"], batch["messages"], batch["fields"]):
        issues.append(record_issues(fmt, messages or [], fields or [], config))
        leaks.append(template_leaks(fields or []))
    return {"structure_issues": issues, "template_leaks": leaks}
