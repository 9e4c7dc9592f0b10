"""Random and adversarial list queries: every answer is a 200 list or a 400, and comes quickly.

The query language (field filters, `_gte _lte _ne _like`, `q`, `search`, `_sort/_order`,
`_page _limit _start _end page limit`) is fed Hypothesis-made values, with catastrophic-
backtracking regular expressions, huge and negative numbers and junk mixed in, against projects
whose text fields are 20,000 characters long (where a backtracking engine would hang). The
gateway runs under uvicorn in a background thread, since Hypothesis drives a synchronous client.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from gateway.app import build_app
from tests.gateway.conftest import gateway_settings
from tests.support import serve, served_in_thread

# Generous: the machine is shared; a backtracking regex over these fields takes minutes.
ANSWER_WITHIN_S = 2.0
LONG = 20_000

ADVERSARIAL_PATTERNS = (
    "a*a*a*a*a*a*b", "(a+)+b", "(a|a)*b", "(a|aa)+$", "^(a+)+$", "(.*a){20}", "(\\w+\\s?)*$",
    ".*.*.*.*.*.*=", "(?=a)a", "(?!b)", "(a)\\1", "[", "(", ")", "*", "a{1000000}",
    "(((((((((((a)))))))))))*b", "[^a]*$", "\\", "a" * 300, "(?i)A*B", ".{0,20000}b", "$^",
    "\x00", "%00", "é*ü", "\ud7ff",
)  # fmt: skip
NUMBERS = ("99999999999999999999", "-99999999999999999999", "-1", "0", "1", "1e309", "NaN",
           "inf", "-0", "0x10", "1.5", " 3", "", "1" + "0" * 40)  # fmt: skip
FIELDS = ("title", "description", "video_description", "script_text", "status", "fps",
          "language", "tags", "id", "images.0.prompt", "nb_section", "createdAt", "missing",
          "a.b.c.d.e.f", "_seq", "$where", "title.", "9x")  # fmt: skip
SUFFIXES = ("", "_like", "_gte", "_lte", "_ne")
PAGING = ("_page", "_limit", "_start", "_end", "page", "limit")

values = st.one_of(
    st.sampled_from(ADVERSARIAL_PATTERNS),
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.text(alphabet="a*+?()|[]{}^$.\\b", max_size=30),
)
keys = st.one_of(
    st.builds(lambda f, s: f + s, st.sampled_from(FIELDS), st.sampled_from(SUFFIXES)),
    st.sampled_from(("q", "search", "_sort", "sort", "_order", "order", *PAGING)),
    st.text(max_size=12),
)
sort_values = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3).map(",".join)
order_values = st.lists(st.sampled_from(("asc", "desc", "", "ASC", "up")), max_size=3).map(",".join)
pairs = st.one_of(
    st.tuples(keys, values),
    st.tuples(st.sampled_from(("_sort", "sort")), sort_values),
    st.tuples(st.sampled_from(("_order", "order")), order_values),
    st.tuples(st.sampled_from(PAGING), st.sampled_from(NUMBERS)),
    st.tuples(
        st.sampled_from(("title_like", "description_like", "script_text_like")),
        st.sampled_from(ADVERSARIAL_PATTERNS),
    ),
)
queries = st.lists(pairs, min_size=1, max_size=6)


def project(index: int) -> dict[str, Any]:
    # Long runs of one letter: what makes `a*a*...b` shapes explode on a backtracking engine.
    return {
        "title": ("a" * 499) + str(index),
        "description": "a" * LONG,
        "video_description": ("ab " * (LONG // 3))[:LONG],
        "script_text": "a" * LONG,
        "status": ("draft", "video_ready")[index % 2],
        "fps": (24, 30, 60)[index % 3],
        "tags": ["a" * 50, f"tag{index}"],
        "images": [{"prompt": "a" * 4000}],
        "nb_section": index + 1,
    }


@pytest.fixture(scope="module")
def gateway_url(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    media: Path = tmp_path_factory.mktemp("fuzz-media")
    settings_ = gateway_settings(mongo_url, media)

    async def start(stack: contextlib.AsyncExitStack) -> str:
        return await stack.enter_async_context(serve(build_app(settings_)))

    with served_in_thread(start) as url:
        for index in range(6):
            created = httpx.post(f"{url}/projects", json=project(index), timeout=60)
            assert created.status_code == 201, created.text
        yield url
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    client.drop_database(settings_.mongodb_db)
    client.close()


def test_every_list_query_answers_a_list_or_a_400_quickly(gateway_url: str) -> None:
    answered: dict[int, int] = {}

    with httpx.Client(base_url=gateway_url, timeout=60) as http:
        # The populated database answers at all (so the bound below measures the queries).
        assert len(http.get("/projects").json()) == 6

        @settings(
            max_examples=250,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(params=queries)
        def check(params: list[tuple[str, str | int | float | bool | None]]) -> None:
            started = time.monotonic()
            response = http.get("/projects", params=params)
            elapsed = time.monotonic() - started
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            assert response.status_code in (200, 400), (params, response.text[:300])
            body = response.json()
            if response.status_code == 200:
                assert isinstance(body, list), (params, body)
            else:
                assert isinstance(body.get("detail"), str), (params, body)
                assert body["detail"], (params, body)
            assert elapsed < ANSWER_WITHIN_S, (params, f"{elapsed:.2f} s")

        check()
    # Both kinds of answer were exercised, not only refusals.
    assert answered.get(200, 0) > 20, answered
    assert answered.get(400, 0) > 20, answered
