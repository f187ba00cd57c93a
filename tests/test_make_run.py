"""`make run` as a new user runs it: migrations, the demo organization, a server whose demo
sign-in works. Uses the project's existing virtualenv (make test built it)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.factories.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_make_run_serves_the_demo_and_its_login_works(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "make-run.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not start: " + (tmp_path / "make-run.log").read_text()[-2000:])
        output = (tmp_path / "make-run.log").read_text()
        assert "demo@tessera.local / tessera-demo" in output
        token = re.search(r"API token: (tsr_\S+)", output)
        assert token, output
        session = httpx.Client(base_url=base)
        login = session.post("/v2/session", json={"email": "demo@tessera.local", "password": "tessera-demo"})
        assert login.status_code == 200, login.text
        assert login.json()["organization_key"] == "DEMO"
        projects = session.get("/v2/projects").json()["projects"]
        assert len(projects) >= 3
        with_token = httpx.get(f"{base}/v2/myself", headers={"Authorization": f"Bearer {token.group(1)}"})
        assert with_token.json()["email"] == "demo@tessera.local"
        home = session.get("/", follow_redirects=True)
        assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
