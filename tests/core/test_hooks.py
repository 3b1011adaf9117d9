"""A downstream domain adds to an upstream page through a slot, in the order asked, and adds nothing when it gives None."""

import pytest
from flask import Flask
from jinja2 import DictLoader

from portal.core import hooks


@pytest.fixture
def bare_app():
    app = Flask(__name__)
    app.jinja_loader = DictLoader({
        "upstream.html": "<ul>{% for entry in contributions('navigation', user=user) %}<li>{{ entry.label }}</li>"
                         "{% endfor %}</ul>{% for html in contributions('call.apply', call=call) %}{{ html }}{% endfor %}",
        "downstream.html": "<form>{{ call }} & co</form>",
    })
    hooks.register(app)
    return app


def test_contributions_show_in_order_and_none_adds_nothing(bare_app):
    hooks.contribute(bare_app, "navigation", lambda user: hooks.NavEntry("Second", "b.index"), order=20)
    hooks.contribute(bare_app, "navigation", lambda user: hooks.NavEntry("Premier", "a.index") if user else None, order=10)
    hooks.contribute(bare_app, "call.apply", hooks.fragment("downstream.html"))
    with bare_app.test_request_context():
        from flask import render_template

        assert render_template("upstream.html", user="someone", call="x<y") == (
            "<ul><li>Premier</li><li>Second</li></ul><form>x&lt;y & co</form>")
        assert render_template("upstream.html", user=None, call="c") == "<ul><li>Second</li></ul><form>c & co</form>"


def test_an_unknown_slot_is_refused_and_apps_do_not_share_contributions(bare_app):
    with pytest.raises(KeyError, match="Unknown slot"):
        hooks.contribute(bare_app, "call.aply", lambda **context: None)
    hooks.contribute(bare_app, "call.apply", lambda **context: "un")
    other = Flask("other")
    hooks.register(other)
    with other.test_request_context():
        assert hooks.contributions("call.apply", call=None) == []
