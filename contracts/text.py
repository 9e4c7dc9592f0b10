"""Text that refuses NUL characters, for every free-text field of a request.

C-string based tools and the BSON key format cut a string at NUL, so a value with one is seen
differently by different layers (an account name, a log line, a file name): refuse it at the edge.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("no_nul", "Text must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
