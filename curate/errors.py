"""Errors a user can act on.

Every error `curate` raises for bad input or configuration says what went wrong, the offending
value and where (file, line or record), and how to fix it. The CLI prints it without a traceback
and exits with code 2.
"""

from __future__ import annotations

import difflib


class CurateError(Exception):
    """Bad input or usage. The CLI turns it into exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, fix: str | None = None):
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.message + (f"\n  fix: {self.fix}" if self.fix else "")


class DataError(CurateError):
    """A problem with the user's data: names the file and the record."""

    def __init__(self, path, where: str | None, problem: str, *, fix: str | None = None):
        self.path = str(path)
        self.where = where
        self.problem = problem
        location = self.path + (f", {where}" if where else "")
        super().__init__(f"{location}: {problem}", fix=fix)


class ConfigError(CurateError):
    """Every problem found in one configuration file, reported at once."""

    def __init__(self, path, problems: list[str], *, fix: str | None = None):
        self.path = str(path)
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s)\n{body}", fix=fix)


def did_you_mean(name: str, choices) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
