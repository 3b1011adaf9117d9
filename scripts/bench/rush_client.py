"""The browsers of the closing-hour benchmark (rush.py): an applicant who signs in, clicks « Candidater », saves
the draft, uploads five PDFs and deposits; a visitor reading the catalogue. Standard library only (http.client
and threads): one new connection per request, as nginx opens towards the application servers by default."""

from __future__ import annotations

import hashlib
import http.client
import http.cookies
import json
import os
import random
import re
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

from upload import CSRF

MB = 1024 * 1024
SLOTS = ("statuts", "cerfa-12156", "budget", "rapport", "comptes")
ANSWERS = {"q.objectifs": "Aller vers les ménages menacés d'expulsion avant l'audience.", "q.menages": "120",
           "q.territoires": ["Artois", "Lens-Hénin"], "q.equipe.0.fonction": "Travailleuse sociale",
           "q.equipe.0.etp": "1,5", "cerfa.amount_requested": "12 000", "budget.64": "15 000",
           "budget.74-departement": "12 000", "budget.75": "3 000,00", "decl.casf": "1"}
ORGANISATION = re.compile(r'name="organisation_id" value="([0-9a-f-]{36})"')
NUMBER = re.compile(r"<dt>Numéro de candidature</dt><dd><strong>([^<]+)</strong>")
RECEIPT_HASH = re.compile(r'<code class="hash">([0-9a-f]{64})</code>')
PDF_HEAD, PDF_TAIL = b"%PDF-1.4\n%", b"\n%%EOF\n"


class Failure(Exception):
    """What went wrong for a client, by kind: 5xx, timeout, connection, refused (a 4xx or a page saying no)."""

    def __init__(self, kind: str, step: str, detail: str) -> None:
        super().__init__(f"{kind} at {step}: {detail}")
        self.kind, self.step, self.detail = kind, step, detail


@dataclass
class Sample:
    step: str
    seconds: float
    status: int  # 0 when no answer came


class Recorder:
    """Latencies and failures of every thread, under one lock."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()

    def sample(self, step: str, seconds: float, status: int) -> None:
        with self.lock:
            self.samples.append(Sample(step, seconds, status))

    def failure(self, failure: Failure) -> None:
        with self.lock:
            self.failures.append(failure)


# ---- files ---------------------------------------------------------------------------------------------------------

class Pool:
    """Random bytes cut into files: each file is a PDF header with its own nonce, a slice of the pool and %%EOF.
    Built once before the rush, so that the clients spend no CPU making or hashing files while it runs."""

    def __init__(self, megabytes: int, seed: int) -> None:
        self.bytes = memoryview(random.Random(seed).randbytes(megabytes * MB))


@dataclass(frozen=True)
class PlannedFile:
    slot: str
    name: str
    head: bytes
    offset: int
    length: int
    sha256: str

    def parts(self, pool: Pool) -> list[bytes | memoryview]:
        return [self.head, pool.bytes[self.offset:self.offset + self.length], PDF_TAIL]

    @property
    def size(self) -> int:
        return len(self.head) + self.length + len(PDF_TAIL)


def plan_files(pool: Pool, rng: random.Random, smallest_mb: float, largest_mb: float) -> list[PlannedFile]:
    planned = []
    for slot in SLOTS:
        head = PDF_HEAD + uuid.uuid4().hex.encode() + b"\n"
        size = rng.randint(int(smallest_mb * MB), int(largest_mb * MB))
        length = size - len(head) - len(PDF_TAIL)
        offset = rng.randint(0, len(pool.bytes) - length)
        digest = hashlib.sha256()
        for part in (head, pool.bytes[offset:offset + length], PDF_TAIL):
            digest.update(part)
        planned.append(PlannedFile(slot, f"{slot}-{os.urandom(3).hex()}.pdf", head, offset, length,
                                   digest.hexdigest()))
    return planned


# ---- HTTP ----------------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    location: str
    text: str


class Browser:
    """Cookies, and the servers taken in turn request after request (a load balancer without sticky sessions)."""

    def __init__(self, ports: list[int], first: int, timeout: float, recorder: Recorder) -> None:
        self.ports, self.turn, self.timeout, self.recorder = ports, first, timeout, recorder
        self.cookies: dict[str, str] = {}
        # The address nginx would forward for this visitor (the servers trust one proxy): each browser its own.
        self.address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    def request(self, step: str, method: str, path: str, body=None, headers: dict | None = None) -> Answer:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        headers = {**(headers or {}), "Connection": "close", "X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError as error:
            self.recorder.sample(step, time.perf_counter() - started, 0)
            raise Failure("timeout", step, f"{method} {path}: no answer within {self.timeout:.0f} s") from error
        except (OSError, http.client.HTTPException) as error:
            self.recorder.sample(step, time.perf_counter() - started, 0)
            raise Failure("connection", step, f"{method} {path}: {error!r}") from error
        finally:
            connection.close()
        self.recorder.sample(step, time.perf_counter() - started, response.status)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        answer = Answer(response.status, urllib.parse.urlsplit(response.headers.get("Location", "")).path,
                        data.decode("utf-8", "replace"))
        if answer.status >= 500:
            raise Failure("5xx", step, f"{method} {path}: HTTP {answer.status}")
        return answer

    def page(self, step: str, path: str) -> tuple[str, str]:
        """GET a page holding a form; returns (the page, its CSRF token)."""
        answer = self.request(step, "GET", path)
        token = CSRF.search(answer.text)
        if answer.status != 200 or token is None:
            raise Failure("refused", step, f"GET {path}: HTTP {answer.status}, no form")
        return answer.text, token.group(1)

    def post_form(self, step: str, path: str, fields: dict) -> Answer:
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.request(step, "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, token: str, planned: PlannedFile, pool: Pool) -> Answer:
        """The page's upload form with JavaScript on (X-Upload: a JSON answer), one real multipart body."""
        boundary = uuid.uuid4().hex
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{planned.name}"\r\n'
                "Content-Type: application/pdf\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        parts = [head, *planned.parts(pool), tail]
        return self.request("upload", "POST", path, parts, {
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Upload": "1",
            "Content-Length": str(sum(len(part) for part in parts))})


# ---- an applicant --------------------------------------------------------------------------------------------------

@dataclass
class Applicant:
    email: str
    password: str
    files: list[PlannedFile]
    application_id: str | None = None
    number: str | None = None  # what the receipt page said
    receipt_hashes: list[str] = field(default_factory=list)
    told_ok: bool = False
    failure: Failure | None = None


def apply(browser: Browser, applicant: Applicant, slug: str, window_id: int, pool: Pool) -> None:
    """The whole deposit as a browser does it; stops at the first thing that goes wrong, as a user would."""
    _, token = browser.page("page", "/compte/connexion")
    answer = browser.post_form("sign-in", "/compte/connexion",
                               {"csrf_token": token, "email": applicant.email, "password": applicant.password})
    _expect(answer, "sign-in", lambda a: a.status == 302 and "/compte/connexion" not in a.location)

    page, token = browser.page("page", f"/appels/{slug}/")
    organisation = ORGANISATION.search(page)
    if organisation is None:
        raise Failure("refused", "start", "no « Candidater » form on the call page")
    answer = browser.post_form("start", "/candidatures/nouvelle", {
        "csrf_token": token, "window_id": window_id, "organisation_id": organisation.group(1)})
    _expect(answer, "start", lambda a: a.status == 302 and re.fullmatch(r"/candidatures/[0-9a-f-]{36}/", a.location))
    url = answer.location
    applicant.application_id = url.split("/")[2]

    _, token = browser.page("page", f"{url}formulaire")
    answer = browser.post_form("save", f"{url}formulaire", {"csrf_token": token, **ANSWERS})
    _expect(answer, "save", lambda a: a.status == 302 and a.location == f"{url}formulaire")

    _, token = browser.page("page", f"{url}pieces")
    for planned in applicant.files:
        answer = browser.upload(f"{url}pieces/{planned.slot}", token, planned, pool)
        _expect(answer, "upload", lambda a: a.status == 200 and json.loads(a.text).get("ok") is True)

    _, token = browser.page("page", f"{url}deposer")
    answer = browser.post_form("submit", f"{url}deposer", {"csrf_token": token})
    _expect(answer, "submit", lambda a: a.status == 302 and a.location == f"{url}versions/1")
    receipt = browser.request("receipt page", "GET", answer.location)
    number = NUMBER.search(receipt.text)
    _expect(receipt, "receipt page", lambda a: a.status == 200 and number is not None)
    applicant.number = number.group(1)
    applicant.receipt_hashes = RECEIPT_HASH.findall(receipt.text)
    applicant.told_ok = True


def _expect(answer: Answer, step: str, check) -> None:
    try:
        ok = bool(check(answer))
    except ValueError:  # an upload answered with something else than JSON
        ok = False
    if not ok:
        said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))[:160]
        raise Failure("refused", step, f"HTTP {answer.status} → {answer.location or '-'}: {said}")


def run_applicant(browser: Browser, applicant: Applicant, slug: str, window_id: int, pool: Pool,
                  start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        apply(browser, applicant, slug, window_id, pool)
    except Failure as failure:
        applicant.failure = failure
        browser.recorder.failure(failure)


# ---- visitors ------------------------------------------------------------------------------------------------------

def visit(browser: Browser, slug: str, pause: float, stop: threading.Event) -> None:
    """Read the catalogue, then the call, until told to stop; a failure is counted and the reading goes on."""
    while not stop.is_set():
        for step, path in (("catalogue", "/appels/"), ("call page", f"/appels/{slug}/")):
            _read(browser, step, path)
            stop.wait(pause)


def hammer(browser: Browser, step: str, path: str, until: float) -> None:
    """GET the same address again and again until `until` (the throughput phase)."""
    while time.monotonic() < until:
        _read(browser, step, path)


def _read(browser: Browser, step: str, path: str) -> None:
    """One GET that must answer 200; anything else is recorded as a failure of `step`, and the reader goes on."""
    try:
        answer = browser.request(step, "GET", path)
        if answer.status != 200:
            raise Failure("refused", step, f"GET {path}: HTTP {answer.status}")
    except Failure as failure:
        browser.recorder.failure(failure)
