"""Where a match is not personal data: inside code, or a value reserved for examples.

- Code: fenced blocks (```/~~~), inline `code`, and unfenced code lines (a line that ends in
  `;`, `{` or `}`, opens with a keyword such as `def`, `return`, `SELECT`, is an assignment, a
  call or an HTML tag), with the comments, indented lines and blank lines between such lines.
  A string in code is a fixture (`"John"`, `'9999999999'`, `-2147483648`, `127.0.0.1`), not a
  person's data; only a secret with a provider's format or a private key block stays (KEEP_IN_CODE):
  those are live credentials wherever they are pasted.
- Reserved values: the example domains of RFC 2606 / RFC 6761 (example.com/.net/.org, *.example,
  *.test, *.invalid, *.localhost), documentation, private, loopback and other special-purpose IP
  ranges (RFC 5737, RFC 3849, RFC 1918; Python's `ipaddress` knows them), and public DNS
  resolvers (8.8.8.8, 1.1.1.1, ...): the address of a service, not of a person.
"""

from __future__ import annotations

import ipaddress
import re

KEEP_IN_CODE = {"ApiKeyRecognizer", "PrivateKeyRecognizer"}

_FENCE = re.compile(r"(?m)^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[^\n]*$|\Z)", re.S)
_INLINE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")
# a line that opens like this is code even when it reads like words ("SELECT name FROM users")
_STRONG = re.compile(
    r"^\s*(?:def\s+\w+\s*\(|class\s+\w+\s*[(:{]|import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+)*\s*;?\s*$"
    r"|from\s+[\w.]+\s+import\s|#include|#define|<\?php|#!/|package\s+[\w.]+;|using\s+[\w.]+;"
    r"|(?:SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX|VIEW|DATABASE)|ALTER\s+TABLE"
    r"|DROP\s+TABLE|VALUES\s*\()\s|console\.\w+\(|System\.out\.|printf?\s*\()")
# these open code too, but also sentences ("return the item", "let me know", "public holidays")
_WEAK = re.compile(
    r"^\s*(?:return|elif|else|try|except|finally|with|if|for|while|switch|catch|function|var|let|const|public|private"
    r"|protected|static|void|int|long|float|double|String|char|bool|boolean|auto|fn|func|struct|impl|echo|FROM|WHERE"
    r"|sudo|pip|npm|git|cd|ls|curl|wget|ping|ssh|docker|kubectl|mkdir|rm|cp|mv|cat|chmod|export|\$\w+\s*=)(?:\s|\(|$|\{|;|:)")
_ENDS = re.compile(r"(?:[;{}]|\)\s*:|\[|\(|=>|->|\\)\s*$")
_ASSIGN = re.compile(r"^\s*[A-Za-z_$][\w.$]*(?:\[[^\]]*\])?\s*(?:[-+*/%|&]|\*\*|//)?=(?!=)\s*\S")
_TRAILING_COMMENT = r"(?:\s+(?:#|//).*)?"
_CALL = re.compile(rf"^\s*[A-Za-z_$][\w.$]*\s*\(.*\)\s*;?{_TRAILING_COMMENT}\s*$")
# a literal list or dict on its own line: ["John", "Mary"], {'name': 'Tanya', 'age': 20}
_LITERAL = re.compile(rf"""^\s*[\[{{]\s*[\[{{]?\s*["'\d].*[,:].*[\]}}]\s*[,;]?{_TRAILING_COMMENT}\s*$""")
_TAG = re.compile(r"^\s*</?[A-Za-z][\w:-]*(?:\s[^>]*)?/?>")
_CLOSER = re.compile(r"^\s*[}\])]")
_COMMENT = re.compile(r"^\s*(?:#|//|/\*|\*|--|<!--)")
_JSON_LINE = re.compile(r"""^\s*(?:"[^"]*"\s*:|[\[{]\s*$|[\]}],?\s*$)""")


_DECORATOR = re.compile(r"^\s*@[A-Za-z_][\w.]*(?:\(.*\))?\s*$")
_TAGS = re.compile(r"<[^<>\n]*>")
_PROSE = re.compile(r"\b[A-Za-z][a-z]+,? [a-z]{2,} [a-z]{2,} [a-z]{2,}\b")  # four words in a row


def _is_code_line(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 400:
        return False
    if _STRONG.match(line) or _DECORATOR.match(line):
        return True
    bare = _TAGS.sub(" ", s)
    if _PROSE.search(bare) and not re.search(r"[(){}=]", bare):
        return False  # a sentence, even in a tag, after "return" or ending in ';'
    return bool(_WEAK.match(line) or _ENDS.search(s) or _ASSIGN.match(line) or _CALL.match(line)
                or _TAG.match(line) or _CLOSER.match(line) or _JSON_LINE.match(line)
                or _LITERAL.match(line))


def code_regions(text: str) -> list[tuple[int, int]]:
    """(start, end) of every part of `text` that is code, merged and sorted."""
    regions = [m.span() for m in _FENCE.finditer(text)]
    regions += [m.span() for m in _INLINE.finditer(text) if not _inside(m.start(), regions)]
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line), line))
        pos += len(line) + 1
    code = [_is_code_line(ln) for _, _, ln in lines]
    # a comment, an indented or blank line between code lines belongs to the code
    n = len(lines)
    for _ in range(2):
        for i in range(n):
            if code[i]:
                continue
            ln = lines[i][2]
            if not (_COMMENT.match(ln) or ln[:1] in (" ", "\t") or not ln.strip()):
                continue
            prev_code = next((code[j] for j in range(i - 1, -1, -1) if lines[j][2].strip()), False)
            next_code = next((code[j] for j in range(i + 1, n) if lines[j][2].strip()), False)
            if (prev_code and next_code) or (prev_code and ln.strip() and ln[:1] in (" ", "\t")) or \
                    (_COMMENT.match(ln) and (prev_code or next_code)):
                code[i] = True
    regions += [(a, b) for (a, b, _), c in zip(lines, code) if c]
    return _merge(regions)


def _inside(pos: int, regions) -> bool:
    return any(a <= pos < b for a, b in regions)


def _merge(regions):
    out: list[list[int]] = []
    for a, b in sorted(regions):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def in_regions(start: int, end: int, regions) -> bool:
    """The span lies inside one region."""
    return any(a <= start and end <= b for a, b in regions)


# ---- reserved values -----------------------------------------------------------------------------

RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
PUBLIC_RESOLVERS = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222",
                    "208.67.220.220", "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111",
                    "2606:4700:4700::1001"}


def reserved_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in RESERVED_DOMAINS)


def reserved_ip(value: str) -> bool:
    """Not a host a person uses: private, loopback, documentation, link-local, multicast,
    unspecified or reserved ranges, and the public DNS resolvers."""
    v = value.strip("[]")
    if v in PUBLIC_RESOLVERS:
        return True
    try:
        ip = ipaddress.ip_address(v.split("%")[0])
    except ValueError:
        return False
    return not ip.is_global


_HOST = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?([^/:?#\s]+)")


def reserved_value(value: str, entity_type: str) -> bool:
    """An example e-mail or URL, or an IP address that identifies no person."""
    if entity_type == "EMAIL_ADDRESS":
        return reserved_domain(value.rsplit("@", 1)[-1])
    if entity_type == "URL":
        m = _HOST.match(value.strip("\"'<>()"))
        return bool(m) and (reserved_domain(m.group(1)) or reserved_ip(m.group(1)))
    if entity_type == "IP_ADDRESS":
        return reserved_ip(value)
    return False
