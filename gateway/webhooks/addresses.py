"""Which endpoint URLs a delivery may reach: not this host, its network or the cloud metadata
service (server-side request forgery), checked on every address the name resolves to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from contracts.errors import ApiError

RESOLVE_TIMEOUT_SECONDS = 5.0
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _kind(address: IpAddress) -> str | None:
    """Why an address is refused, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not a public unicast address"
    return None


def _parts(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ApiError(422, "url: must start with http:// or https://")
    if not parts.hostname:
        raise ApiError(422, "url: has no host name")
    if parts.username or parts.password:
        raise ApiError(422, "url: must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ApiError(422, "url: the port is not a number from 0 to 65535") from None
    return parts.hostname, port


async def check_url(url: str, allow_private: bool) -> None:
    """Refuse (422) a URL whose host is, or resolves to, a non-public address."""
    host, port = _parts(url)
    if allow_private:
        return
    try:
        infos = await asyncio.wait_for(
            asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM),
            RESOLVE_TIMEOUT_SECONDS,
        )
    except (OSError, TimeoutError):
        raise ApiError(422, f"url: the host {host} could not be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        kind = _kind(address)
        if kind is not None:
            raise ApiError(
                422,
                f"url: {host} resolves to {address}, {kind}; "
                "webhook endpoints must be reachable on the public internet",
            )
