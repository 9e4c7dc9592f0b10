"""Buying credits with Stripe Checkout, through the official `stripe` library.

A top-up creates a Checkout session for `quantity` credits and records it (`credit_topups`,
keyed by the session id) with who buys and how many. Stripe then calls the webhook; its
signature is verified (`stripe.Webhook.construct_event`, with the configured tolerance, so an
old event replayed by someone else is refused), and a paid session grants the credits recorded
at creation under the ledger key `stripe:<session id>`: exactly once, however often Stripe
delivers the event or how many of its events name the session.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import stripe

from contracts.credits import StripeWebhookAck, TopupSession
from contracts.errors import ApiError
from gateway.clock import now_iso
from gateway.credits.ledger import CreditLedger
from gateway.db import Database, Doc
from gateway.settings import GatewaySettings

log = logging.getLogger("gateway.credits")
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
NETWORK_RETRIES = 2
PRODUCT_NAME = "AI Video Studio credits"


def not_configured(setting: str) -> ApiError:
    # 404, not 503: nothing will start working by trying again until an operator sets it.
    return ApiError(404, f"Payments are not configured on this server ({setting})")


class Payments:
    def __init__(self, settings: GatewaySettings, db: Database, ledger: CreditLedger) -> None:
        self.settings = settings
        self.topups = db.db["credit_topups"]
        self.ledger = ledger
        self._client: stripe.StripeClient | None = None
        self._http: stripe.HTTPXClient | None = None

    def client(self) -> stripe.StripeClient:
        s = self.settings
        if not s.stripe_api_key:
            raise not_configured("STRIPE_API_KEY")
        if self._client is None:
            self._http = stripe.HTTPXClient(timeout=s.stripe_timeout_seconds)
            self._client = stripe.StripeClient(
                s.stripe_api_key,
                base_addresses={"api": s.stripe_api_base},
                http_client=self._http,
                # Safe: the library sends an idempotency key with every retried POST.
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()  # type: ignore[no-untyped-call]

    def _return_url(self, configured: str | None, outcome: str) -> str:
        return configured or f"{self.settings.public_base_url}/credits?checkout={outcome}"

    async def create_topup(self, user_id: str, quantity: int) -> TopupSession:
        s = self.settings
        if quantity > s.credits_topup_max:
            raise ApiError(
                422,
                f"quantity: a top-up buys between 1 and {s.credits_topup_max} credits",
                details={"field": "quantity", "max": s.credits_topup_max},
            )
        client = self.client()
        amount = quantity * s.credit_price_cents
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": quantity,
                    "price_data": {
                        "currency": s.stripe_currency,
                        "unit_amount": s.credit_price_cents,
                        "product_data": {"name": PRODUCT_NAME},
                    },
                }
            ],
            "success_url": self._return_url(s.stripe_success_url, "success"),
            "cancel_url": self._return_url(s.stripe_cancel_url, "cancelled"),
            "client_reference_id": user_id,
            "metadata": {"user_id": user_id, "credits": str(quantity)},
        }
        try:
            session = await client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"topup-{uuid.uuid4().hex}"},
            )
        except stripe.APIConnectionError as exc:
            log.warning("stripe unreachable: %s", exc)
            raise ApiError(
                503, "Stripe is unreachable; try again shortly", headers={"Retry-After": "5"}
            ) from None
        except stripe.StripeError as exc:
            log.warning("stripe refused the checkout session: %s", exc)
            raise ApiError(502, "Stripe did not create the checkout session") from None
        if not session.id or not session.url:
            raise ApiError(502, "Stripe answered a checkout session without an id or URL")
        await self.topups.insert_one(
            {
                "_id": session.id,
                "user_id": user_id,
                "quantity": quantity,
                "amount": amount,
                "currency": s.stripe_currency,
                "status": "open",
                "createdAt": now_iso(),
            }
        )
        return TopupSession(
            stripeSessionId=session.id,
            redirectUrl=session.url,
            quantity=quantity,
            amount=amount,
            currency=s.stripe_currency,
        )

    async def webhook(self, payload: bytes, signature: str | None) -> StripeWebhookAck:
        s = self.settings
        if not s.stripe_webhook_secret:
            raise not_configured("STRIPE_WEBHOOK_SECRET")
        if not signature:
            raise ApiError(401, "Missing Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, s.stripe_webhook_secret, s.stripe_webhook_tolerance_seconds
            )
        except stripe.SignatureVerificationError as exc:
            reason = str(exc.user_message)
            if "tolerance" in reason:
                tolerance = s.stripe_webhook_tolerance_seconds
                reason = f"the event was signed more than {tolerance} seconds ago"
            raise ApiError(401, f"Invalid Stripe signature: {reason}") from None
        except ValueError:
            raise ApiError(400, "The body is not a Stripe event (invalid JSON)") from None
        if event.type not in PAID_EVENTS:
            return StripeWebhookAck(received=True, granted=False, message=f"Ignored {event.type}")
        session: Doc = event.data.object.to_dict()
        if session.get("payment_status") != "paid":
            return StripeWebhookAck(
                received=True, granted=False, message="The payment has not completed yet"
            )
        return await self._grant(str(session.get("id")), event.id)

    async def _grant(self, session_id: str, event_id: str) -> StripeWebhookAck:
        topup = await self.topups.find_one({"_id": session_id})
        if topup is None:
            log.warning("stripe event %s names an unknown session %s", event_id, session_id)
            return StripeWebhookAck(
                received=True, granted=False, message=f"Unknown checkout session: {session_id}"
            )
        quantity = int(topup["quantity"])
        _, appended = await self.ledger.post(
            topup["user_id"],
            f"stripe:{session_id}",
            "purchase",
            quantity,
            f"Purchase of {quantity} credits",
            stripe_session_id=session_id,
            stripe_event_id=event_id,
        )
        await self.topups.update_one(
            {"_id": session_id}, {"$set": {"status": "paid", "paidAt": now_iso()}}
        )
        if not appended:
            return StripeWebhookAck(
                received=True, granted=False, message="These credits were already granted"
            )
        return StripeWebhookAck(received=True, granted=True, message=f"Granted {quantity} credits")
