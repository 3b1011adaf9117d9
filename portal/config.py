"""Settings read from the environment, with defaults that are safe for a single local instance."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _instance_secret(instance_dir: Path) -> str:
    """Keep one random secret per instance, so sessions survive restarts without a shared default key."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _trusted_hosts(base_url: str, listed: str) -> list[str]:
    """The host names the portal answers to: BASE_URL's, the loopback names a health check uses on the server
    itself, and those of PORTAL_TRUSTED_HOSTS (comma-separated). Flask answers 400 to any other Host header."""
    extra = [name.strip() for name in listed.split(",") if name.strip()]
    return list(dict.fromkeys([urlsplit(base_url).hostname or "localhost", "localhost", "127.0.0.1", *extra]))


# The fictitious issuer of the demo data (portal demo load) and the default publisher's name.
DEMO_ISSUER = "Département de démonstration"


class Config:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        self.INSTANCE_DIR = Path(env.get("PORTAL_INSTANCE_DIR", ROOT / "instance"))
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "PORTAL_DATABASE_URL", f"sqlite:///{self.INSTANCE_DIR / 'portal.db'}"
        )
        self.SECRET_KEY = env.get("PORTAL_SECRET_KEY") or _instance_secret(self.INSTANCE_DIR)
        self.UPLOAD_DIR = Path(env.get("PORTAL_UPLOAD_DIR", ROOT / "uploads"))
        self.CALLS_DIR = Path(env.get("PORTAL_CALLS_DIR", ROOT / "calls"))
        # Absolute URL of the public site, used in feeds, calendars and open data where no request is at hand.
        self.BASE_URL = env.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Every absolute link is built from BASE_URL (core.urls), and a request for another host is refused.
        self.TRUSTED_HOSTS = _trusted_hosts(self.BASE_URL, env.get("PORTAL_TRUSTED_HOSTS", ""))
        self.SITE_NAME = env.get("PORTAL_SITE_NAME", "Portail des appels à projets")
        # By default the fictitious issuer of the demo calls, so that a local portal names one issuer throughout.
        self.ISSUER_NAME = env.get("PORTAL_ISSUER_NAME", DEMO_ISSUER)
        # The issuer's logo in the header: a file under static/ (img/logo.svg) or a path on this site; none by default.
        self.ISSUER_LOGO = env.get("PORTAL_ISSUER_LOGO") or None
        # Publisher's postal address and publication director, and the host, for the legal notice (LCEN, art. 6).
        self.ISSUER_ADDRESS = env.get("PORTAL_ISSUER_ADDRESS", "")
        self.PUBLICATION_DIRECTOR = env.get("PORTAL_PUBLICATION_DIRECTOR", "")
        self.HOST = env.get("PORTAL_HOST", "")
        # Where people write about accessibility and personal data (shown on /accessibilite and the legal pages).
        self.CONTACT_EMAIL = env.get("PORTAL_CONTACT_EMAIL", "contact@appels-a-projets.localhost")
        # The day the accessibility statement was established or last updated (ISO date), shown on /accessibilite.
        self.ACCESSIBILITY_STATEMENT_DATE = env.get("PORTAL_ACCESSIBILITY_STATEMENT_DATE", "2026-11-23")
        # The issuer's multi-year accessibility plan (« schéma pluriannuel »), linked from the statement when set.
        self.ACCESSIBILITY_PLAN_URL = env.get("PORTAL_ACCESSIBILITY_PLAN_URL") or None
        # "neutre" (default): no State identity, for a Département or any body with its own brand. "etat": the
        # State's bloc-marque « République française » and its blue and red, for State services only.
        self.THEME = env.get("PORTAL_THEME", "neutre")
        if self.THEME not in ("neutre", "etat"):
            raise ValueError(f"PORTAL_THEME doit valoir « neutre » ou « etat », pas « {self.THEME} »")
        # Each worker process keeps its own pool: servers x workers x (pool size + overflow) must stay below
        # PostgreSQL's max_connections. Unset, SQLAlchemy's defaults (5 + 10) apply.
        pool = {name: int(env[variable]) for name, variable in (("pool_size", "PORTAL_DATABASE_POOL_SIZE"),
                                                                 ("max_overflow", "PORTAL_DATABASE_MAX_OVERFLOW"))
                if env.get(variable)}
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, **pool}
        # Behind a reverse proxy (nginx, a load balancer): how many proxies stand in front and append to
        # X-Forwarded-For/-Proto, so rate limits and the audit log see the visitor's address and links say https.
        # 0 when browsers reach the portal directly: trusting those headers would let anyone choose their address.
        self.PROXY_COUNT = int(env.get("PORTAL_PROXY_COUNT", "0"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("PORTAL_SECURE_COOKIES", "0") == "1"
        self.WTF_CSRF_TIME_LIMIT = None  # a long application form must not expire its token mid-work
        self.JSON_SORT_KEYS = False
        self.REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # Rate limits: in memory for one process; Redis (redis://host:6379) when several servers share them.
        self.RATELIMIT_STORAGE_URI = env.get("PORTAL_RATELIMIT_STORAGE", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Public pages (catalogue, a call, API, feeds, open data): how long a browser or a proxy may keep them, at
        # most; never past the next status change of a call they list (core.http_cache).
        self.PUBLIC_CACHE_SECONDS = int(env.get("PORTAL_PUBLIC_CACHE_SECONDS", "60"))
        # The rendered-page cache for visitors who are not signed in (core.page_cache): shared in Redis when the
        # rate limits already are there, or PORTAL_PAGE_CACHE_URL=redis://host:6379/1; in each process otherwise;
        # « none » renders every time. PAGE_CACHE_SECONDS bounds how long an entry is kept (and its memory).
        shared = self.RATELIMIT_STORAGE_URI if self.RATELIMIT_STORAGE_URI.startswith("redis") else "memory://"
        self.PAGE_CACHE_URL = env.get("PORTAL_PAGE_CACHE_URL", shared)
        self.PAGE_CACHE_SECONDS = int(env.get("PORTAL_PAGE_CACHE_SECONDS", "600"))
        # How long each process holds the catalogue's version (core.held_state): a publication made by another
        # process shows on this one's kept pages within that time; status changes stay exact to the second.
        self.PAGE_CACHE_STATE_SECONDS = float(env.get("PORTAL_PAGE_CACHE_STATE_SECONDS", "1"))
        self.LOGIN_LIMIT_ACCOUNT = env.get("PORTAL_LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes")
        self.LOGIN_LIMIT_ADDRESS = env.get("PORTAL_LOGIN_LIMIT_ADDRESS", "30 per 15 minutes")
        self.FORM_LIMIT_ADDRESS = env.get("PORTAL_FORM_LIMIT_ADDRESS", "20 per hour")  # sign-up, reset, alerts
        self.SMTP_URL = env.get("PORTAL_SMTP_URL", "smtp://127.0.0.1:25")
        self.MAIL_FROM = env.get("PORTAL_MAIL_FROM", "ne-pas-repondre@appels-a-projets.localhost")
        # Antivirus for uploads: clamd at tcp://host:3310 or unix:///run/clamav/clamd.ctl; unset, files are
        # recorded as not scanned (never as clean).
        self.CLAMD_URL = env.get("PORTAL_CLAMD_URL") or None
        # Uploads: a slot's own limit comes from the call (at most 500 Mo); this caps one request and one application.
        self.APPLICATION_MAX_MB = int(env.get("PORTAL_APPLICATION_MAX_MB", "500"))
        self.MAX_CONTENT_LENGTH = (self.APPLICATION_MAX_MB + 20) * 1024 * 1024
        # The follow-up after award (portal/followup). A line of the Cerfa n°15059 whose actual amount departs from
        # the deposited Cerfa 12156 budget by more than this share of it (in %) must be explained in the annex: a
        # threshold of the issuer's choosing, not the law's.
        self.FOLLOWUP_GAP_THRESHOLD_PERCENT = Decimal(
            env.get("PORTAL_FOLLOWUP_GAP_THRESHOLD_PERCENT", "15").replace(",", ".").strip())
        # `portal followup remind-conventions` reminds an organisation of a convention sent and still unsigned after
        # this many days, then once every such period.
        self.FOLLOWUP_SIGNATURE_REMINDER_DAYS = int(env.get("PORTAL_FOLLOWUP_SIGNATURE_REMINDER_DAYS", "15"))
        # Development only: administrators read the outbox in the browser (it holds sign-in links).
        self.SHOW_OUTBOX = env.get("PORTAL_SHOW_OUTBOX", "0") == "1"


class TestConfig(Config):
    def __init__(self, database_url: str, instance_dir: Path, calls_dir: Path | None = None) -> None:
        super().__init__({"PORTAL_DATABASE_URL": database_url, "PORTAL_SECRET_KEY": "test-secret",
                          "PORTAL_RATELIMIT_STORAGE": os.environ.get("PORTAL_RATELIMIT_STORAGE", "memory://"),
                          "PORTAL_INSTANCE_DIR": str(instance_dir),
                          "PORTAL_UPLOAD_DIR": str(instance_dir / "uploads"),
                          # One application serves the whole suite, whose rolled-back tests reuse ids and instants:
                          # a page kept by one test could be the next one's. Tests of the cache give it a store.
                          "PORTAL_PAGE_CACHE_URL": "none",
                          # Read at every request: a test changes the database between two requests without
                          # waiting; tests/core/test_page_cache.py holds it to test the holding.
                          "PORTAL_PAGE_CACHE_STATE_SECONDS": "0",
                          **({"PORTAL_CALLS_DIR": str(calls_dir)} if calls_dir else {})})
        self.TESTING = True
