"""Sign-ins held on the server. Flask's session and the « rester connecté » cookie are signed, not stored: a copy
taken before sign-out would stay valid for weeks. Each sign-in therefore opens a row whose random token those
cookies carry; Flask-Login's loader accepts a cookie only while its row is open, so signing out — here, on every
device, or by changing the password — ends exactly what was issued."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import SignInSession, User
from portal.core import audit
from portal.extensions import db

# The « rester connecté » cookie lasts 30 days (REMEMBER_COOKIE_DURATION) in the browser, but Flask-Login does not
# date its content: a copy would work for ever. Its session ends here after the same 30 days, copy or not. A session
# without it needs no such date: Flask refuses a session cookie 31 days after it was last written.
REMEMBERED_FOR = dt.timedelta(days=30)


def _still_open(at: dt.datetime):
    return _open_if_remembered_since(at - REMEMBERED_FOR)


def _open_if_remembered_since(since):
    return sa.and_(SignInSession.ended_at.is_(None),
                   sa.or_(SignInSession.remember.is_(False), SignInSession.created_at >= since))


# Flask-Login's loader runs on every signed-in request: its statement is built once, the instant a parameter, not
# again at each request (issue 18: a tenth of a small page's CPU). It brings the person's memberships and roles with
# her: nearly every page asks them (the header's menus, each permission on an application or an organisation); one
# statement instead of three takes 0.40 ms instead of 0.63 (18 statements fewer in a deposit, docs/BENCHMARKS.md,
# run 5). A person has a handful of each, so the joined rows stay few.
_RESUME = (sa.select(User).join(SignInSession, SignInSession.user_id == User.id)
           .where(User.id == sa.bindparam("user_id"), SignInSession.token_hash == sa.bindparam("token_hash"),
                  _open_if_remembered_since(sa.bindparam("remembered_since")))
           .options(orm.joinedload(User.memberships), orm.joinedload(User.grants)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, remember: bool, at: dt.datetime) -> None:
    """Open a session for this sign-in; the user object then carries its token for Flask-Login's get_id."""
    # Rows that can no longer open anything are dropped here, on a write the person makes anyway.
    db.session.execute(sa.delete(SignInSession).where(SignInSession.user_id == user.id, sa.not_(_still_open(at))))
    token = secrets.token_urlsafe(32)
    db.session.add(SignInSession(user_id=user.id, token_hash=_hash(token), remember=remember, created_at=at))
    db.session.flush()
    user.session_token = token


def resume(session_id: str, at: dt.datetime) -> User | None:
    """Flask-Login's loader: the person of "<user id>:<token>" if that session is still open, else nobody."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isdigit() and token):
        return None
    user = db.session.execute(_RESUME, {"user_id": int(user_id), "token_hash": _hash(token),
                                        "remembered_since": at - REMEMBERED_FOR}).unique().scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    user.session_token = token
    return user


def end(user: User, at: dt.datetime) -> None:
    """Sign out of this device: its cookies, and any copy of them, open nothing any more."""
    if user.session_token:
        db.session.execute(sa.update(SignInSession)
                           .where(SignInSession.token_hash == _hash(user.session_token), SignInSession.ended_at.is_(None))
                           .values(ended_at=at, ended_reason="sign_out"))
    audit.record("account.sign_out", actor=user, target=f"user:{user.id}")


def end_all(user: User, at: dt.datetime, reason: str, keep_current: bool = False) -> int:
    """Close every open session of the person (but this one when keep_current); return how many were closed."""
    query = sa.update(SignInSession).where(SignInSession.user_id == user.id, _still_open(at))
    if keep_current and user.session_token:
        query = query.where(SignInSession.token_hash != _hash(user.session_token))
    closed = db.session.execute(query.values(ended_at=at, ended_reason=reason)).rowcount
    audit.record("account.sessions_ended", actor=user, target=f"user:{user.id}", reason=reason, closed=closed)
    return closed


def open_count(user: User, at: dt.datetime) -> int:
    """How many devices are signed in to the account (this one included), for the account page."""
    return db.session.scalar(sa.select(sa.func.count(SignInSession.id)).where(
        SignInSession.user_id == user.id, _still_open(at))) or 0


def export(user: User) -> list[dict]:
    """The person's sign-ins, for the personal data download."""
    rows = db.session.scalars(sa.select(SignInSession).where(SignInSession.user_id == user.id)
                              .order_by(SignInSession.created_at))
    return [{"ouverte_le": row.created_at.isoformat(), "rester_connecte": row.remember,
             "fermee_le": row.ended_at.isoformat() if row.ended_at else None} for row in rows]
