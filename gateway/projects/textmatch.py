"""Regular-expression filters (`_like`, the guide's `search`), matched in linear time by RE2.

JSON Server's `field_like=pattern` is a case-insensitive regular expression. A backtracking engine
(Python's `re`, which the embedded database runs for `$regex`, or PCRE in MongoDB) can take time
exponential in the text for patterns like `a*a*a*a*b` or `(a|aa)+c`, and it would hold the
database while doing so. RE2 guarantees time linear in the text, so these filters are never sent
to the database: the store fetches the candidate documents' fields and keeps the ones RE2
matches. What RE2 cannot run in linear time (back-references, look-arounds) is refused with 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import re2

from contracts.errors import ApiError

MAX_PATTERN = 200
# RE2's memory for one compiled pattern: large counted repeats (`(a{100}){100}`) fail to compile
# within it instead of building a huge program.
MAX_PROGRAM_BYTES = 1 << 20
# Matching is linear in the text, times the program's size when RE2 falls back from its DFA:
# a bound on the size (counted repeats make it grow) keeps the constant small.
MAX_PROGRAM_SIZE = 1000


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = MAX_PROGRAM_BYTES
    options.log_errors = False
    options.never_capture = True
    return options


_OPTIONS = _options()


def compile_pattern(value: str, name: str = "_like") -> Any:
    """A case-insensitive RE2 pattern, or 400 saying why it cannot be used."""
    if len(value) > MAX_PATTERN:
        raise ApiError(400, f"{name} pattern longer than {MAX_PATTERN} characters")
    if "\x00" in value:
        raise ApiError(400, f"{name} pattern contains a NUL character")
    try:
        pattern = re2.compile(value, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else ""
        raise ApiError(
            400,
            f"{name} pattern cannot be used: {reason or 'invalid'} (back-references and"
            " look-arounds are not supported; patterns must match in linear time)",
        ) from None
    if pattern.programsize > MAX_PROGRAM_SIZE:
        raise ApiError(400, f"{name} pattern cannot be used: too complex (use smaller repeats)")
    return pattern


def literal(value: str, name: str) -> Any:
    """A case-insensitive pattern matching `value` as plain text."""
    if len(value) > MAX_PATTERN:
        raise ApiError(400, f"{name} longer than {MAX_PATTERN} characters")
    return compile_pattern(re2.escape(value), name)


def _as_text(value: Any) -> str | None:
    # JSON Server tests `String(value)`: numbers and booleans match by their JSON spelling.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def values_at(doc: Any, path: str) -> Iterator[str]:
    """The texts at a dotted path, descending into arrays as MongoDB does."""
    head, _, rest = path.partition(".")
    if isinstance(doc, list):
        for item in doc:
            yield from values_at(item, path)
        return
    if not isinstance(doc, dict) or head not in doc:
        return
    value = doc[head]
    if rest:
        yield from values_at(value, rest)
    elif isinstance(value, list):
        for item in value:
            if (text := _as_text(item)) is not None:
                yield text
    elif (text := _as_text(value)) is not None:
        yield text


@dataclass(frozen=True)
class TextFilter:
    """Matches when any of `paths` holds a text that any of `patterns` finds."""

    paths: tuple[str, ...]
    patterns: tuple[Any, ...]

    def matches(self, doc: Any) -> bool:
        return any(
            pattern.search(text) is not None
            for path in self.paths
            for text in values_at(doc, path)
            for pattern in self.patterns
        )


def projection(filters: list[TextFilter]) -> dict[str, int]:
    """The top-level fields the filters read, so candidates are fetched without the rest."""
    return {path.split(".", 1)[0]: 1 for f in filters for path in f.paths}
