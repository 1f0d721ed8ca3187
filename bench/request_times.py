"""Server time per respondent request, in-process (Flask test client) on PostgreSQL: no network, no gunicorn.

    .venv/bin/python bench/request_times.py [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--respondents 60] [--submits 200] [--cpu]

Complements bench/submit_load.py: it isolates the app's own cost per request (page GET, page POST, final
submit) from the load generator and the web server, so a change in the request path shows up directly.
``--respondents`` invitations go through every page (the first five warm the caches and are not counted);
``--submits`` drafts that already hold complete answers are then submitted one after another. ``--cpu``
counts this process's CPU time (``time.process_time``: the app and the test client, not PostgreSQL) instead
of wall time.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import submit_load

from survey_app import create_app
from survey_app.extensions import db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--cpu", action="store_true", help="this process's CPU time instead of wall time")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter
    env = {"SECRET_KEY": secrets.token_urlsafe(32), "TOKEN_HASH_KEY": secrets.token_urlsafe(32)}
    with submit_load.throwaway_database(args.database) as url, tempfile.TemporaryDirectory() as instance:
        tokens, ready = submit_load.prepare(url, Path(instance), env, args.respondents, args.submits)
        # All simulated respondents share one address: the per-address limit stays on, out of reach.
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": Path(instance),
                "INVITATION_RATE_LIMIT": "1000000/minute",
                **env,
            }
        )
        times: dict[str, list[float]] = {"page GET": [], "page POST": [], "final submit": []}

        def request(
            client: FlaskClient, kind: str | None, path: str, form: dict[str, Any] | None = None
        ) -> Any:
            """GET (no ``form``) or POST ``path``; its time counted under ``kind`` unless ``kind`` is None."""
            start = clock()
            reply = client.get(path) if form is None else client.post(path, data=form)
            if kind is not None:
                times[kind].append(clock() - start)
            return reply

        for n, token in enumerate(tokens):
            counted = n >= 5  # the first respondents warm the caches
            client = app.test_client()
            intro = client.get(f"/r/{token}?lang=id").get_data(as_text=True)
            reply = client.post(f"/r/{token}", data={"csrf_token": submit_load.csrf(intro), "consent": "y"})
            location = reply.headers["Location"]
            while urlsplit(location).path != "/thanks":
                path = urlsplit(location).path
                page = request(client, "page GET" if counted else None, path).get_data(as_text=True)
                kind = "final submit" if "Kirim jawaban" in page else "page POST"
                form = submit_load.answers_for(page, path.rsplit("/p/", 1)[-1])
                reply = request(client, kind if counted else None, path, form)
                if reply.status_code != 303:
                    raise SystemExit(f"{path}: HTTP {reply.status_code}")
                location = reply.headers["Location"]
        client = app.test_client()
        prepared = []
        for token, key in ready:
            path = f"/r/{token}/p/{key}"
            prepared.append((path, submit_load.answers_for(client.get(path).get_data(as_text=True), key)))
        for path, form in prepared:
            reply = request(client, "final submit", path, form)
            if reply.status_code != 303 or not reply.headers["Location"].endswith("/thanks"):
                raise SystemExit(f"{path}: final submit answered {reply.status_code}")
        with app.app_context():
            db.engine.dispose()
    print("| request | count | mean ms | median ms |\n|---|---:|---:|---:|")
    for kind, values in times.items():
        mean, median = statistics.fmean(values) * 1000, statistics.median(values) * 1000
        print(f"| {kind} | {len(values)} | {mean:.2f} | {median:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
