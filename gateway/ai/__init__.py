"""The user's own AI media: seed 001's AI jobs, seed 002's voices, avatars and AI images."""
