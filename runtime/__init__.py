"""What every deployable runs on: the app factory, request context, logs, storage, media probing,
captions and HTTP to upstreams.

This package may import `contracts` (the wire format); `contracts` never imports it.
"""
