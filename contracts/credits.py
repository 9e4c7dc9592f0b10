"""Credits, top-ups and admin grants (seed 001's credit service)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.auth import Tier
from contracts.text import no_nul

EntryType = Literal["grant", "purchase", "deduction", "refund"]
# An upper bound for any single grant or purchase, whatever the settings say.
MAX_CREDITS_AT_ONCE = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreditEntry(BaseModel):
    type: EntryType
    amount: int
    description: str
    createdAt: str
    balance: int = Field(description="The balance after this entry")
    job_id: str | None = None


class CreditBalance(BaseModel):
    balance: int
    tier: Tier
    history: list[CreditEntry]


class TopupRequest(_Strict):
    quantity: int = Field(ge=1, le=MAX_CREDITS_AT_ONCE, description="Credits to buy")


class TopupSession(BaseModel):
    stripeSessionId: str
    redirectUrl: str
    quantity: int
    amount: int = Field(description="What Checkout charges, in the currency's smallest unit")
    currency: str


class StripeWebhookAck(BaseModel):
    received: bool
    granted: bool
    message: str


class GrantRequest(_Strict):
    amount: int = Field(ge=1, le=MAX_CREDITS_AT_ONCE)
    # Length first, then NUL: pydantic words a length error on a validated type oddly.
    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(no_nul)]


class GrantResult(BaseModel):
    userId: str
    newBalance: int
    message: str
