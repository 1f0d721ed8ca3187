"""Submit load: gunicorn on PostgreSQL, complete questionnaires driven through the real pages on loopback.

    .venv/bin/python bench/submit_load.py [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--respondents 480] [--concurrency 32] [--seconds 60] [--workers 2] [--threads 4] [--floor-seconds 8]
        [--burst 2400] [--rounds 3]

What it does, in one run:

1. creates a throwaway database next to the one given (dropped at the end), migrates it, loads the bundled
   instruments, creates a campaign and ``--respondents`` invitations to ``spi-internal``, and ``--burst`` ×
   ``--rounds`` more whose drafts already hold complete answers;
2. serves ``wsgi:app`` with gunicorn (``--workers`` processes of the gthread worker, ``--threads`` threads
   each: one process per core for the CPU-bound rendering, threads to overlap the waits on PostgreSQL), and
   beside it the floor app (5.) with the same configuration;
3. ``--concurrency`` respondents (threads over ``--client-processes`` processes, each respondent with its own
   keep-alive connection and cookies, as separate browsers) each take an
   invitation and answer every page: GET the page, parse the CSRF token and the fields from the form, POST the
   answers, follow the redirect, until the thank-you page; bounded by the invitations and ``--seconds``;
4. in each of ``--rounds`` rounds, posts ``--burst`` final submits at once (the last page of each complete
   draft, from ``--concurrency`` clients), then measures the insert floor for ``--floor-seconds``: each burst
   is compared with the floor measured right after it, and the check uses the median of the rounds' ratios,
   because the machine is shared and its speed drifts within a run;
5. the floors, with the same gunicorn configuration and load generator: a bare Flask + SQLAlchemy endpoint
   that inserts one JSON row, and a bare page with a 60-item radio form rendered by WTForms' default widgets
   and by a lean Jinja macro;
6. checks that the database holds exactly one response per completed questionnaire and burst submit (none
   lost, none doubled), that every spent invitation has one, and that every answered floor insert is stored.

Not a test: the figures depend on the machine. Write them into docs/benchmarks.md with the command.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import os
import queue
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SPECIAL = {"dk", "na"}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CHOICE = re.compile(r'<input type="(radio|checkbox)" id="[^"]*" name="([^"]+)" value="([^"]+)"')
_TEXT = re.compile(r'<input (?:class="short" )?type="text"(?: inputmode="(\w+)")?[^>]* name="([^"]+)"')
_AREA = re.compile(r'<textarea [^>]*name="([^"]+)"')


# Setup -----------------------------------------------------------------------------------------------------


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of ``url``; dropped afterwards."""
    base = sa.engine.make_url(url)
    name = f"bench_submit_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def prepare(
    database_url: str, instance: Path, secrets_env: dict[str, str], count: int, burst: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """Migrate, load the bundled instruments, create a campaign; the invitation tokens for the page phase,
    and ``burst`` (token, last page key) whose drafts hold complete answers, for the submit phase."""
    import numpy as np
    from flask_migrate import upgrade

    from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
    from survey_app import create_app
    from survey_app.domain.campaigns import create_campaign
    from survey_app.domain.institutions import import_units
    from survey_app.domain.invitations import issue_invitations
    from survey_app.domain.questionnaires import store_questionnaire
    from survey_app.domain.synthetic import synthetic_answers
    from survey_app.extensions import db
    from survey_app.models import Draft
    from survey_app.respondent.versions import loaded_version
    from survey_app.tokens import token_hash

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance, **secrets_env})
    with app.app_context():
        upgrade()
        today = date.today()
        import_units(
            io.StringIO(
                "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
                "BENCH,Pemerintah Kota Bench,SETDA,Sekretariat Daerah,,5000\n"
            )
        )
        versions = {
            q.group.value: store_questionnaire(q, today)[0]
            for q in map(load_bundled_questionnaire, ("spi-internal", "spi-external", "spi-expert"))
        }
        campaign = create_campaign(
            institution_code="BENCH",
            title="Bench",
            slug="bench",
            period=str(today.year),
            profile=load_bundled_profile("spi-2024"),
            versions=versions,
            opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=30),
        )
        tokens = issue_invitations(campaign, "internal", "SETDA", count)
        finishing = issue_invitations(campaign, "internal", "SETDA", burst)
        version = versions["internal"]
        loaded = loaded_version(version.content_hash, lambda: version.canonical_json)
        rng = np.random.default_rng(1)
        moment = datetime.now(UTC) - timedelta(minutes=10)
        ready = []
        for token in finishing:
            answers = synthetic_answers(loaded.questionnaire, rng)
            last = loaded.plan.visible_pages(loaded.plan.clean(answers))[-1]
            db.session.add(
                Draft(
                    key=token_hash(token),
                    campaign_id=campaign.id,
                    questionnaire_version_id=version.id,
                    respondent_group="internal",
                    answers=answers,
                    current_page=last.key,
                    started_at=moment,
                    updated_at=moment,
                )
            )
            ready.append((token, last.key))
        db.session.commit()
        db.engine.dispose()
    return tokens, ready


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int, chdir: Path) -> Iterator[str]:
    port = free_port()
    command = [
        str(GUNICORN),
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(chdir),
        "--log-level", "warning",
        app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/ping-not-found", timeout=20)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start: {' '.join(command)}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(15)


# Respondents -----------------------------------------------------------------------------------------------


@dataclass
class Timings:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    completed: int = 0

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.by_kind[kind].append(seconds)


class Browser:
    """A keep-alive connection with a cookie jar.

    Hand-written instead of ``requests.Session`` because client and server share the two cores: requests
    spends several times more CPU per request than ``http.client``, which would measure the client.
    """

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, Any] | str | None = None
    ) -> tuple[int, str, str]:
        """(status, Location header, body) without following redirects; ``form`` as a dict or encoded."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = form if isinstance(form, str) else urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        reply = self.connection.getresponse()
        text = reply.read().decode("utf-8")
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return reply.status, reply.headers.get("Location", ""), text

    def close(self) -> None:
        self.connection.close()


_FORMS: dict[str, dict[str, Any]] = {}


def answers_for(html: str, page_key: str | None = None) -> dict[str, Any]:
    """An answer for every field of the form: 'tidak' or the first substantive option, a number, a text.

    Every respondent gives the same answers, so they see the same pages: the fields of a page are parsed
    once per client process (``page_key``) and only the CSRF token is read from every page, to keep the
    load generator's share of the two cores small.
    """
    if page_key is not None and page_key in _FORMS:
        return {**_FORMS[page_key], "csrf_token": csrf(html)}
    data: dict[str, Any] = {"csrf_token": csrf(html), "action": "next"}
    options: dict[str, tuple[str, list[str]]] = {}
    for kind, name, value in _CHOICE.findall(html):
        options.setdefault(name, (kind, []))[1].append(value)
    for name, (kind, values) in options.items():
        pick = "tidak" if "tidak" in values else next(v for v in values if v not in SPECIAL)
        data[name] = [pick] if kind == "checkbox" else pick
    for inputmode, name in _TEXT.findall(html):
        data[name] = "3" if inputmode else "Pelayanan cepat"
    for name in _AREA.findall(html):
        data[name] = "Pelayanan sudah cepat."
    if page_key is not None:
        _FORMS[page_key] = data
    return data


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token in the form")
    return found.group(1)


def timed(
    timings: Timings, kind: str, browser: Browser, method: str, path: str, form: dict[str, Any] | None = None
) -> tuple[int, str, str]:
    start = time.perf_counter()
    reply = browser.request(method, path, form)
    timings.add(kind, time.perf_counter() - start)
    if reply[0] >= 400:
        raise RuntimeError(f"{kind}: HTTP {reply[0]}")
    return reply


def respondent(base: str, tokens: queue.Queue[str], timings: Timings, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            token = tokens.get_nowait()
        except queue.Empty:
            return
        browser = Browser(base)  # a new browser per respondent: its own cookies and connection
        try:
            _, _, intro = timed(timings, "consent GET", browser, "GET", f"/r/{token}?lang=id")
            consent = {"csrf_token": csrf(intro), "consent": "y"}
            _, url, _ = timed(timings, "consent POST", browser, "POST", f"/r/{token}", consent)
            for _ in range(60):
                path = urlsplit(url).path
                _, _, page = timed(timings, "section GET", browser, "GET", path)
                kind = "final submit POST" if "Kirim jawaban" in page else "section POST"  # the last page
                form = answers_for(page, path.rsplit("/p/", 1)[-1])
                status, url, _ = timed(timings, kind, browser, "POST", path, form)
                if status != 303:
                    raise RuntimeError(f"POST of a page answered {status}")
                if urlsplit(url).path == "/thanks":
                    timed(timings, "thanks GET", browser, "GET", "/thanks")
                    with timings.lock:
                        timings.completed += 1
                    break
            else:
                raise RuntimeError("no thank-you page after 60 pages")
        except Exception as exc:  # counted and reported; the other respondents go on
            with timings.lock:
                timings.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            browser.close()


def drive_slice(base: str, tokens: list[str], concurrency: int, deadline_in: float) -> dict[str, Any]:
    """One client process: ``concurrency`` respondent threads over ``tokens``."""
    work: queue.Queue[str] = queue.Queue()
    for token in tokens:
        work.put(token)
    timings = Timings()
    deadline = time.monotonic() + deadline_in
    threads = [
        threading.Thread(target=respondent, args=(base, work, timings, deadline)) for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"by_kind": dict(timings.by_kind), "errors": timings.errors, "completed": timings.completed}


def drive(
    base: str, tokens: list[str], concurrency: int, seconds: float, processes: int
) -> tuple[Timings, float]:
    """Respondents spread over ``processes`` client processes (the GIL would otherwise queue them)."""
    timings = Timings()
    start = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        parts = pool.starmap(
            drive_slice,
            [(base, tokens[i::processes], concurrency // processes, seconds) for i in range(processes)],
        )
    elapsed = time.perf_counter() - start
    for part in parts:
        for kind, values in part["by_kind"].items():
            timings.by_kind[kind].extend(values)
        timings.errors.extend(part["errors"])
        timings.completed += part["completed"]
    return timings, elapsed


def burst_slice(base: str, ready: list[tuple[str, str]], concurrency: int, barrier: Any) -> dict[str, Any]:
    """One client process of the submit burst: open the last page of every draft (CSRF token, fields), wait
    for all processes, then post the final submits with ``concurrency`` threads; latencies and timing.

    The threads take the next submit from one queue, as the insert floor's clients take no turns, so the
    burst ends when the queue does rather than when the thread with the slowest share does. For that every
    connection carries the same session cookie (the one the pages were opened with), so any of them may post
    any form: the CSRF token is bound to the session, not to the connection.
    """
    browsers = [Browser(base) for _ in range(concurrency)]
    opener = browsers[0]
    work: queue.Queue[tuple[str, str]] = queue.Queue()
    for token, key in ready:
        path = f"/r/{token}/p/{key}"
        status, _, page = opener.request("GET", path)
        if status != 200 or "Kirim jawaban" not in page:
            raise RuntimeError(f"submit burst: the last page answered {status}")
        # Encoded now, as the insert floor's client sends a ready payload: the burst measures the server.
        work.put((path, urlencode(answers_for(page, key), doseq=True)))
    for browser in browsers[1:]:
        browser.cookies = dict(opener.cookies)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def poster(browser: Browser) -> None:
        mine: list[float] = []
        while True:
            try:
                path, form = work.get_nowait()
            except queue.Empty:
                break
            begin = time.perf_counter()
            try:
                status, location, _ = browser.request("POST", path, form)
                if status != 303 or urlsplit(location).path != "/thanks":
                    raise RuntimeError(f"final submit answered {status} {location}")
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=poster, args=(browser,)) for browser in browsers]
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    for browser in browsers:
        browser.close()
    return {"latencies": latencies, "errors": errors, "start": start, "finished": finished}


def submit_burst(
    base: str, ready: list[tuple[str, str]], concurrency: int, processes: int
) -> tuple[list[float], list[str], float]:
    """All final submits at once from ``concurrency`` clients: latencies, errors, seconds from the common
    start to the last reply (``time.perf_counter`` is CLOCK_MONOTONIC on Linux, one clock for all processes).
    """
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(processes)
        with multiprocessing.Pool(processes) as pool:
            parts = pool.starmap(
                burst_slice,
                [(base, ready[i::processes], concurrency // processes, barrier) for i in range(processes)],
            )
    latencies = [v for part in parts for v in part["latencies"]]
    errors = [e for part in parts for e in part["errors"]]
    seconds = max(p["finished"] for p in parts) - min(p["start"] for p in parts)
    return latencies, errors, seconds


def hammer_slice(base: str, method: str, path: str, concurrency: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    payload = json.dumps({"q1": "ya", "q2": ["uang", "barang"], "q3": 3})

    def client() -> None:
        mine: list[float] = []
        connection = http.client.HTTPConnection(*base.removeprefix("http://").split(":"), timeout=60)
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            connection.request(method, path, body=payload if method == "POST" else None, headers=headers)
            reply = connection.getresponse()
            reply.read()
            if reply.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {reply.status}")
            mine.append(time.perf_counter() - begin)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def hammer(
    base: str, method: str, path: str, concurrency: int, seconds: float, processes: int
) -> list[float]:
    """As many requests as ``concurrency`` clients manage in ``seconds``; their latencies."""
    with multiprocessing.Pool(processes) as pool:
        parts = pool.starmap(
            hammer_slice, [(base, method, path, concurrency // processes, seconds)] * processes
        )
    return [value for part in parts for value in part]


# Floors ----------------------------------------------------------------------------------------------------

FLOOR_APP = '''
"""Floors for bench/submit_load.py: one JSON row insert; a 60-item radio form (WTForms widgets vs a macro)."""
import os
import uuid

from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy
from wtforms import Form, RadioField

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)
CHOICES = [
    ("1", "Tidak pernah"), ("2", "Jarang"), ("3", "Kadang-kadang"), ("4", "Sering"), ("dk", "Tidak tahu")
]
ITEMS = [f"q{n:02d}" for n in range(60)]
# The lean macro, as survey_app/templates/macros/fields.html renders a radio item.
OPTION = (
    '<div><input type="radio" id="{{ name }}-{{ loop.index }}" name="{{ name }}" value="{{ code }}"'
    '{% if value == code %} checked{% endif %}>'
    '<label for="{{ name }}-{{ loop.index }}">{{ text }}</label></div>'
)


class Row(db.Model):
    __tablename__ = "floor_rows"
    id = db.Column(db.Uuid, primary_key=True, default=uuid.uuid4)
    answers = db.Column(db.JSON, nullable=False)


SixtyItems = type("SixtyItems", (Form,), {n: RadioField(f"Pertanyaan {n}", choices=CHOICES) for n in ITEMS})

WTFORMS = """<!doctype html><html lang="id"><body><form method="post">
{% for f in form %}<fieldset><legend>{{ f.label.text }}</legend>{{ f() }}</fieldset>{% endfor %}
<button>Kirim</button></form></body></html>"""

LEAN = """{% macro radio(name, label, choices, value) -%}
<fieldset><legend>{{ label }}</legend>{% for code, text in choices %}
""" + OPTION + """
{%- endfor %}</fieldset>
{%- endmacro %}<!doctype html><html lang="id"><body><form method="post">
{% for name in items %}{{ radio(name, "Pertanyaan " ~ name, choices, none) }}{% endfor %}
<button>Kirim</button></form></body></html>"""


@app.post("/insert")
def insert():
    db.session.add(Row(answers=request.get_json()))
    db.session.commit()
    return "", 204


@app.get("/wtforms")
def wtforms_page():
    return render_template_string(WTFORMS, form=SixtyItems())


@app.get("/lean")
def lean_page():
    return render_template_string(LEAN, items=ITEMS, choices=CHOICES)
'''


@contextmanager
def floor_server(database_url: str, env: dict[str, str], workers: int, threads: int) -> Iterator[str]:
    """The floor app (``FLOOR_APP``) under gunicorn with the app's configuration; its table is created here
    and, afterwards, checked to hold every insert that was answered."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE floor_rows (id uuid PRIMARY KEY, answers json NOT NULL)")
    try:
        with tempfile.TemporaryDirectory() as directory:
            Path(directory, "floor_app.py").write_text(textwrap.dedent(FLOOR_APP), encoding="utf-8")
            with gunicorn(
                "floor_app:app", {**env, "DATABASE_URL": database_url}, workers, threads, Path(directory)
            ) as base:
                for method, path in (("POST", "/insert"), ("GET", "/wtforms"), ("GET", "/lean")):
                    hammer(base, method, path, 4, 1.0, 2)  # warm up: imports, template compilation, pool
                with engine.connect() as connection:
                    connection.exec_driver_sql("DELETE FROM floor_rows")
                    connection.commit()
                yield base
    finally:
        engine.dispose()


def floor_rate(
    base: str, method: str, path: str, concurrency: int, seconds: float, processes: int
) -> tuple[int, list[float], float]:
    """(requests answered, their latencies, seconds) of one floor endpoint hammered for ``seconds``."""
    start = time.perf_counter()
    latencies = hammer(base, method, path, concurrency, seconds, processes)
    return len(latencies), latencies, time.perf_counter() - start


def stored_floor_rows(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows: int = connection.exec_driver_sql("SELECT count(*) FROM floor_rows").scalar_one()
    engine.dispose()
    return rows


# Report ----------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def line(name: str, count: int, seconds: float, latencies: list[float]) -> str:
    return (
        f"| {name} | {count} | {count / seconds:,.0f} | {percentile(latencies, 0.5) * 1000:.1f} "
        f"| {percentile(latencies, 0.99) * 1000:.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--respondents", type=int, default=480, help="invitations to complete (at most)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60, help="stop starting questionnaires after this")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--floor-seconds", type=float, default=8)
    parser.add_argument("--client-processes", type=int, default=2, help="processes of the load generator")
    parser.add_argument(
        "--burst", type=int, default=2400, help="complete drafts submitted at once in each submit burst"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="submit bursts, each followed by an insert floor measurement"
    )
    args = parser.parse_args(argv)

    if not GUNICORN.exists():
        raise SystemExit(f"{GUNICORN} not found: run `make venv` first")
    env = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_HASH_KEY": secrets.token_urlsafe(32),
        # Plain HTTP on loopback: production's https requirements do not apply to the benchmark.
        "SURVEY_ENV": "development",
    }
    concurrency, processes = args.concurrency, args.client_processes
    bursts: list[tuple[list[float], float, tuple[int, list[float], float]]] = []
    burst_errors: list[str] = []
    with throwaway_database(args.database) as database_url, tempfile.TemporaryDirectory() as instance:
        print(f"setting up {args.respondents} invitations …", file=sys.stderr)
        tokens, ready = prepare(database_url, Path(instance), env, args.respondents, args.burst * args.rounds)
        # Every simulated respondent comes from 127.0.0.1: the per-address limit of the invitation pages
        # (meant for one respondent, or an office behind one address) stays on, set out of reach.
        app_env = {**env, "DATABASE_URL": database_url, "INVITATION_RATE_LIMIT": "1000000/minute"}
        with (
            gunicorn("wsgi:app", app_env, args.workers, args.threads, ROOT) as base,
            floor_server(database_url, env, args.workers, args.threads) as floor_base,
        ):
            requests.get(f"{base}/r/not-a-token", timeout=10)  # warm up both workers' imports
            requests.get(f"{base}/r/not-a-token", timeout=10)
            print(f"driving {concurrency} respondents …", file=sys.stderr)
            timings, elapsed = drive(base, tokens, concurrency, args.seconds, processes)
            for n in range(args.rounds):
                print(
                    f"round {n + 1}: submit burst of {args.burst}, then the insert floor …", file=sys.stderr
                )
                latencies, errors, seconds = submit_burst(
                    base, ready[n * args.burst : (n + 1) * args.burst], concurrency, processes
                )
                burst_errors.extend(errors)
                insert = floor_rate(floor_base, "POST", "/insert", concurrency, args.floor_seconds, processes)
                bursts.append((latencies, seconds, insert))
            print(f"measuring the form floors ({args.floor_seconds:g} s each) …", file=sys.stderr)
            forms = {
                name: floor_rate(floor_base, "GET", path, concurrency, args.floor_seconds, processes)
                for name, path in (
                    ("60-item form, WTForms widgets", "/wtforms"),
                    ("60-item form, lean macro", "/lean"),
                )
            }

        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            # Responses and those still held for the next release (a batch not yet full): nothing lost.
            stored = connection.exec_driver_sql(
                "SELECT (SELECT count(*) FROM responses) + (SELECT count(*) FROM held_responses)"
            ).scalar_one()
            spent = connection.exec_driver_sql(
                "SELECT count(*) FROM invitations WHERE state = 'spent'"
            ).scalar_one()
        engine.dispose()
        inserted = sum(insert[0] for _, _, insert in bursts)
        floor_rows = stored_floor_rows(database_url)
        if floor_rows < inserted:
            raise SystemExit(f"floor: {inserted} inserts answered but only {floor_rows} rows stored")

    all_pages = [s for kind, values in timings.by_kind.items() for s in values]
    sections = timings.by_kind["section GET"] + timings.by_kind["section POST"]
    print(
        f"\ngunicorn -w {args.workers} -k gthread --threads {args.threads} wsgi:app on PostgreSQL; "
        f"{concurrency} concurrent respondents (spi-internal, Bahasa Indonesia) for {elapsed:.1f} s\n"
    )
    print(f"completed questionnaires: {timings.completed} ({timings.completed / elapsed:.1f}/s)")
    submitted = sum(len(latencies) for latencies, _, _ in bursts)
    expected = timings.completed + submitted
    print(
        f"responses stored: {stored} (expected {expected}: {timings.completed} questionnaires and "
        f"{submitted} burst submits); invitations spent: {spent}; "
        f"respondent errors: {len(timings.errors) + len(burst_errors)}"
    )
    for error in sorted(set(timings.errors + burst_errors))[:10]:
        print(f"  error: {error}")
    print("\n| requests | count | per second | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    print(line("all pages", len(all_pages), elapsed, all_pages))
    print(line("section pages (GET + POST)", len(sections), elapsed, sections))
    for kind in (
        "consent GET",
        "consent POST",
        "section GET",
        "section POST",
        "final submit POST",
        "thanks GET",
    ):
        print(line(kind, len(timings.by_kind[kind]), elapsed, timings.by_kind[kind]))

    # The final submit is one request in ~35 per questionnaire in the page phase, bounded by the
    # questionnaire rate; the bursts measure its own throughput, each next to an insert floor measurement, so
    # that a change in what else the shared machine runs moves both figures of a pair alike.
    print(
        "\n| round | submit burst /s | burst p50 ms | burst p99 ms | insert floor /s | floor p99 ms "
        "| burst ÷ floor |\n|---:|---:|---:|---:|---:|---:|---:|"
    )
    ratios = []
    for n, (latencies, seconds, (count, floor_latencies, floor_seconds)) in enumerate(bursts, 1):
        burst_rate, insert_rate = len(latencies) / seconds, count / floor_seconds
        ratios.append(burst_rate / insert_rate)
        print(
            f"| {n} | {burst_rate:,.0f} | {percentile(latencies, 0.5) * 1000:.1f} "
            f"| {percentile(latencies, 0.99) * 1000:.1f} | {insert_rate:,.0f} "
            f"| {percentile(floor_latencies, 0.99) * 1000:.1f} | {ratios[-1]:.2f} |"
        )
    ratio = statistics.median(ratios)
    print("\n| form floor (same gunicorn configuration) | count | per second | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, (count, latencies, seconds) in forms.items():
        print(line(name, count, seconds, latencies))

    checks = {
        "section pages ≥ 400 req/s": len(sections) / elapsed >= 400,
        "p99 of all pages < 250 ms": percentile(all_pages, 0.99) < 0.250,
        f"final submits ≥ half the insert floor (median of {len(ratios)} rounds: {ratio:.2f})": ratio >= 0.5,
        "nothing lost or doubled": stored == expected == spent and not timings.errors and not burst_errors,
    }
    print()
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {name}")
    return 0 if checks["nothing lost or doubled"] else 1


if __name__ == "__main__":
    sys.exit(main())
