"""Record formats: detect which one a file uses and map each row to the canonical schema.

Canonical record (one dict per record, the same for every format):
    id        str   the record's own id field if it has one, else its position
    format    str   alpaca | prompt_completion | chat | classification | text
    prompt    str   what the user sends (instruction + real input; user turns joined)
    response  str   what the model should answer ("" for classification/text)
    label     str   the class label (classification), else None
    messages  list  [{role, content}] (alpaca and prompt/completion become one user+assistant turn)
    fields    list  [{name, role, text}] every text field, `name` being its path in the original
                    row (`output`, `messages.3.content`) so findings and fixes point back to it
    empty_input_marker  str|None  an Alpaca input such as "<noinput>" that means "no input"
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from curate.errors import CurateError, DataError, did_you_mean

FORMATS = ("alpaca", "prompt_completion", "chat", "classification", "text")
ID_FIELDS = ("id", "_id", "uuid", "uid", "record_id", "example_id", "fname")
TEXT_FIELDS = ("text", "full_text", "sentence", "utterance", "query", "question", "content", "review", "input")
LABEL_FIELDS = ("label", "labels", "category", "intent", "class", "target", "topic_label")
PAIR_FIELDS = (("prompt", "completion"), ("prompt", "response"), ("question", "answer"), ("query", "response"),
               ("dialogue", "summary"), ("document", "summary"), ("input", "output"), ("source", "target"))
CHAT_FIELDS = ("messages", "conversations", "conversation", "dialog")
ROLE_ALIASES = {"system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant",
                "bot": "assistant", "model": "assistant", "chatgpt": "assistant", "tool": "tool", "function": "tool",
                "ipython": "tool", "developer": "system"}
# Markers the Alpaca family uses for "this instruction has no input" (Alpaca-cleaned documents them)
EMPTY_INPUT_MARKERS = {"", "<noinput>", "<no input>", "no input", "no input.", "noinput", "n/a", "none", "null",
                       "<none>", "nan", "-", "no input required", "no input required."}


@dataclass
class FieldMapping:
    format: str
    id_field: str | None = None  # None: ids are positions
    text_field: str | None = None  # classification / text
    label_field: str | None = None
    prompt_field: str | None = None  # alpaca: instruction; prompt/completion: prompt
    input_field: str | None = None  # alpaca only
    response_field: str | None = None
    messages_field: str | None = None  # chat
    role_key: str = "role"
    content_key: str = "content"
    detected: bool = True  # False when flags chose it

    def describe(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v is not None and k != "detected"}
        if self.format != "chat":
            d.pop("role_key"), d.pop("content_key")
        return d


def detect(path, rows: list[dict], *, overrides: dict) -> FieldMapping:
    """Choose a format and field mapping from the rows' keys; flags in `overrides` win."""
    keys: dict[str, int] = {}
    for r in rows[:200]:
        for k in r:
            keys[k] = keys.get(k, 0) + 1
    available = list(keys)
    for flag, name in overrides.items():
        if flag.endswith("_field") and name and name not in keys and not (flag == "id_field" and name == "none"):
            raise DataError(path, None, f"--{flag.replace('_', '-')} '{name}' is not a column{did_you_mean(name, available)}",
                            fix=f"the columns are: {', '.join(available)}")
    fmt = overrides.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise CurateError(f"unknown --format '{fmt}'{did_you_mean(fmt, FORMATS)}", fix=f"choose one of: {', '.join(FORMATS)}")
    id_field = overrides.get("id_field") or next((k for k in ID_FIELDS if k in keys), None)
    if id_field == "none":
        id_field = None
    m = _guess(rows, keys, fmt, overrides)
    if m is None:
        raise DataError(path, None, f"cannot tell the record format from the columns ({', '.join(available)})",
                        fix="pass --format (" + ", ".join(FORMATS) + ") and the fields, e.g. --text-field review --label-field stars")
    m.id_field = id_field
    m.detected = not any(overrides.values())
    return m


def _pick(overrides, flag, keys, candidates):
    if overrides.get(flag):
        return overrides[flag]
    return next((c for c in candidates if c in keys), None)


def _guess(rows, keys, fmt, ov) -> FieldMapping | None:
    messages = _pick(ov, "messages_field", keys, CHAT_FIELDS)
    if fmt in (None, "chat") and messages:
        first = next((r[messages] for r in rows if isinstance(r.get(messages), list) and r[messages]), None)
        role_key, content_key = "role", "content"
        if first and isinstance(first[0], dict) and "from" in first[0]:
            role_key, content_key = "from", "value"
        if fmt == "chat" or first is not None or messages in keys:
            return FieldMapping("chat", messages_field=messages, role_key=role_key, content_key=content_key)
    if fmt == "chat":
        return None
    if fmt in (None, "alpaca") and (ov.get("prompt_field") or "instruction" in keys):
        prompt = ov.get("prompt_field") or "instruction"
        response = _pick(ov, "response_field", keys, ("output", "response", "answer", "completion"))
        if response:
            return FieldMapping("alpaca", prompt_field=prompt, input_field="input" if "input" in keys else None,
                                response_field=response)
    if fmt in (None, "prompt_completion"):
        for p, c in PAIR_FIELDS:
            p, c = ov.get("prompt_field") or p, ov.get("response_field") or c
            if p in keys and c in keys:
                return FieldMapping("prompt_completion", prompt_field=p, response_field=c)
    text = _pick(ov, "text_field", keys, TEXT_FIELDS)
    label = _pick(ov, "label_field", keys, LABEL_FIELDS)
    if fmt in (None, "classification") and text and label:
        return FieldMapping("classification", text_field=text, label_field=label)
    if fmt in (None, "text") and text:
        return FieldMapping("text", text_field=text)
    return None


class InvalidRecord(Exception):
    """One record that does not fit its format; the message says what and how to fix it."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(problem)


def _text(value, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise InvalidRecord(f"field '{name}' is missing or null", f"give '{name}' a string value (\"\" if it is really empty)")
    raise InvalidRecord(f"field '{name}' is a {type(value).__name__} ({str(value)[:40]}), not a string",
                        f"store '{name}' as a string (quote it)")


def canonical(row: dict, m: FieldMapping, position: int) -> dict:
    """Map one raw row to the canonical schema, or raise InvalidRecord."""
    rid = str(row.get(m.id_field)) if m.id_field and row.get(m.id_field) not in (None, "") else str(position)
    rec = {"id": rid, "format": m.format, "prompt": "", "response": "", "label": None, "messages": [],
           "fields": [], "empty_input_marker": None}
    if m.format == "chat":
        turns = row.get(m.messages_field)
        if not isinstance(turns, list) or not turns:
            what = "missing" if turns is None else "an empty list" if turns == [] else f"a {type(turns).__name__}"
            raise InvalidRecord(f"'{m.messages_field}' is {what}, not a list of {{{m.role_key}, {m.content_key}}} turns",
                                f"write '{m.messages_field}' as [{{\"{m.role_key}\": \"user\", \"{m.content_key}\": \"...\"}}, ...]")
        for i, t in enumerate(turns):
            if not isinstance(t, dict) or m.role_key not in t or m.content_key not in t:
                raise InvalidRecord(f"{m.messages_field}[{i}] is not a {{{m.role_key}, {m.content_key}}} object: {str(t)[:60]!r}",
                                    f"give every turn a '{m.role_key}' and a '{m.content_key}'")
            role = ROLE_ALIASES.get(str(t[m.role_key]).lower())
            if role is None:
                raise InvalidRecord(f"{m.messages_field}[{i}] has unknown role {t[m.role_key]!r}",
                                    "use system, user or assistant (human/gpt/bot/model are mapped too)")
            content = t[m.content_key]
            if isinstance(content, list):  # OpenAI content parts: keep the text ones
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
            content = _text(content, f"{m.messages_field}[{i}].{m.content_key}")
            rec["messages"].append({"role": role, "content": content})
            rec["fields"].append({"name": f"{m.messages_field}.{i}.{m.content_key}", "role": role, "text": content})
        rec["prompt"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "user")
        rec["response"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "assistant")
    elif m.format in ("alpaca", "prompt_completion"):
        prompt = _text(row.get(m.prompt_field), m.prompt_field)
        response = _text(row.get(m.response_field), m.response_field)
        rec["fields"].append({"name": m.prompt_field, "role": "user", "text": prompt})
        if m.input_field and row.get(m.input_field) is not None:
            inp = _text(row.get(m.input_field), m.input_field)
            rec["fields"].append({"name": m.input_field, "role": "user", "text": inp})
            if inp.strip().lower() in EMPTY_INPUT_MARKERS:
                rec["empty_input_marker"] = inp if inp.strip() else None
            else:
                prompt = f"{prompt}\n\n{inp}"
        rec["fields"].append({"name": m.response_field, "role": "assistant", "text": response})
        rec["prompt"], rec["response"] = prompt, response
        rec["messages"] = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    else:
        text = _text(row.get(m.text_field), m.text_field)
        rec["prompt"] = text
        rec["fields"].append({"name": m.text_field, "role": "user", "text": text})
        if m.format == "classification":
            label = row.get(m.label_field)
            if isinstance(label, (list, dict)) or label is None or (isinstance(label, str) and not label.strip()):
                raise InvalidRecord(f"label field '{m.label_field}' is {'empty' if not label else type(label).__name__}",
                                    f"give every record one label in '{m.label_field}'")
            rec["label"] = str(label).strip()
    return rec
