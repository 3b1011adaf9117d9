"""E-mail alerts: subscribe from a catalogue filter, confirm by mail (double opt-in), receive a digest of the new
matching calls daily or weekly, unsubscribe in one click; signed-in people manage their own alerts."""

import contextvars
import html
import re

from sqlalchemy import select

from portal.catalog import alerts
from portal.catalog.alerts import Alert
from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.conftest import post_form

VISITOR = "jeanne.leroy@habitat-solidaire.fr"
CLAIRE = "claire.martin@asso-exemple.fr"
PAUL = "paul.durand@ccas-arras.fr"
TERRITORY = "Pas-de-Calais"
THEME = "prévention des expulsions"
OPEN = [{"key": "unique", "opens_on": "2026-03-01", "closes_on": "2026-06-30"}]


def publish(publish_call, slug: str, title: str, territory: str = TERRITORY, theme: str = THEME):
    return publish_call(slug, title=title, themes=[theme], territories=[{"name": territory}], windows=OPEN)


def publish_catalogue(publish_call, clock) -> None:
    """The calls already online on 2 March 2026: they give the alert form its choices."""
    clock("2026-03-02 09:00:00")
    publish(publish_call, "equipes-mobiles", "Équipes mobiles de prévention des expulsions")
    publish(publish_call, "microcredit-nord", "Microcrédit personnel accompagné", territory="Nord",
            theme="microcrédit")


def subscribe(client, email: str, frequency: str = "weekly", territory: str = TERRITORY, theme: str = THEME,
              **kwargs):
    return post_form(client, "/alertes/nouvelle", {"email": email, "territory": territory, "carrier": "",
                                                   "theme": theme, "frequency": frequency}, **kwargs)


def confirm_by_mail(client, mailbox, email: str = VISITOR) -> None:
    link = mailbox.link_in(mailbox.last_to(email), "/alertes/confirmer/")
    page = client.get(link)
    assert page.status_code == 200 and "Votre alerte est activée" in page.get_data(as_text=True)


def the_alert() -> Alert:
    db.session.expire_all()
    return db.session.scalars(select(Alert)).one()


def send_alerts(app) -> str:
    """`portal alerts send` as cron runs it: in a context of its own, with no web request around it."""
    result = contextvars.Context().run(app.test_cli_runner().invoke, args=["alerts", "send"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_the_alert_form_takes_the_filter_of_the_catalogue(client, publish_call, clock):
    publish_catalogue(publish_call, clock)
    catalogue = client.get(f"/appels/?territoire={TERRITORY}&theme={THEME}").get_data(as_text=True)
    link = html.unescape(re.search(r'href="(/alertes/nouvelle\?[^"]+)"', catalogue).group(1))

    form = client.get(link).get_data(as_text=True)
    assert f'<option selected value="{TERRITORY}">' in form
    assert f'<option selected value="{THEME}">' in form
    assert '<option value="Nord">' in form and '<option value="microcrédit">' in form  # from published calls


def test_an_anonymous_alert_sends_nothing_until_its_address_is_confirmed(client, mailbox, publish_call, clock):
    publish_catalogue(publish_call, clock)
    clock("2026-03-02 10:00:00")
    page = subscribe(client, VISITOR, form_page=f"/alertes/nouvelle?territoire={TERRITORY}&theme={THEME}")
    assert page.status_code == 200
    assert f"Un courriel vient d'être envoyé à <strong>{VISITOR}</strong>" in page.get_data(as_text=True)
    [confirmation] = mailbox.deliver()
    assert confirmation["To"] == VISITOR and "Confirmez votre alerte" in confirmation["Subject"]
    assert the_alert().confirmed_at is None

    clock("2026-03-04 10:00:00")
    publish(publish_call, "hebergement-62", "Hébergement d'urgence des ménages expulsés")
    clock("2026-03-16 10:00:00")
    assert alerts.send_due() == 0
    assert mailbox.deliver() == []
    assert db.session.query(OutboxMessage).count() == 1  # the confirmation only


def test_a_confirmed_weekly_alert_brings_the_new_matching_calls_only(app, client, mailbox, publish_call, clock):
    publish_catalogue(publish_call, clock)
    clock("2026-03-02 10:00:00")
    subscribe(client, VISITOR)
    mailbox.deliver()
    clock("2026-03-02 10:30:00")
    confirm_by_mail(client, mailbox)
    assert the_alert().confirmed_at is not None

    clock("2026-03-04 11:00:00")
    publish(publish_call, "hebergement-62", "Hébergement d'urgence des ménages expulsés")
    publish(publish_call, "hebergement-nord", "Hébergement d'urgence dans le Nord", territory="Nord")
    publish(publish_call, "microcredit-62", "Microcrédit dans le Pas-de-Calais", theme="microcrédit")

    clock("2026-03-06 07:00:00")
    assert "0 alerte(s)" in send_alerts(app)  # the week is not over
    assert mailbox.deliver() == []

    clock("2026-03-09 07:00:00")
    assert "1 alerte(s)" in send_alerts(app)
    [digest] = mailbox.deliver()
    assert digest["To"] == VISITOR and digest["Subject"] == "1 appel(s) nouveau(x) ou mis à jour"
    body = digest.get_content()
    assert "Hébergement d'urgence des ménages expulsés" in body
    assert f"{app.config['BASE_URL']}/appels/hebergement-62/" in body
    assert "dans le Nord" not in body and "Microcrédit" not in body
    assert "Équipes mobiles" not in body  # published before the alert was made


def daily_alert_of_claire(client, make_user, sign_in, publish_call, clock) -> None:
    publish_catalogue(publish_call, clock)
    make_user(CLAIRE)
    sign_in(client, CLAIRE)
    subscribe(client, CLAIRE, frequency="daily")


def test_a_daily_alert_is_not_sent_twice_on_the_same_day(client, mailbox, make_user, sign_in, publish_call,
                                                          clock):
    daily_alert_of_claire(client, make_user, sign_in, publish_call, clock)
    clock("2026-03-02 12:00:00")
    publish(publish_call, "hebergement-62", "Hébergement d'urgence des ménages expulsés")

    clock("2026-03-03 07:00:00")
    assert alerts.send_due() == 1
    clock("2026-03-03 12:00:00")
    publish(publish_call, "logement-62", "Accès au logement des jeunes")
    clock("2026-03-03 20:00:00")
    assert alerts.send_due() == 0
    [digest] = mailbox.deliver()
    assert "Hébergement d'urgence" in digest.get_content() and "Accès au logement" not in digest.get_content()

    clock("2026-03-04 07:00:00")
    assert alerts.send_due() == 1
    [digest] = mailbox.deliver()
    assert "Accès au logement" in digest.get_content() and "Hébergement d'urgence" not in digest.get_content()


def test_a_daily_alert_goes_out_every_day_even_when_cron_starts_a_little_earlier(
        client, mailbox, make_user, sign_in, publish_call, clock):
    daily_alert_of_claire(client, make_user, sign_in, publish_call, clock)
    clock("2026-03-02 12:00:00")
    publish(publish_call, "hebergement-62", "Hébergement d'urgence des ménages expulsés")
    clock("2026-03-03 07:00:05")
    assert alerts.send_due() == 1
    clock("2026-03-03 12:00:00")
    publish(publish_call, "logement-62", "Accès au logement des jeunes")

    clock("2026-03-04 07:00:01")  # same cron line, the machine was a few seconds quicker today
    assert alerts.send_due() == 1
    assert [m["To"] for m in mailbox.deliver()] == [CLAIRE, CLAIRE]


def test_one_click_unsubscribe_from_the_digest(app, client, mailbox, make_user, sign_in, publish_call, clock):
    daily_alert_of_claire(client, make_user, sign_in, publish_call, clock)
    clock("2026-03-02 12:00:00")
    publish(publish_call, "hebergement-62", "Hébergement d'urgence des ménages expulsés")
    clock("2026-03-03 07:00:00")
    send_alerts(app)
    [digest] = mailbox.deliver()
    link = mailbox.link_in(digest, "/alertes/desabonner/")
    assert digest["List-Unsubscribe"] == f"<{app.config['BASE_URL']}{link}>"  # the public site's address

    mail_client = app.test_client()  # the mail software, with no session and no CSRF token (RFC 8058)
    page = mail_client.get(link)
    assert page.status_code == 200 and "Me désabonner" in page.get_data(as_text=True)
    assert db.session.query(Alert).count() == 1  # opening the link (or a link checker) deletes nothing

    done = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Vous êtes désabonné" in done.get_data(as_text=True)
    assert db.session.query(Alert).count() == 0
    again = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert "Cette alerte n'existe plus" in again.get_data(as_text=True)

    clock("2026-03-05 07:00:00")
    publish(publish_call, "logement-62", "Accès au logement des jeunes")
    clock("2026-03-06 07:00:00")
    assert alerts.send_due() == 0


def test_a_signed_in_person_alerting_her_own_address_needs_no_confirmation_and_can_delete_it(
        client, mailbox, make_user, sign_in, publish_call, clock):
    publish_catalogue(publish_call, clock)
    make_user(CLAIRE)
    sign_in(client, CLAIRE)
    form = client.get("/alertes/nouvelle").get_data(as_text=True)
    assert f'value="{CLAIRE}"' in form  # her address is proposed

    response = subscribe(client, CLAIRE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/alertes/")
    assert mailbox.deliver() == []
    assert the_alert().confirmed_at is not None
    mine = client.get("/alertes/").get_data(as_text=True)
    assert "Votre alerte est enregistrée." in mine
    assert f"{TERRITORY} · tous porteurs · {THEME}" in mine and "Active" in mine

    alert = the_alert()
    deleted = post_form(client, f"/alertes/{alert.id}/supprimer", {}, form_page="/alertes/")
    assert deleted.status_code == 302
    assert db.session.query(Alert).count() == 0
    assert "Vous n'avez aucune alerte." in client.get("/alertes/").get_data(as_text=True)


def test_a_signed_in_person_alerting_another_address_must_confirm_it(client, mailbox, make_user, sign_in,
                                                                     publish_call, clock):
    publish_catalogue(publish_call, clock)
    make_user(CLAIRE)
    sign_in(client, CLAIRE)
    assert subscribe(client, VISITOR).status_code == 200
    assert [m["To"] for m in mailbox.deliver()] == [VISITOR]
    assert the_alert().confirmed_at is None


def test_nobody_can_delete_someone_elses_alert(app, client, make_user, sign_in, publish_call, clock):
    publish_catalogue(publish_call, clock)
    make_user(CLAIRE)
    make_user(PAUL, name="Paul Durand")
    sign_in(client, CLAIRE)
    subscribe(client, CLAIRE)
    alert = the_alert()

    paul = app.test_client()
    sign_in(paul, PAUL)
    assert alert.email not in paul.get("/alertes/").get_data(as_text=True)
    refused = post_form(paul, f"/alertes/{alert.id}/supprimer", {}, form_page="/alertes/nouvelle")
    assert refused.status_code == 404
    assert db.session.query(Alert).count() == 1


def test_an_invalid_address_gets_a_french_error(client, mailbox, publish_call, clock):
    publish_catalogue(publish_call, clock)
    page = subscribe(client, "jeanne.leroy@")
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Le formulaire contient 1 erreur" in text
    assert "Saisissez une adresse électronique valide, par exemple nom@exemple.fr." in text
    assert db.session.query(Alert).count() == 0
    assert mailbox.deliver() == []


def test_the_confirmation_link_expires_after_seven_days(client, mailbox, publish_call, clock):
    publish_catalogue(publish_call, clock)
    clock("2026-03-02 10:00:00")
    subscribe(client, VISITOR)
    link = mailbox.link_in(mailbox.deliver()[0], "/alertes/confirmer/")

    clock("2026-03-09 10:00:01")
    expired = client.get(link)
    assert expired.status_code == 400 and "expiré" in expired.get_data(as_text=True)
    assert the_alert().confirmed_at is None
