"""JSON Server 0.17 list semantics, row by row, plus the guide's parameters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Gateway

SEED: list[dict[str, Any]] = [
    {"id": "p1", "title": "Alpha", "status": "draft", "fps": 30, "duration": 10,
     "description": "about the sea", "author": {"name": "Ana"}},
    {"id": "p2", "title": "beta", "status": "video_ready", "fps": 24, "duration": 45,
     "description": "mountains", "author": {"name": "Bo"}},
    {"id": "p3", "title": "Gamma", "status": "draft", "fps": 60, "duration": 30,
     "description": "city lights", "images": [{"prompt": "Neon Skyline", "url": None}]},
    {"id": "p4", "title": "delta", "status": "script_generated", "fps": 30, "duration": 60,
     "description": "Sea shells"},
]  # fmt: skip


@pytest.fixture
async def seeded(gateway: Gateway) -> Gateway:
    for project in SEED:
        assert (await gateway.http.post("/projects", json=project)).status_code == 201
    return gateway


async def ids(gateway: Gateway, query: str) -> list[str]:
    response = await gateway.http.get(f"/projects?{query}")
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()]


async def test_field_filter_and_repeated_key_or(seeded: Gateway) -> None:
    assert await ids(seeded, "status=draft") == ["p1", "p3"]
    assert await ids(seeded, "status=draft&status=video_ready") == ["p1", "p2", "p3"]
    assert await ids(seeded, "status=draft&fps=60") == ["p3"]


async def test_a_number_matches_its_string_form(seeded: Gateway) -> None:
    assert await ids(seeded, "fps=30") == ["p1", "p4"]


async def test_nested_paths_and_id(seeded: Gateway) -> None:
    assert await ids(seeded, "author.name=Bo") == ["p2"]
    assert await ids(seeded, "id=p3&id=p1") == ["p1", "p3"]


async def test_range_operators(seeded: Gateway) -> None:
    assert await ids(seeded, "duration_gte=30") == ["p2", "p3", "p4"]
    assert await ids(seeded, "duration_lte=30") == ["p1", "p3"]
    assert await ids(seeded, "duration_gte=20&duration_lte=50") == ["p2", "p3"]


async def test_not_equal_is_and_across_repeats(seeded: Gateway) -> None:
    assert await ids(seeded, "status_ne=draft") == ["p2", "p4"]
    assert await ids(seeded, "status_ne=draft&status_ne=video_ready") == ["p4"]


async def test_like_is_a_case_insensitive_regex(seeded: Gateway) -> None:
    assert await ids(seeded, "title_like=^[ab]") == ["p1", "p2"]
    assert await ids(seeded, "description_like=SEA") == ["p1", "p4"]


async def test_q_searches_every_string_nested_ones_included(seeded: Gateway) -> None:
    assert await ids(seeded, "q=sea") == ["p1", "p4"]
    assert await ids(seeded, "q=neon skyline") == ["p3"]
    assert await ids(seeded, "q=ANA") == ["p1"]
    assert await ids(seeded, "q=(") == []


async def test_sort_and_order_with_comma_lists(seeded: Gateway) -> None:
    assert await ids(seeded, "_sort=duration&_order=desc") == ["p4", "p2", "p3", "p1"]
    assert await ids(seeded, "_sort=fps,duration&_order=asc,desc") == ["p2", "p4", "p1", "p3"]
    assert await ids(seeded, "_sort=fps") == ["p2", "p1", "p4", "p3"]


async def test_start_end_and_start_limit_slices(seeded: Gateway) -> None:
    response = await seeded.http.get("/projects?_start=1&_end=3")
    assert [p["id"] for p in response.json()] == ["p2", "p3"]
    assert response.headers["x-total-count"] == "4"
    assert await ids(seeded, "_start=2&_limit=1") == ["p3"]
    assert await ids(seeded, "_limit=0") == []


async def test_paging_sets_total_count_expose_header_and_links(seeded: Gateway) -> None:
    response = await seeded.http.get("/projects?status_ne=nothing&_page=2&_limit=1")
    assert [p["id"] for p in response.json()] == ["p2"]
    assert response.headers["x-total-count"] == "4"
    assert response.headers["access-control-expose-headers"] == "X-Total-Count, Link"
    links = {
        part.split('rel="')[1].rstrip('"'): part.split(">")[0].lstrip("<")
        for part in response.headers["link"].split(", ")
    }
    assert set(links) == {"first", "prev", "next", "last"}
    assert links["next"].endswith("status_ne=nothing&_limit=1&_page=3")
    assert links["last"].endswith("_page=4")
    assert "x-total-count" not in (await seeded.http.get("/projects")).headers


async def test_page_defaults_to_ten_per_page(seeded: Gateway) -> None:
    response = await seeded.http.get("/projects?_page=1")
    assert len(response.json()) == 4
    assert "link" not in response.headers


async def test_the_guides_status_search_page_limit(seeded: Gateway) -> None:
    assert await ids(seeded, "status=draft") == ["p1", "p3"]
    assert await ids(seeded, "search=SEA") == ["p1", "p4"]
    response = await seeded.http.get("/projects?page=2&limit=3")
    assert [p["id"] for p in response.json()] == ["p4"]
    assert response.headers["x-total-count"] == "4"


async def test_a_filter_on_a_field_no_project_has_is_ignored(seeded: Gateway) -> None:
    # JSON Server drops such parameters before filtering, so the whole list comes back.
    everything = ["p1", "p2", "p3", "p4"]
    assert await ids(seeded, "") == everything
    assert await ids(seeded, "unknown_param=1") == everything
    assert await ids(seeded, "author.age=3") == everything
    assert await ids(seeded, "unknown_param=1&status=draft") == ["p1", "p3"]
    response = await seeded.http.get("/projects?unknown_param=1&_page=1&_limit=3")
    assert [p["id"] for p in response.json()] == ["p1", "p2", "p3"]
    assert response.headers["x-total-count"] == "4"
    envelope = (await seeded.http.get("/api/v1/projects?unknown_param=1")).json()
    assert envelope["total"] == 4


async def test_a_filter_on_a_known_field_with_no_match_is_empty(seeded: Gateway) -> None:
    assert await ids(seeded, "status=published") == []
    # Only p1 and p2 have an author: the filter still applies to the others.
    assert await ids(seeded, "author.name=Cy") == []
    assert await ids(seeded, "author.name=Ana") == ["p1"]
    # Operators are kept on any field, as JSON Server keeps them.
    assert await ids(seeded, "unknown_gte=1") == []
    assert await ids(seeded, "unknown_like=a") == []


async def test_no_filter_is_ignored_on_an_empty_list(gateway: Gateway) -> None:
    assert await ids(gateway, "unknown_param=1") == []
    assert await ids(gateway, "status=draft") == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("_foo=1", "Unknown query parameter"),
        ("_page=x", "_page must be an integer"),
        ("_start=-1&_limit=2", "_start must be at least 0"),
        ("_sort=title&_order=sideways", "_order must be asc or desc"),
        ("title_like=(a)%5C1", "back-references and look-arounds are not supported"),
        ("title_like=[", "missing ]"),
        ("%24where=1", "Unknown query parameter"),
        ("ti%20tle=1", "Invalid field name"),
    ],
)
async def test_bad_query_parameters_are_400_with_a_reason(
    seeded: Gateway, query: str, fragment: str
) -> None:
    response = await seeded.http.get(f"/projects?{query}")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
