"""Any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Ollama, vLLM, OpenRouter) as a writer.

Contract used: `POST {base_url}/chat/completions` with `model`, `messages` and `response_format`
(`json_schema` structured output, or `json_object`); the answer is `choices[0].message.content`,
a JSON string. That JSON is validated here (exact section count, nothing empty); an invalid answer
gets one repair turn with the validation error fed back, then the caller gets a 502.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import httpx
import orjson
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from contracts.errors import ApiError
from runtime.upstream import CONNECTION_ERRORS, RetryPolicy, UpstreamStatus
from services.script.brief import Brief
from services.script.prompts import render
from services.script.settings import ResponseFormat
from services.script.writer import Draft, Scene

log = logging.getLogger("services.script.openai")

T = TypeVar("T")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
MAX_ERROR_CHARS = 300


class _Section(BaseModel):
    narration: Annotated[Text, Field(max_length=10_000)]
    image_prompt: Annotated[Text, Field(max_length=2_000)]


class _Script(BaseModel):
    title: Annotated[Text, Field(max_length=500)]
    video_description: Annotated[str, Field(max_length=5_000)]
    keywords: list[Annotated[Text, Field(max_length=80)]] = Field(max_length=30)
    sections: list[_Section]


class _Description(BaseModel):
    contextual_description: Annotated[Text, Field(max_length=5_000)]


def _strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    # Structured-output "strict" mode wants every property required and no others allowed.
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_STRING = {"type": "string"}
SCRIPT_SCHEMA = _strict_object(
    {
        "title": _STRING,
        "video_description": _STRING,
        "keywords": {"type": "array", "items": _STRING},
        "sections": {
            "type": "array",
            "items": _strict_object({"narration": _STRING, "image_prompt": _STRING}),
        },
    }
)
DESCRIPTION_SCHEMA = _strict_object({"contextual_description": _STRING})


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Completion(BaseModel):
    choices: list[_Choice] = Field(min_length=1)


class InvalidAnswer(Exception):
    """The model answered, but not with what the contract asks for."""

    def __init__(self, problem: str, content: str = "") -> None:
        super().__init__(problem)
        self.content = content


def _errors_text(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:8]
    ]
    return "; ".join(parts)


def _json_content(content: str) -> Any:
    text = content.strip()
    if fenced := _FENCE.match(text):
        # Some local models wrap JSON in a Markdown fence even in JSON mode.
        text = fenced.group(1)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not valid JSON ({exc})") from None


def parse_script(content: str, nb_section: int) -> _Script:
    try:
        script = _Script.model_validate(_json_content(content))
    except ValidationError as exc:
        raise InvalidAnswer(_errors_text(exc)) from None
    if len(script.sections) != nb_section:
        raise InvalidAnswer(f"expected exactly {nb_section} sections, got {len(script.sections)}")
    return script


def parse_description(content: str) -> str:
    try:
        return _Description.model_validate(_json_content(content)).contextual_description
    except ValidationError as exc:
        raise InvalidAnswer(_errors_text(exc)) from None


def _brief_message(brief: Brief) -> str:
    return orjson.dumps(
        {
            "title": brief.title or brief.topic,
            "description": brief.description,
            "keywords": list(brief.keywords),
            "video_inspirations": list(brief.inspirations),
        }
    ).decode()


def _dash(value: str) -> str:
    return value or "—"


class OpenAIWriter:
    provider = "openai"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        model: str,
        response_format: ResponseFormat,
        temperature: float,
        max_tokens: int | None,
        total_timeout_seconds: float,
        concurrency: int,
        attempts: int,
        backoff_seconds: float,
        max_retry_wait_seconds: float,
    ) -> None:
        """`client` carries the endpoint's timeouts and credentials; `total_timeout_seconds`
        bounds one whole request to this service, retries and the repair turn included."""
        self.model: str | None = model
        base = base_url.rstrip("/")
        self._url = f"{base}/chat/completions"
        self._host = httpx.URL(base).host
        self._client = client
        self._response_format = response_format
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._total_timeout_seconds = total_timeout_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._retry = RetryPolicy(
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            max_backoff_seconds=max_retry_wait_seconds,
            max_retry_after_seconds=max_retry_wait_seconds,
            # A completion only computes an answer: asking again doubles nothing.
            repeatable=True,
            # The whole request is bounded (total_timeout_seconds): a longer wait than the cap
            # is passed on to the caller as Retry-After rather than spent here.
            give_up_beyond_cap=True,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def write_script(self, brief: Brief) -> Draft:
        system = render(
            brief.language,
            "script",
            {
                "nb_section": brief.nb_section,
                "duration_s": round(brief.seconds),
                "target_words": brief.target_words,
                "words_per_section": max(1, round(brief.target_words / brief.nb_section)),
                "type_video": brief.type_video or "GENERAL",
                "style": _dash(brief.style),
            },
        )
        script = await self._ask(
            brief,
            system,
            ("script", SCRIPT_SCHEMA),
            lambda content: parse_script(content, brief.nb_section),
        )
        return Draft(
            title=script.title,
            scenes=[Scene(s.narration, s.image_prompt) for s in script.sections],
            keywords=script.keywords,
            video_description=script.video_description.strip(),
        )

    async def write_description(self, brief: Brief) -> str:
        system = render(
            brief.language,
            "description",
            {
                "type_video": brief.type_video or "GENERAL",
                "style": _dash(brief.style),
                "duration": f"{brief.duration_s:g} s" if brief.duration_s else "—",
            },
        )
        return await self._ask(
            brief, system, ("description", DESCRIPTION_SCHEMA), parse_description
        )

    def _fail(self, status: int, what: str, upstream: int | None = None) -> ApiError:
        return ApiError(
            status,
            f"Script provider openai ({self.model} at {self._host}) {what}",
            details={"provider": "openai", "model": self.model, "upstream_status": upstream},
        )

    async def _ask(
        self,
        brief: Brief,
        system: str,
        schema: tuple[str, dict[str, Any]],
        parse: Callable[[str], T],
    ) -> T:
        """One question, one repair turn if the answer is invalid, all within the time bound."""
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": _brief_message(brief)},
        ]
        total = self._total_timeout_seconds
        try:
            async with asyncio.timeout(total), self._slots:
                try:
                    return await self._attempt(messages, schema, parse)
                except InvalidAnswer as exc:
                    log.warning("invalid answer, asking for a repair", extra={"error": str(exc)})
                    repair = render(brief.language, "repair", {"error": str(exc)})
                    messages += [
                        {"role": "assistant", "content": exc.content},
                        {"role": "user", "content": repair},
                    ]
                try:
                    return await self._attempt(messages, schema, parse)
                except InvalidAnswer as exc:
                    log.warning("invalid answer after repair", extra={"error": str(exc)})
                    problem = str(exc)[:MAX_ERROR_CHARS]
                    raise self._fail(502, f"gave an invalid answer twice: {problem}") from None
        except TimeoutError:
            raise self._fail(504, f"did not answer within {total:g} s") from None

    async def _attempt(
        self,
        messages: list[dict[str, str]],
        schema: tuple[str, dict[str, Any]],
        parse: Callable[[str], T],
    ) -> T:
        content, cut_off = await self._complete(messages, schema)
        if cut_off:
            raise InvalidAnswer("the answer was cut off at the token limit: write less", content)
        try:
            return parse(content)
        except InvalidAnswer as exc:
            raise InvalidAnswer(str(exc), content) from None

    async def _complete(
        self, messages: list[dict[str, str]], schema: tuple[str, dict[str, Any]]
    ) -> tuple[str, bool]:
        """The answer's text, and whether it was cut off at the token limit."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self._temperature,
        }
        if self._response_format == "json_schema":
            name, json_schema = schema
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": json_schema},
            }
        else:
            body["response_format"] = {"type": "json_object"}
        if self._max_tokens:
            body["max_tokens"] = self._max_tokens
        try:
            response = await self._post(body)
        except UpstreamStatus as exc:
            raise self._status_error(exc) from None
        except CONNECTION_ERRORS:
            raise self._fail(503, "is unreachable") from None
        except httpx.TimeoutException:
            raise self._fail(504, "timed out") from None
        except httpx.HTTPError as exc:
            log.warning("transport error", extra={"error": repr(exc)})
            raise self._fail(502, "broke off the connection") from None
        return self._content(response)

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        return await self._retry.run(lambda: self._post_once(body))

    async def _post_once(self, body: dict[str, Any]) -> httpx.Response:
        response = await self._client.post(self._url, json=body)
        if response.status_code >= 400:
            log.warning(
                "provider answered %s",
                response.status_code,
                extra={"body": response.text[:500]},
            )
            raise UpstreamStatus(response.status_code, response.headers)
        return response

    def _status_error(self, exc: UpstreamStatus) -> ApiError:
        status = exc.status
        if status == 429:
            error = self._fail(503, "is rate limited (HTTP 429)", status)
            if exc.retry_after is not None:
                error.headers["Retry-After"] = str(math.ceil(exc.retry_after))
            return error
        if status == 503:
            return self._fail(503, "is unavailable (HTTP 503)", status)
        if status == 504:
            return self._fail(504, "timed out upstream (HTTP 504)", status)
        if status >= 500:
            return self._fail(502, f"failed (HTTP {status})", status)
        return self._fail(502, f"rejected the request (HTTP {status})", status)

    def _content(self, response: httpx.Response) -> tuple[str, bool]:
        try:
            completion = _Completion.model_validate_json(response.content)
        except ValidationError:
            log.warning("malformed completion", extra={"body": response.text[:500]})
            raise self._fail(502, "sent a malformed response", response.status_code) from None
        choice = completion.choices[0]
        if choice.message.refusal:
            raise self._fail(502, "refused to write this script", response.status_code)
        if not choice.message.content:
            raise self._fail(502, "sent an empty answer", response.status_code)
        return choice.message.content, choice.finish_reason == "length"
