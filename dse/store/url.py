"""Database URLs as users may see them: the password never leaves this module."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for every message, log and file."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        text = str(url)
        if "@" in text and "://" in text:  # unparsable: keep the scheme and host part only
            scheme, rest = text.split("://", 1)
            return f"{scheme}://***@{rest.rsplit('@', 1)[-1]}"
        return text
