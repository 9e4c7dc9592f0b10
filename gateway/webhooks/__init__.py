"""Webhooks: endpoints users register for events (signed deliveries on the queue), and the
signed calls other systems make to the gateway."""
