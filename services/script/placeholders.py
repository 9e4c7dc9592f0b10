"""`{name}` placeholders in versioned text files (prompts, phrasebooks), filled strictly.

The old service replaced a missing value with ''; here a placeholder without a value, or a file
whose placeholders differ from what the code fills, is an error at load or test time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from string import Formatter


class PlaceholderError(ValueError):
    pass


def names(template: str) -> set[str]:
    """The placeholder names used in a template; malformed braces are an error."""
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise PlaceholderError(f"malformed placeholder in {template[:60]!r}: {exc}") from None
    found: set[str] = set()
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PlaceholderError(f"placeholder {{{field}}} in {template[:60]!r} is not a name")
        found.add(field)
    return found


def check(
    template: str, *, allowed: Iterable[str], required: Iterable[str] = (), where: str
) -> None:
    used = names(template)
    unknown = used - set(allowed)
    if unknown:
        raise PlaceholderError(f"{where}: unknown placeholder(s) {sorted(unknown)}")
    missing = set(required) - used
    if missing:
        raise PlaceholderError(f"{where}: must use placeholder(s) {sorted(missing)}")


def fill(template: str, values: Mapping[str, object]) -> str:
    missing = names(template) - set(values)
    if missing:
        raise PlaceholderError(f"no value for placeholder(s) {sorted(missing)}")
    return template.format_map(values)
