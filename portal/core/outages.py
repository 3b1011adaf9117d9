"""Faults of the machine, not of the user: the upload store's disk is full, the database is out of reach. The
user reads in French what happened and that their saved work is safe; the operator gets one log line, not a
traceback; the portal answers again by itself once the fault is gone."""

from __future__ import annotations

import errno

from flask import Flask, current_app, render_template
from sqlalchemy import exc

# Seconds a client (or a reverse proxy) should wait before trying again after a 503.
RETRY_AFTER = 60

# What a failing database raises: refused or dropped connections, a lock held too long, an exhausted pool.
DATABASE_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def is_disk_full(error: BaseException) -> bool:
    """The store's disk (ENOSPC) or the portal's quota (EDQUOT) is full: not the user's fault, nor their file's."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_message(error: OSError) -> str:
    """Log the fault for the operator and return what the person uploading reads. Any other OSError is not this
    fault: it is raised again, so a view may catch OSError and call this alone."""
    if not is_disk_full(error):
        raise error
    current_app.logger.error("upload refused, the upload store is full: %s", error)
    return ("Le fichier n'a pas pu être enregistré : l'espace de stockage du portail est plein. Votre brouillon "
            "est intact ; réessayez plus tard ou écrivez à "
            f"{current_app.config['CONTACT_EMAIL']} si le problème persiste.")


def register(app: Flask) -> None:
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _database_unavailable)
    app.register_error_handler(OSError, _disk_full)


def _database_unavailable(error: exc.SQLAlchemyError):
    from portal.extensions import db

    app = current_app._get_current_object()
    app.logger.error("database unavailable, answered 503: %s", str(error).splitlines()[0])
    # The failed transaction is thrown away and the connection handed back (the pool replaces it once the
    # database answers again: pool_pre_ping), so the next request starts clean without a restart.
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE as lost:
        app.logger.warning("rollback on the lost connection failed too: %s", str(lost).splitlines()[0])
    db.session.remove()
    # The page must read nothing from the database: it does not extend base.html, whose menu asks who is signed
    # in, and it is rendered without the context processors, since Flask-Login's loads the signed-in person.
    config = app.config
    page = app.jinja_env.get_template("errors/503.html").render(
        site_name=config["SITE_NAME"], issuer_name=config["ISSUER_NAME"], theme=config["THEME"],
        contact_email=config["CONTACT_EMAIL"])
    response = app.make_response((page, 503))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _disk_full(error: OSError):
    """Anywhere else a full disk stops a request (the upload views answer on their own form instead)."""
    if not is_disk_full(error):
        raise error
    current_app.logger.error("request failed, a disk is full: %s", error)
    response = current_app.make_response((render_template("errors/disk_full.html"), 507))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response
