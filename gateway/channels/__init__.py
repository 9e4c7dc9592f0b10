"""Channels (seed 003): a user's YouTube channels, each with its own grant and the defaults
its generated videos take."""
