"""Token counts without transformers, where they are proven to be the same: `fast_tokenizer(path)`.

Loading the Gemma 3 tokenizer through AutoTokenizer took ~8 s of CPU per process (importing
transformers and torch, then rebuilding the 262k-vocabulary backend). The same counts come from
`tokenizers.Tokenizer.from_file(tokenizer.json)` (~1-2 s) and the chat template compiled once with
transformers' Jinja settings -- but only where both are what transformers builds: transformers 5
rebuilds some backends from the vocabulary (its own normalizer, pre-tokenizer, special-token
handling), so a tokenizer.json is not always what it counts with. So the first load of a tokenizer
directory also loads it through transformers and compares: the backend (its full serialisation), the
template, the special tokens, and a probe of texts and chats counted and rendered both ways. The
verdict is kept under $CURATE_CACHE_DIR/models/tokenizer-checks, keyed by the directory's files, this
module's source and the versions of transformers, tokenizers and jinja2; a directory that differs
always uses transformers. Used by the `lengths` stage (curate/content/lengths.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from curate.atomic import discard, publish, tmp_path


def auto_tokenizer(path: str):
    """transformers' AutoTokenizer for `path` (OSError/ValueError when there is none)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


_PROBE_TEXTS = ["Hello, world!  Two  spaces,\ttab\nnewline\n\n\nand more.", " leading space", "trailing ",
                "", "<bos><start_of_turn>user\nhi<end_of_turn>\n<eos><pad><unk>", "naïve café — 東京 😀 \u00a0",
                "def f(x):\n    return x ** 2  # code\r\n", "<|user|>\nhi\n<|assistant|>\n", "[CLS] [SEP] [MASK]"]
_PROBE_CHATS = [
    [{"role": "user", "content": " What is 2+2? \n"}, {"role": "assistant", "content": "4"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello!\n"}, {"role": "user", "content": "Bye"},
     {"role": "assistant", "content": " See you "}],
    [{"role": "user", "content": "Summarise:\n\nA long text."}],
]


def _jinja_template(source: str):
    """`source` compiled as transformers 5 compiles chat templates (utils/chat_template_utils.py):
    a sandbox with trim_blocks and lstrip_blocks, loop controls, a `{% generation %}` block, and its
    `tojson`, `raise_exception` and `strftime_now`."""
    from datetime import datetime

    import jinja2
    from jinja2.ext import Extension
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generation(Extension):  # `{% generation %}...{% endgeneration %}` renders its body
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

        def _body(self, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(source)


class FastTokenizer:
    """The calls `count` makes on a transformers tokenizer, answered by the Rust backend and the compiled template."""

    def __init__(self, backend, chat_template: str | None, special_tokens: dict[str, str], specials: int):
        self.backend = backend
        # a tokenizer.json may pad or truncate (MiniLM's pads to 128): transformers turns both off for a
        # call that asks for neither, and so do we
        backend.no_padding()
        backend.no_truncation()
        self.chat_template = chat_template
        self.special_tokens = special_tokens
        self.specials = specials
        self._template = _jinja_template(chat_template) if chat_template else None
        self._literal: dict[int, str] | None = None

    def __call__(self, texts: list[str], add_special_tokens: bool = False) -> dict[str, list]:
        return {"input_ids": [e.ids for e in self.backend.encode_batch(texts, add_special_tokens=add_special_tokens)]}

    def counts(self, texts: list[str]) -> list[int]:
        """Tokens per text, no specials added (what `count` needs: no lists of ids built)."""
        return [len(e) for e in self.backend.encode_batch(texts, add_special_tokens=False)]

    def prefix_counts(self, heads: list[str], fulls: list[str]) -> tuple[list[int], list[int]]:
        """Tokens of each head (a chat up to the generation prompt) and of each full chat, no specials added.

        A head is usually the start of its full chat, and an added token (`<start_of_turn>`) splits the
        text into pieces that are tokenized apart (tokenizers matches added tokens first, leftmost-longest,
        then normalizes and tokenizes each piece between them on its own). So when the full chat's
        tokens hold such a token exactly at characters [q, p) of the head, the head's first tokens up to
        p are the full chat's (a match in the head starting before p and running past it would be in
        the full chat too, which would then not hold the token at [q, p)), and only head[p:] ("model\n")
        needs tokenizing: the prompt is tokenized once instead of twice. Only added tokens that match
        literally count (no lstrip, rstrip, single_word, normalized); any other head is tokenized whole."""
        encs = self.backend.encode_batch(fulls, add_special_tokens=False)
        full_counts = [len(e) for e in encs]
        head_counts: list[int] = [0] * len(heads)
        whole, tails, tail_at, shared = [], [], [], {}
        for i, (h, f, e) in enumerate(zip(heads, fulls, encs)):
            k = self._split_at(h, f, e) if h and f.startswith(h) else None
            if k is None:
                whole.append(i)
            else:
                shared[i] = k[0]
                tails.append(h[k[1]:])
                tail_at.append(i)
        for i, n in zip(tail_at, self.counts(tails)):
            head_counts[i] = shared[i] + n
        for i, n in zip(whole, self.counts([heads[i] for i in whole])):
            head_counts[i] = n
        return head_counts, full_counts

    def _split_at(self, head: str, full: str, enc) -> tuple[int, int] | None:
        """(tokens of full before p, p): the last literal added token of `enc` ending at p <= len(head)."""
        offsets, ids, end = enc.offsets, enc.ids, len(head)
        i = len(offsets) - 1
        while i >= 0 and offsets[i][1] > end:
            i -= 1
        for j in range(i, max(i - 8, -1), -1):  # the generation prompt is a few tokens after the turn marker
            if ids[j] in self._literal_added:
                q, p = offsets[j]
                return (j + 1, p) if full[q:p] == self._literal_added[ids[j]] else None
        return None

    @property
    def _literal_added(self) -> dict[int, str]:
        if self._literal is None:
            self._literal = {i: t.content for i, t in self.backend.get_added_tokens_decoder().items()
                             if not (t.lstrip or t.rstrip or t.single_word or t.normalized)}
        return self._literal

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return self.specials

    def apply_chat_template(self, messages: list[dict], tokenize: bool = False, add_generation_prompt: bool = False):
        messages[0]  # noqa: B018 -- transformers indexes the chat first: an empty one raises there too
        return self._template.render(messages=messages, tools=None, documents=None,
                                     add_generation_prompt=add_generation_prompt, **self.special_tokens)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("transformers", "tokenizers", "jinja2"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = ""
    return out


def _dir_digest(d: Path) -> str:
    h = hashlib.sha256(json.dumps(_versions(), sort_keys=True).encode() + Path(__file__).read_bytes())  # + this check
    for f in sorted(p for p in d.iterdir() if p.is_file()):
        h.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:32]


def fast_tokenizer(path: str) -> FastTokenizer | None:
    """A `FastTokenizer` for the local directory `path` when it counts exactly as transformers does
    (checked on its first load, verdict cached); None otherwise (not a local directory with a
    tokenizer.json, or a tokenizer transformers builds differently)."""
    d = Path(path)
    if not (d.is_dir() and (d / "tokenizer.json").is_file()):
        return None
    from curate.models import models_dir

    # beside the converted models, like a conversion: a fresh signal cache (--no-cache, bench/audit_scale.py)
    # that links the models in keeps it
    verdict_path = models_dir() / "tokenizer-checks" / f"{_dir_digest(d)}.json"
    try:
        verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        verdict = _check_against_transformers(d)
        try:
            verdict_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = tmp_path(verdict_path)
            try:
                tmp.write_text(json.dumps(verdict), encoding="utf-8")
                publish(tmp, verdict_path)
            finally:
                discard(tmp)
        except OSError:  # a read-only models folder: check again next time
            pass
    if not verdict.get("same"):
        return None
    from tokenizers import Tokenizer

    return FastTokenizer(Tokenizer.from_file(str(d / "tokenizer.json")), verdict["chat_template"],
                         verdict["special_tokens"], verdict["specials"])


def _check_against_transformers(d: Path) -> dict:
    """Load `d` through transformers and through the fast path; `same` when every count agrees."""
    from tokenizers import Tokenizer

    tok = auto_tokenizer(str(d))
    template = getattr(tok, "chat_template", None)
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None or not isinstance(template, (str, type(None))):
        return {"same": False, "why": "not a tokenizers backend, or several named chat templates"}
    mine = Tokenizer.from_file(str(d / "tokenizer.json"))
    if json.loads(backend.to_str()) != json.loads(mine.to_str()):
        return {"same": False, "why": "transformers rebuilds the backend differently from tokenizer.json"}
    fast = FastTokenizer(mine, template, dict(tok.special_tokens_map), tok.num_special_tokens_to_add(pair=False))
    try:
        for flag in (False, True):
            theirs = tok(_PROBE_TEXTS, add_special_tokens=flag)["input_ids"]
            if theirs != fast(_PROBE_TEXTS, add_special_tokens=flag)["input_ids"]:
                return {"same": False, "why": "probe texts tokenize differently"}
        if template:
            for chat in _PROBE_CHATS:
                for gen in (False, True):
                    if _rendered(tok, chat, gen) != _rendered(fast, chat, gen):
                        return {"same": False, "why": "the chat template renders differently"}
            # each chat's prompt (up to its first answer, with the generation prompt) and the whole chat
            firsts = [next((i for i, m in enumerate(c) if m["role"] == "assistant"), len(c)) for c in _PROBE_CHATS]
            pairs = [(_rendered(tok, c[:k], True), _rendered(tok, c, False)) for c, k in zip(_PROBE_CHATS, firsts)]
            ok = [(h[1], f[1]) for h, f in pairs if h[0] == f[0] == "ok"]
            heads, fulls = [h for h, _ in ok], [f for _, f in ok]
            theirs = [[len(ids) for ids in tok(t, add_special_tokens=False)["input_ids"]] for t in (heads, fulls)]
            if list(fast.prefix_counts(heads, fulls)) != theirs:
                return {"same": False, "why": "a chat's prompt does not count the same inside the chat"}
    except Exception as e:  # noqa: BLE001 -- a tokenizer that cannot count the probe texts: keep transformers
        return {"same": False, "why": f"probe failed: {type(e).__name__}: {e}"}
    return {"same": True, "chat_template": template, "special_tokens": fast.special_tokens, "specials": fast.specials}


def _rendered(tok, chat: list[dict], gen: bool) -> tuple[str, str]:
    """The rendered chat, or the error the template raised (templates refuse roles they do not allow,
    e.g. a system turn): refusing the same chats the same way is behaving the same."""
    try:
        return "ok", tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=gen)
    except Exception as e:  # noqa: BLE001
        return "error", type(e).__name__
