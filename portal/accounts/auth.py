"""Sign-up, e-mail confirmation, sign-in and password reset. No answer, message or timing tells a visitor
whether an e-mail address has an account."""

from __future__ import annotations

import datetime as dt

from portal.accounts import passwords, sessions
from portal.accounts.models import User
from portal.accounts.queries import normalise_email, user_by_email
from portal.core import audit, mail, tokens
from portal.core.errors import Refusal
from portal.core.time import now
from portal.core.urls import external_url
from portal.extensions import db

CONFIRM_HOURS = 48
RESET_HOURS = 1


def sign_up(email: str, name: str, password: str) -> None:
    """Create the account and send the confirmation link; for an address already known, send its owner a
    note instead, so the page says the same thing either way."""
    email = normalise_email(email)
    # Hashed whether or not the address is known: argon2 is the slow step, and doing it for new addresses only
    # would let the answer time tell which addresses have an account.
    password_hash = passwords.hash_password(password)
    existing = user_by_email(email)
    if existing is not None:
        mail.enqueue(email, "Une inscription a été demandée avec votre adresse", "account_exists",
                     name=existing.name, sign_in_url=external_url("accounts.sign_in"),
                     reset_url=external_url("accounts.forgot_password"))
    else:
        user = User(email=email, name=name.strip(), password_hash=password_hash, created_at=now())
        db.session.add(user)
        db.session.flush()
        _send_confirmation(user)
        audit.record("account.sign_up", actor=user, target=f"user:{user.id}")
    db.session.flush()


def _send_confirmation(user: User) -> None:
    token = tokens.make("confirm", user.id, user.email)
    mail.enqueue(user.email, "Confirmez votre adresse électronique", "confirm_email", name=user.name,
                 url=external_url("accounts.confirm", token=token), hours=CONFIRM_HOURS)


def confirm_email(token: str) -> User:
    user_id, email = tokens.read("confirm", token, CONFIRM_HOURS * 3600)
    user = db.session.get(User, int(user_id))
    if user is None or user.deleted_at is not None or user.email != email:
        raise tokens.InvalidToken("Ce lien n'est pas valide.")
    if user.confirmed_at is not None:
        raise tokens.InvalidToken("Ce lien a déjà été utilisé : votre adresse est confirmée, vous pouvez vous connecter.")
    user.confirmed_at = now()
    audit.record("account.confirm", actor=user, target=f"user:{user.id}")
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The user whose e-mail and password match, or a Refusal with one message for every failure."""
    user = user_by_email(email)
    if user is None:
        passwords.verify(passwords.DUMMY_HASH, password)  # same work as for a real account
        raise Refusal("Adresse électronique ou mot de passe incorrect.")
    if not passwords.verify(user.password_hash, password):
        # Kept although refused: the view calls unit_of_work.keep(), so the log shows the attempts.
        audit.record("account.sign_in_failed", target=f"user:{user.id}")
        db.session.flush()
        raise Refusal("Adresse électronique ou mot de passe incorrect.")
    if user.confirmed_at is None:
        _send_confirmation(user)  # kept as the failed attempt is (the view keeps the refused request's writes)
        db.session.flush()
        raise Refusal("Votre adresse n'est pas encore confirmée : nous venons de vous renvoyer le lien de "
                           "confirmation par courriel.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.previous_login_at, user.last_login_at = user.last_login_at, now()
    audit.record("account.sign_in", actor=user, target=f"user:{user.id}")
    db.session.flush()
    return user


def request_password_reset(email: str) -> None:
    user = user_by_email(email)
    if user is not None:
        token = tokens.make("reset", user.id, _reset_state(user))
        mail.enqueue(user.email, "Choisir un nouveau mot de passe", "reset_password", name=user.name,
                     url=external_url("accounts.reset_password", token=token), hours=RESET_HOURS)
        audit.record("account.reset_requested", target=f"user:{user.id}")
        db.session.flush()


def _reset_state(user: User) -> str:
    # Bound to the current hash: once the password changes, every earlier reset link stops working.
    return user.password_hash[-16:]


def user_for_reset(token: str) -> User:
    user_id, state = tokens.read("reset", token, RESET_HOURS * 3600)
    user = db.session.get(User, int(user_id))
    if user is None or user.deleted_at is not None or _reset_state(user) != state:
        raise tokens.InvalidToken("Ce lien a déjà été utilisé ou n'est plus valide. Demandez-en un nouveau.")
    return user


def reset_password(token: str, password: str) -> User:
    user = user_for_reset(token)
    _set_password(user, password)
    sessions.end_all(user, now(), "password_reset")  # whoever knew the old password is signed out everywhere
    if user.confirmed_at is None:
        user.confirmed_at = now()  # the link reached the mailbox: the address is proven
    audit.record("account.password_reset", actor=user, target=f"user:{user.id}")
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not passwords.verify(user.password_hash, current):
        raise Refusal("Le mot de passe actuel est incorrect.")
    _set_password(user, new)
    sessions.end_all(user, now(), "password_changed", keep_current=True)  # the other devices, not this one
    audit.record("account.password_changed", actor=user, target=f"user:{user.id}")
    db.session.flush()


def _set_password(user: User, password: str) -> None:
    problem = passwords.password_problem(password, user.email)
    if problem:
        raise Refusal(problem)
    user.password_hash = passwords.hash_password(password)


def create_confirmed_user(email: str, name: str, password: str, at: dt.datetime | None = None) -> User:
    """For the command line and demo data: an account whose address is taken as confirmed."""
    problem = passwords.password_problem(password, email)
    if problem:
        raise Refusal(problem)
    if user_by_email(email) is not None:
        raise Refusal(f"Un compte existe déjà pour {normalise_email(email)}.")
    moment = at or now()
    user = User(email=normalise_email(email), name=name, password_hash=passwords.hash_password(password),
                created_at=moment, confirmed_at=moment)
    db.session.add(user)
    db.session.flush()
    return user
