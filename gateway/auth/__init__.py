"""Authentication: passwords, tokens, sessions, mail, and who is asking (the principal)."""
