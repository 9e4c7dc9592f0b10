"""Cross-cutting protections: rate limits, login throttling, security headers, the audit log."""
