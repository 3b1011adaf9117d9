"""Shared services that know no domain: database base, time, money, text, Markdown, security headers."""
