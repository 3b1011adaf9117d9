"""Signed, expiring links (e-mail confirmation, password reset, alert opt-in). The signature time comes from
the portal's clock so that tests can stand past the expiry; a `state` value bound into the token lets the
caller make it single-use (it changes once the link has been used)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.core.time import now


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(now().timestamp())


class InvalidToken(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal.{purpose}", signer=_ClockSigner)


def make(purpose: str, subject: str | int, state: str = "") -> str:
    return _serializer(purpose).dumps([str(subject), state])


def read(purpose: str, token: str, max_age_seconds: int) -> tuple[str, str]:
    """Return (subject, state) or raise InvalidToken with a French message."""
    try:
        subject, state = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise InvalidToken("Ce lien a expiré. Demandez-en un nouveau.") from error
    except (BadSignature, ValueError, TypeError) as error:
        raise InvalidToken("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.") from error
    return subject, state
