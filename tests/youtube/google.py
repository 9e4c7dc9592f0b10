"""Google's documented HTTP contracts, answered in-process through respx: the OAuth endpoints
and the YouTube Data API, with a resumable upload that keeps the bytes it received."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import respx
from respx.patterns import M

AUTH = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN = "https://oauth2.googleapis.com/token"
REVOKE = "https://oauth2.googleapis.com/revoke"
API = "https://www.googleapis.com/youtube/v3"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
THUMBNAILS = "https://www.googleapis.com/upload/youtube/v3/thumbnails/set"
VIDEO_ID = "dQw4w9WgXcQ"
CHANNEL = {
    "id": "UC_test_channel",
    "snippet": {
        "title": "Stoic Mornings",
        "thumbnails": {"high": {"url": "https://yt3.example/avatar.jpg"}},
    },
    "statistics": {"subscriberCount": "1200", "videoCount": "14", "viewCount": "98765"},
}


def quota_exceeded() -> httpx.Response:
    return httpx.Response(
        403,
        json={
            "error": {
                "code": 403,
                "message": "The request cannot be completed because you have exceeded your quota.",
                "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}],
            }
        },
    )


@dataclass
class Session:
    metadata: dict[str, Any]
    size: int
    received: bytearray = field(default_factory=bytearray)
    # Ranges of every chunk PUT, as "a-b" (or "*" for a status query).
    puts: list[str] = field(default_factory=list)


@dataclass
class FakeGoogle:
    mock: respx.MockRouter
    code: str = "auth-code-1"
    access: str = "access-1"
    refresh: str = "refresh-1"
    # Tokens Google accepts on API calls (a refresh adds the new one).
    valid: set[str] = field(default_factory=set)
    revoked: bool = False
    sessions: dict[str, Session] = field(default_factory=dict)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    revoke_forms: list[dict[str, str]] = field(default_factory=list)
    thumbnails: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    playlist_items: list[dict[str, Any]] = field(default_factory=list)
    # Faults to play once: "drop" (the connection breaks after half a chunk arrived),
    # "expire" (the access token stops working), "revoke" (the grant is revoked at Google).
    faults: list[str] = field(default_factory=list)
    insert_answer: httpx.Response | None = None

    def authorized(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") in self.valid

    # --- OAuth ----------------------------------------------------------------------------

    def token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_forms.append(form)
        if form.get("grant_type") == "authorization_code":
            if form.get("code") != self.code:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.valid.add(self.access)
            self.revoked = False  # connected again
            return httpx.Response(
                200,
                json={
                    "access_token": self.access,
                    "refresh_token": self.refresh,
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/youtube.upload",
                    "token_type": "Bearer",
                },
            )
        if self.revoked or form.get("refresh_token") != self.refresh:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "Token has been revoked."}
            )
        new = f"access-{len(self.token_forms)}"
        self.valid.add(new)
        return httpx.Response(200, json={"access_token": new, "expires_in": 3599})

    def revoke(self, request: httpx.Request) -> httpx.Response:
        self.revoke_forms.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        self.revoked = True
        self.valid.clear()
        return httpx.Response(200)

    # --- the Data API ---------------------------------------------------------------------

    def api(self, request: httpx.Request) -> httpx.Response:
        if not self.authorized(request):
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "Invalid Credentials"}}
            )
        path = request.url.path.removeprefix("/youtube/v3")
        params = dict(request.url.params)
        if path == "/channels":
            return httpx.Response(200, json={"items": [CHANNEL]})
        if path == "/videos" and request.method == "GET":
            ids = params.get("id", "").split(",")
            items = [
                {
                    "id": i,
                    "snippet": {"title": f"Live title {i}", "categoryId": "27", "tags": ["old"]},
                    "statistics": {"viewCount": "1250"},
                }
                for i in ids
                if i == VIDEO_ID
            ]
            return httpx.Response(200, json={"items": items})
        if path == "/videos" and request.method == "PUT":
            body = json.loads(request.content)
            self.updates.append(body)
            return httpx.Response(200, json=body)
        if path == "/playlists":
            body = json.loads(request.content)
            return httpx.Response(200, json={"id": "PLtest123", **body})
        if path == "/playlistItems":
            body = json.loads(request.content)
            self.playlist_items.append(body)
            return httpx.Response(200, json={"id": f"item-{len(self.playlist_items)}", **body})
        return httpx.Response(404, json={"error": {"code": 404, "message": "no such path"}})

    def thumbnail(self, request: httpx.Request) -> httpx.Response:
        if not self.authorized(request):
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "Invalid Credentials"}}
            )
        self.thumbnails.append(request.url.params["videoId"])
        return httpx.Response(200, json={"items": [{"default": {"url": "https://i.ytimg/x.jpg"}}]})

    def insert(self, request: httpx.Request) -> httpx.Response:
        if not self.authorized(request):
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "Invalid Credentials"}}
            )
        if self.insert_answer is not None:
            return self.insert_answer
        assert request.url.params["uploadType"] == "resumable"
        upload_id = uuid.uuid4().hex
        size = int(request.headers["X-Upload-Content-Length"])
        self.sessions[upload_id] = Session(json.loads(request.content), size)
        return httpx.Response(
            200, headers={"Location": f"{UPLOAD}?uploadType=resumable&upload_id={upload_id}"}
        )

    def chunk(self, request: httpx.Request) -> httpx.Response:
        """A PUT on a session: a status query (`bytes */N`) or the next chunk. Faults strike
        in the middle of the upload: on a chunk after the first."""
        session = self.sessions[request.url.params["upload_id"]]
        match = re.fullmatch(r"bytes (\*|(\d+)-(\d+))/(\d+)", request.headers["Content-Range"])
        assert match is not None
        query = match.group(1) == "*"
        fault = (
            self.faults.pop(0) if self.faults and not query and int(match.group(2)) > 0 else None
        )
        if fault in ("expire", "revoke"):
            self.valid.clear()
            self.revoked = fault == "revoke"
        if not self.authorized(request):
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "Invalid Credentials"}}
            )
        if query:
            session.puts.append("*")
            return self._where(session)
        start, end = int(match.group(2)), int(match.group(3))
        session.puts.append(f"{start}-{end}")
        assert start == len(session.received), "a chunk must start at the next byte"
        assert len(request.content) == end - start + 1
        if fault == "drop":
            # Half the chunk arrived, then the connection broke.
            session.received += request.content[: len(request.content) // 2]
            raise httpx.ReadError("connection reset by peer")
        session.received += request.content
        return self._where(session)

    def _where(self, session: Session) -> httpx.Response:
        if len(session.received) == session.size:
            video = {
                "kind": "youtube#video",
                "id": VIDEO_ID,
                "snippet": session.metadata["snippet"],
                "status": {**session.metadata["status"], "uploadStatus": "uploaded"},
            }
            return httpx.Response(200, json=video)
        if not session.received:
            return httpx.Response(308)
        return httpx.Response(308, headers={"Range": f"bytes=0-{len(session.received) - 1}"})


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def fake_google() -> Iterator[FakeGoogle]:
    with respx.mock(assert_all_called=False) as mock:
        google = FakeGoogle(mock)
        # The tests' own calls go through; port 9 is where test gateways look for the services.
        mock.route(M(host="127.0.0.1") & ~M(port=9)).pass_through()
        mock.post(TOKEN).mock(side_effect=google.token)
        mock.post(REVOKE).mock(side_effect=google.revoke)
        mock.post(url__startswith=THUMBNAILS).mock(side_effect=google.thumbnail)
        mock.post(url__startswith=UPLOAD).mock(side_effect=google.insert)
        mock.put(url__startswith=UPLOAD).mock(side_effect=google.chunk)
        mock.route(url__startswith=API).mock(side_effect=google.api)
        yield google
