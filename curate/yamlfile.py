"""Read a YAML file the user wrote (rules, --config, --sweep): every way it can be unreadable is a
ConfigError naming the file, the spot and the fix, never a traceback.

PyYAML keeps the last of two equal keys without a word (`max_rate: 0.01` then `max_rate: 0.5`
in the same rule); here a repeated key is an error, reported with both lines.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from curate.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that notes every repeated mapping key instead of silently keeping the last value."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated: list[str] = []

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: SafeLoader reports it itself
                continue
            if first != line:
                self.repeated.append(f"line {line}: key '{key}' repeats the one on line {first} "
                                     "(YAML would keep only the last value)")
        return super().construct_mapping(node, deep=deep)


def read_yaml(path, *, what: str = "file"):
    """The parsed document of `path` (a YAML file); ConfigError for anything unreadable."""
    p = Path(path)
    fix = f"pass a readable UTF-8 YAML file as {what}"
    if p.is_dir():
        raise ConfigError(path, [f"{what} is a directory, not a YAML file"], fix=f"pass the YAML file inside it as {what}")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ConfigError(path, [f"cannot read {what}: {e.strerror or e}"], fix=fix) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(path, [f"line {line}: not valid UTF-8 (byte {data[e.start:e.start + 1]!r} at offset {e.start})"],
                          fix="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 IN > OUT`)") from None
    loader = _StrictLoader(text)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as e:
        raise ConfigError(path, [f"not valid YAML: {e}"], fix="fix the YAML at the line it names") from None
    finally:
        loader.dispose()
    if loader.repeated:
        raise ConfigError(path, loader.repeated, fix="keep one of each repeated key")
    return doc
