"""The systemd units of ``deploy/systemd`` pass ``systemd-analyze verify`` (with the release's paths moved
to this checkout), and they are the units the documentation names."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.servers import DEPLOY, ROOT

UNITS = DEPLOY / "systemd"


def test_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    environment = tmp_path / "env"
    environment.write_text("DATABASE_URL=sqlite://\n")
    moved = {
        "/srv/integrity-survey/.venv/bin/": f"{Path(sys.executable).parent}/",
        "/srv/integrity-survey/deploy/": f"{DEPLOY}/",
        "/srv/integrity-survey": str(ROOT),
        "/etc/integrity-survey/env": str(environment),
    }
    rendered = []
    for unit in sorted(UNITS.glob("*.service")):
        text = unit.read_text(encoding="utf-8")
        for old, new in moved.items():
            text = text.replace(old, new)
        # A template is verified as one of its instances.
        target = tmp_path / unit.name.replace("@.", "@8001.")
        target.write_text(text, encoding="utf-8")
        rendered.append(str(target))
    assert len(rendered) == 2
    done = subprocess.run([analyze, "verify", *rendered], capture_output=True, text=True, check=False)
    problems = [line for line in done.stderr.splitlines() if "survey" in line]
    assert done.returncode == 0, done.stderr
    assert not problems, "\n".join(problems)


def test_documentation_names_only_units_that_exist() -> None:
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    names = set(re.findall(r"\bintegrity-survey(?:-[a-z]+)*(?:@\d*)?\.service\b", text))
    for line in re.findall(r"systemctl [^\n`#]*", text):
        names |= {word for word in line.split() if word.startswith("integrity-survey")}
    units = {re.sub(r"@\d+", "@", name.removesuffix(".service")) + ".service" for name in names}
    shipped = {unit.name for unit in UNITS.glob("*.service")}
    assert units, "docs/deployment.md names no unit"
    assert units <= shipped, f"docs/deployment.md names units deploy/systemd lacks: {units - shipped}"
    assert units == shipped, f"docs/deployment.md does not explain {shipped - units}"
