"""PDF documents (receipts, decisions, review sheets) drawn from Jinja templates by WeasyPrint, offline:
a document reads only the project's static folder and data: URIs, so rendering never waits on, leaks to or
depends on the network, and a user's text cannot make the server fetch an address it chose."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from weasyprint import HTML, URLFetcher
from weasyprint.document import Document


class OfflineFetcher(URLFetcher):
    """Serves file:// URLs inside the static folder and data: URIs; refuses everything else."""

    def __init__(self, static_folder: Path, static_url_path: str) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.root = static_folder.resolve()
        self.url_prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return super().fetch(self.static_path(url).as_uri(), headers)
        # WeasyPrint logs the refusal and draws the document without the resource.
        raise ValueError(f"refused to fetch {url!r}: PDF rendering reads only the static folder")

    def static_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused to fetch {url!r}: not a local file")
        path = url2pathname(parts.path)
        candidate = Path(path).resolve()
        # url_for('static', ...) gives "/static/css/pdf.css", which the base URL turns into file:///static/css/pdf.css.
        if not candidate.is_relative_to(self.root) and path.startswith(self.url_prefix):
            candidate = (self.root / path.removeprefix(self.url_prefix)).resolve()
        if not candidate.is_relative_to(self.root):
            raise ValueError(f"refused to fetch {url!r}: outside the static folder")
        return candidate


def render_pdf(template: str, **context) -> bytes:
    """Render `template` (usually extending pdf/base.html) to PDF bytes; needs an application context.

    Relative references resolve against the static folder (`href="css/pdf.css"`), so a template also renders in a
    command-line job; `url_for('static', ...)` paths, which need a request, are mapped to the same folder."""
    return layout_pdf(template, **context).write_pdf()


def layout_pdf(template: str, **context) -> Document:
    """The laid-out pages of `template` before they are written: their boxes tell where each text stands."""
    html = render_template(template, **context)
    static = Path(current_app.static_folder or "static").resolve()
    fetcher = OfflineFetcher(static, current_app.static_url_path or "/static")
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=fetcher).render()
