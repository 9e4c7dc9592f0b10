"""Publishing to YouTube: OAuth per user (or channel), encrypted tokens, the Data API, uploads."""
