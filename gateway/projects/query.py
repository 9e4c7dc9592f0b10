"""JSON Server 0.17 list semantics translated into one MongoDB query.

Field filters (`?status=draft`, repeated key = OR, `fps=30` also matches the number 30), the
operators `_gte _lte _ne _like`, full-text `q`, `_sort/_order`, `_start/_end/_limit` and
`_page/_limit`, plus the integration guide's `status/search/page/limit` and the versioned API's
`sort/order`. Parameters that start with `_` and are not known are refused rather than ignored,
so a typo never silently returns everything. A plain field filter naming a field that no
project has is ignored, as JSON Server drops it before filtering (the store checks). `_like`
and `search` become `TextFilter`s that the store applies with RE2
(gateway/projects/textmatch.py), never `$regex` sent to the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contracts.errors import ApiError
from gateway.projects.textmatch import MAX_PATTERN, TextFilter, compile_pattern, literal

OPERATORS = ("_gte", "_lte", "_ne", "_like")
PAGING = {"_sort", "_order", "_start", "_end", "_page", "_limit", "q"}
# Known to JSON Server but meaningless for projects, which have no relations.
IGNORED = {"_embed", "_expand", "callback", "_"}
GUIDE = {"search", "page", "limit", "sort", "order"}
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}(\.[A-Za-z0-9_-]{1,64}){0,4}$")


@dataclass
class ListQuery:
    filter: dict[str, Any]
    sort: list[tuple[str, int]]
    # Plain field filters as (path, clause): the store adds to `filter` only those whose path
    # some project holds, since JSON Server ignores a filter on a field no item has.
    fields: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Applied by the store after `filter`, in the gateway: all must match.
    text: list[TextFilter] = field(default_factory=list)
    skip: int = 0
    limit: int | None = None
    want_total: bool = False
    page: int | None = None
    per_page: int | None = None


def _path(name: str) -> str:
    if name == "id":
        return "_id"
    if not _FIELD.match(name):
        raise ApiError(400, f"Invalid field name in query: {name[:64]!r}")
    return name


def _variants(value: str) -> list[Any]:
    """The stored values whose string form equals `value`, as JSON Server compares them."""
    out: list[Any] = [value]
    if value in ("true", "false"):
        out.append(value == "true")
    elif value == "null":
        out.append(None)
    else:
        try:
            number = float(value)
        except ValueError:
            return out
        if number.is_integer() and "." not in value and "e" not in value.lower():
            # Stored integers are 64-bit: a larger one can only equal the string.
            if -(2**63) <= int(number) < 2**63:
                out.append(int(number))
        else:
            out.append(number)
    return out


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _int(name: str, value: str, minimum: int = 0, maximum: int = 10**9) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {value[:32]!r}") from None
    if number < minimum:
        raise ApiError(400, f"{name} must be at least {minimum}")
    # The skip computed from these (page times limit) goes to MongoDB as a 64-bit integer.
    if number > maximum:
        raise ApiError(400, f"{name} must be at most {maximum:,}")
    return number


def _condition(path: str, op: str, values: list[str]) -> dict[str, Any]:
    if op == "":
        variants = [v for value in values for v in _variants(value)]
        return {path: {"$in": variants}}
    if op == "_ne":
        # JSON Server drops items without the field for _ne; repeated _ne keys are AND.
        variants = [v for value in values for v in _variants(value)]
        return {path: {"$nin": variants, "$exists": True, "$ne": None}}
    mongo_op = "$gte" if op == "_gte" else "$lte"
    alternatives: list[dict[str, Any]] = []
    for value in values:
        number = _number(value)
        if number is not None:
            alternatives.append({path: {mongo_op: number}})
        alternatives.append({path: {mongo_op: value}})
    return {"$or": alternatives}


def search_text(doc: Any) -> str:
    """Every string value of a document, nested ones included, lower-cased: what `q` searches."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value.lower())
        elif isinstance(value, dict):
            for key, item in value.items():
                if not str(key).startswith("_"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(doc)
    return "\n".join(parts)


Grouped = dict[str, list[str]]


def _first(grouped: Grouped, *names: str) -> str | None:
    """The first value of the first of `names` that has one."""
    for name in names:
        values = grouped.get(name)
        if values and values[0]:
            return values[0]
    return None


def _filters(grouped: Grouped, query: ListQuery) -> list[dict[str, Any]]:
    """The operator, `q` and text filters into `query`; the clauses that always apply."""
    clauses: list[dict[str, Any]] = []
    for key, values in grouped.items():
        if key in PAGING or key in IGNORED or key in GUIDE:
            continue
        if key.startswith("_") or key.startswith("$"):
            raise ApiError(400, f"Unknown query parameter: {key[:64]}")
        op = next((o for o in OPERATORS if key.endswith(o) and len(key) > len(o)), "")
        name = key[: len(key) - len(op)] if op else key
        if op == "_like":
            patterns = tuple(compile_pattern(v, key[:64]) for v in values)
            query.text.append(TextFilter((_path(name),), patterns))
        elif op:
            clauses.append(_condition(_path(name), op, values))
        else:
            query.fields.append((_path(name), _condition(_path(name), op, values)))

    q = _first(grouped, "q")
    if q:
        if len(q) > MAX_PATTERN:
            raise ApiError(400, f"q longer than {MAX_PATTERN} characters")
        # A lower-cased literal against the lower-cased `_search` copy: no `i` flag and no
        # metacharacters, which the database matches in linear time.
        clauses.append({"_search": {"$regex": re.escape(q.lower())}})
    search = _first(grouped, "search")
    if search:
        query.text.append(TextFilter(("title", "description"), (literal(search, "search"),)))
    return clauses


def _sort(grouped: Grouped) -> list[tuple[str, int]]:
    sort_fields = _first(grouped, "_sort", "sort")
    orders = (_first(grouped, "_order", "order") or "").split(",")
    sort: list[tuple[str, int]] = []
    if sort_fields:
        for index, name in enumerate(f for f in sort_fields.split(",") if f):
            order = (orders[index] if index < len(orders) else orders[0] or "asc").lower()
            if order not in ("asc", "desc", ""):
                raise ApiError(400, f"_order must be asc or desc, got {order[:16]!r}")
            sort.append((_path(name.strip()), -1 if order == "desc" else 1))
    sort.append(("_seq", 1))
    return sort


def _paging(grouped: Grouped, query: ListQuery) -> None:
    page_raw = _first(grouped, "_page", "page")
    limit_raw = _first(grouped, "_limit", "limit")
    start_raw, end_raw = _first(grouped, "_start"), _first(grouped, "_end")
    query.want_total = bool(page_raw or limit_raw or end_raw)
    if page_raw:
        query.page = max(_int("_page", page_raw), 1)
        query.per_page = (
            min(_int("_limit", limit_raw, 1), MAX_LIMIT) if limit_raw else DEFAULT_LIMIT
        )
        query.skip = (query.page - 1) * query.per_page
        query.limit = query.per_page
    elif end_raw:
        start = _int("_start", start_raw) if start_raw else 0
        end = _int("_end", end_raw)
        query.skip = start
        query.limit = max(end - start, 0)
    elif limit_raw:
        query.skip = _int("_start", start_raw) if start_raw else 0
        query.limit = min(_int("_limit", limit_raw), MAX_LIMIT)
    elif start_raw:
        query.skip = _int("_start", start_raw)


def parse_list_query(params: list[tuple[str, str]]) -> ListQuery:
    grouped: Grouped = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    query = ListQuery(filter={}, sort=[])
    clauses = _filters(grouped, query)
    query.filter = {"$and": clauses} if len(clauses) > 1 else (clauses or [{}])[0]
    query.sort = _sort(grouped)
    _paging(grouped, query)
    return query
