"""Chat turns -> canonical messages and fields, for chat records and for preference pairs.

A turn is `{role, content}` (or ShareGPT's `{from, value}`). OpenAI tool calling adds two kinds:
an assistant turn with `content: null` and `tool_calls: [{function: {name, arguments}}]` (or the
older `function_call`), and a `role: tool` turn holding the tool's result. A tool call becomes the
turn's text as `name(arguments)`, so every check reads it like any other answer; its `arguments`
string is listed as a field (`messages.2.tool_calls.0.function.arguments`) so PII scrubbing and
text repair write back into the call itself.
"""

from __future__ import annotations

import json

ROLE_ALIASES = {"system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant",
                "bot": "assistant", "model": "assistant", "chatgpt": "assistant", "tool": "tool", "function": "tool",
                "ipython": "tool", "developer": "system"}


class InvalidRecord(Exception):
    """One record that does not fit its format; the message says what and how to fix it."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(problem)


def text_value(value, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise InvalidRecord(f"field '{name}' is missing or null", f"give '{name}' a string value (\"\" if it is really empty)")
    raise InvalidRecord(f"field '{name}' is a {type(value).__name__} ({str(value)[:40]}), not a string",
                        f"store '{name}' as a string (quote it)")


def parse_turns(turns, base: str, role_key: str, content_key: str) -> list[tuple[dict, list[dict]]]:
    """[(message {role, content}, its fields [{name, role, text}])] for the list of turns at `base`."""
    if not isinstance(turns, list) or not turns:
        what = "missing" if turns is None else "an empty list" if turns == [] else f"a {type(turns).__name__}"
        raise InvalidRecord(f"'{base}' is {what}, not a list of {{{role_key}, {content_key}}} turns",
                            f"write '{base}' as [{{\"{role_key}\": \"user\", \"{content_key}\": \"...\"}}, ...]")
    out = []
    for i, t in enumerate(turns):
        calls = _calls(t, base, i) if isinstance(t, dict) else []
        if not isinstance(t, dict) or role_key not in t or (content_key not in t and not calls):
            raise InvalidRecord(f"{base}[{i}] is not a {{{role_key}, {content_key}}} object: {str(t)[:60]!r}",
                                f"give every turn a '{role_key}' and a '{content_key}'")
        role = ROLE_ALIASES.get(str(t[role_key]).lower())
        if role is None:
            raise InvalidRecord(f"{base}[{i}] has unknown role {t[role_key]!r}",
                                "use system, user, assistant or tool (human/gpt/bot/model/function are mapped too)")
        content, parts, fields = t.get(content_key), [], []
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not calls or content not in (None, ""):  # a tool-call turn's text is its calls
            content = text_value(content, f"{base}[{i}].{content_key}")
            parts.append(content)
            fields.append({"name": f"{base}.{i}.{content_key}", "role": role, "text": content})
        for path, name, args in calls:
            if isinstance(args, str):
                fields.append({"name": f"{path}.arguments", "role": role, "text": args})
            else:  # arguments stored as an object: checked as JSON text, not a field fixes can write into
                args = json.dumps(args, ensure_ascii=False)
            parts.append(f"{name}({args})")
        out.append(({"role": role, "content": "\n".join(parts)}, fields))
    return out


def _calls(t: dict, base: str, i: int) -> list[tuple[str, str, object]]:
    """[(path of the function object, function name, arguments)] of an OpenAI tool-call turn."""
    if t.get("tool_calls"):
        raw = t["tool_calls"]
        if not isinstance(raw, list):
            raise InvalidRecord(f"{base}[{i}].tool_calls is a {type(raw).__name__}, not a list",
                                'write tool_calls as [{"type": "function", "function": {"name": ..., "arguments": "..."}}]')
        items = [(f"{base}.{i}.tool_calls.{j}.function", c.get("function") if isinstance(c, dict) else None)
                 for j, c in enumerate(raw)]
    elif t.get("function_call"):
        items = [(f"{base}.{i}.function_call", t["function_call"])]
    else:
        return []
    out = []
    for path, fn in items:
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            where = path.removeprefix(f"{base}.{i}.").replace(".function", "")
            raise InvalidRecord(f"{base}[{i}].{where} has no function name: {str(fn)[:60]!r}",
                                'give every tool call a function {"name": ..., "arguments": "..."}')
        out.append((path, fn["name"], fn.get("arguments") if fn.get("arguments") is not None else ""))
    return out
