"""Running a render's concurrent steps so that one failure stops them all."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from contracts.errors import ApiError

A = TypeVar("A")
B = TypeVar("B")


@contextlib.contextmanager
def first_failure() -> Iterator[None]:
    """Around a TaskGroup: when one task fails the others are cancelled (their FFmpegs
    killed) and the first failure is raised as itself, an ApiError keeping its status."""
    try:
        yield
    except BaseExceptionGroup as failed:
        errors = failed.exceptions
        raise next((e for e in errors if isinstance(e, ApiError)), errors[0]) from None


async def together(*work: Coroutine[Any, Any, Any]) -> None:
    with first_failure():
        async with asyncio.TaskGroup() as group:
            for item in work:
                group.create_task(item)


async def pair(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    with first_failure():
        async with asyncio.TaskGroup() as group:
            a = group.create_task(first)
            b = group.create_task(second)
    return a.result(), b.result()
