"""E-mail alerts on new and updated calls matching a catalogue filter, daily or weekly. Double opt-in: an
alert sends nothing until its address is confirmed; every message carries a one-click unsubscribe link."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import Integer, String, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.catalog import queries
from portal.core import audit, mail, personal_data, tokens
from portal.core.db import Base, UTCDateTime, check_in
from portal.core.labels import Labelled, labelled
from portal.core.time import now, today_paris
from portal.core.urls import external_url
from portal.extensions import db


class Frequency(Labelled):
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def period(self) -> dt.timedelta:
        return PERIOD[self]


FREQUENCIES = labelled(Frequency, {Frequency.DAILY: "Chaque jour", Frequency.WEEKLY: "Chaque semaine"})
PERIOD = {Frequency.DAILY: dt.timedelta(days=1), Frequency.WEEKLY: dt.timedelta(days=7)}
CONFIRM_DAYS = 7


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (check_in("frequency", Frequency, name="frequency"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the account that made it, if any
    territory: Mapped[str] = mapped_column(String(200), default="")
    carrier: Mapped[str] = mapped_column(String(40), default="")
    theme: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def criteria(self) -> queries.CatalogFilter:
        return queries.CatalogFilter(territory=self.territory, carrier=self.carrier, theme=self.theme, status="tout")


def subscribe(email: str, frequency: str, *, territory: str = "", carrier: str = "", theme: str = "",
              account=None) -> Alert:
    """A signed-in person alerting her own, confirmed address needs no opt-in; anyone else gets a link."""
    email = email.strip().lower()
    alert = Alert(email=email, frequency=frequency, territory=territory, carrier=carrier, theme=theme,
                  created_at=now(), unsubscribe_token=secrets.token_urlsafe(32),
                  user_id=account.id if account is not None else None)
    if account is not None and account.email == email:
        alert.confirmed_at = now()
    db.session.add(alert)
    db.session.flush()
    if alert.confirmed_at is None:
        mail.enqueue(email, "Confirmez votre alerte sur les appels à projets", "alert_confirm",
                     url=external_url("alerts.confirm", token=tokens.make("alert", alert.id)),
                     alert=alert, days=CONFIRM_DAYS, frequency=FREQUENCIES[frequency])
    audit.record("alert.subscribe", actor=account, target=f"alert:{alert.id}")
    db.session.flush()
    return alert


def confirm(token: str) -> Alert:
    alert_id, _ = tokens.read("alert", token, CONFIRM_DAYS * 86400)
    alert = db.session.get(Alert, uuid.UUID(alert_id))
    if alert is None:
        raise tokens.InvalidToken("Cette alerte n'existe plus.")
    if alert.confirmed_at is None:
        alert.confirmed_at = now()
        db.session.flush()
    return alert


def by_unsubscribe_token(token: str) -> Alert | None:
    return db.session.scalar(select(Alert).where(Alert.unsubscribe_token == token))


def unsubscribe(alert: Alert) -> None:
    audit.record("alert.unsubscribe", target=f"alert:{alert.id}")
    db.session.delete(alert)
    db.session.flush()


def alerts_of(user_id: int, email: str) -> list[Alert]:
    return list(db.session.scalars(select(Alert).where(or_(Alert.user_id == user_id, Alert.email == email))
                                   .order_by(Alert.created_at)))


def send_due(moment: dt.datetime | None = None) -> int:
    """Queue one digest per confirmed alert whose period has elapsed and which has new or updated calls; the
    command around it commits."""
    moment = moment or now()
    queued = 0
    for alert in db.session.scalars(select(Alert).where(Alert.confirmed_at.is_not(None))):
        since = alert.last_sent_at or alert.confirmed_at
        if today_paris(moment) - today_paris(since) < Frequency(alert.frequency).period:  # days, as cron runs: not hours
            continue
        changed = queries.changed_since(alert.criteria, since, moment)
        alert.last_sent_at = moment
        if changed:
            mail.enqueue(alert.email, f"{len(changed)} appel(s) nouveau(x) ou mis à jour", "alert_digest",
                         unsubscribe_url=external_url("alerts.unsubscribe", token=alert.unsubscribe_token),
                         calls=[item.call for item in changed], alert=alert,
                         urls={item.call.slug: external_url("catalog.detail", slug=item.call.slug)
                               for item in changed})
            queued += 1
    db.session.flush()
    return queued


def _export(user_id: int, email: str) -> list[dict]:
    return [{"email": a.email, "territoire": a.territory, "porteur": a.carrier, "theme": a.theme,
             "frequence": a.frequency, "confirmee": a.confirmed_at is not None} for a in alerts_of(user_id, email)]


def _erase(user_id: int, email: str) -> None:
    for alert in alerts_of(user_id, email):
        db.session.delete(alert)


personal_data.register("alertes", _export, _erase)
