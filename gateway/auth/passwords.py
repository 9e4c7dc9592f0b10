"""Password hashing with argon2 (pwdlib), off the event loop and bounded in concurrency.

Every login costs one verification whether or not the account exists: an unknown email is
checked against a dummy hash, so response time does not reveal which emails are registered.
"""

from __future__ import annotations

import asyncio
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int, concurrency: int) -> None:
        self.hasher = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))
        # Each hash holds memory_kib of RAM for its duration: bound how many run at once.
        self.slots = asyncio.Semaphore(concurrency)
        self.dummy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        async with self.slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, a new hash when the stored one uses outdated parameters)."""
        async with self.slots:
            if stored is None:
                await asyncio.to_thread(self.hasher.verify, password, self.dummy)
                return False, None
            return await asyncio.to_thread(self.hasher.verify_and_update, password, stored)
