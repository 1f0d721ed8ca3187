"""Screenshots of the main pages for docs/screenshots/ (linked from the README).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Sets up the `make run` demo in a temporary SQLite database, serves it on a loopback port and drives Debian's
Chromium through Playwright (never a downloaded browser): the console on a laptop-sized window, the respondent
pages on a phone-sized one. Not a test; the browser tests check the same pages.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from survey_app import create_app  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, PHONE  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
_LOGIN = re.compile(r"e-mail: (\S+)\s+password: (\S+)")
_LINK = re.compile(r"(internal|external|expert)\s+http://127\.0\.0\.1:\d+(/r/\S+)")


def _demo(directory: Path) -> tuple[Any, str, str, dict[str, str]]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'demo.db'}", "INSTANCE_PATH": directory}
    )
    output = app.test_cli_runner().invoke(args=["demo", "setup"]).output
    found = _LOGIN.search(output)
    if found is None:
        raise SystemExit(f"demo setup printed no login:\n{output}")
    links = {group: path for group, path in _LINK.findall(output)}
    return app, found.group(1), found.group(2), links


def _shot(page: Any, out: Path, name: str, full_page: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app, email, password, links = _demo(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                desk = browser.new_page(viewport=DESKTOP, locale="en-GB")
                desk.goto(f"{base}/admin/login?lang=en")
                desk.fill('input[name="email"]', email)
                desk.fill('input[name="password"]', password)
                desk.click('main form button[type="submit"]')
                desk.wait_for_url(f"{base}/admin/")
                pages = [
                    ("console-dashboard", "/admin/"),
                    ("console-monitoring", "/admin/campaigns/demo"),
                    ("console-results", "/admin/campaigns/demo/results/"),
                ]
                pages += [(name, path) for name, path in OPTIONAL if _exists(desk, base + path)]
                for name, path in pages:
                    desk.goto(base + path)
                    _shot(desk, args.out, name)

                phone = browser.new_page(viewport=PHONE, locale="id-ID", device_scale_factor=2)
                phone.goto(base + links["internal"])
                _shot(phone, args.out, "respondent-consent")
                phone.check('input[name="consent"]')
                phone.click('main form button[type="submit"]')
                phone.wait_for_load_state()
                _shot(phone, args.out, "respondent-section")
                browser.close()
        finally:
            server.shutdown()
    return 0


#: Pages shown when the console has them (name, path).
OPTIONAL = [
    ("console-campaign-new", "/admin/campaigns/new"),
    ("console-institutions", "/admin/institutions/"),
    ("console-questionnaires", "/admin/questionnaires/"),
    ("console-users", "/admin/users/"),
]


def _exists(page: Any, url: str) -> bool:
    return bool(page.request.get(url).status == 200)


if __name__ == "__main__":
    sys.exit(main())
