"""Install Tessera as a user does and use it: the package, not the checkout.

Builds the sdist, then the wheel from that sdist (what `pip install tessera-*.tar.gz` does), checks
that every file tracked under tessera/ is in the wheel, installs the wheel into a new virtualenv
outside the checkout and, from a directory that is not the checkout, runs `tessera migrate`,
`tessera create-org`, `tessera serve`, then a JQL search over /v2 and /rest, the web sign-in page
and /graphql. The test suite runs against the editable install and cannot see a file that the
wheel leaves out (grammar.lark once was, and every installed copy failed every search).

    python scripts/smoke_installed.py [--keep]

Exit status 0 when the installed package works; otherwise the step that failed and its output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


class SmokeFailure(Exception):
    pass


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SmokeFailure(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-3000:]}"
                           f"\n{result.stderr[-3000:]}")
    return result.stdout


def clean_copy(destination: Path) -> Path:
    """The checkout's files as git sees them (untracked ones too, ignored ones not).

    Building in the checkout itself would reuse a stale tessera.egg-info/SOURCES.txt that still
    lists a file the configuration no longer ships, and hide exactly the fault this looks for.
    """
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def build(work: Path) -> Path:
    """The sdist, then the wheel built from it, so a file the sdist drops is caught too."""
    source = clean_copy(work / "source")
    dist = work / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], cwd=source)
    [wheel] = dist.glob("tessera-*.whl")
    return wheel


def tracked_package_files() -> set[str]:
    """Every file under tessera/ that git tracks (the checkout's truth), bytecode aside."""
    listed = run(["git", "ls-files", "tessera"], cwd=ROOT).split()
    return {name for name in listed if not name.endswith(".pyc")}


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = sorted(tracked_package_files() - shipped)
    if missing:
        raise SmokeFailure("the wheel leaves out files the package reads: " + ", ".join(missing)
                           + "\n(add them to [tool.setuptools.package-data] in pyproject.toml)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SmokeFailure("tessera serve exited:\n" + log.read_text()[-3000:])
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SmokeFailure("tessera serve did not answer /healthz in 60 s:\n" + log.read_text()[-3000:])


def expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        raise SmokeFailure(f"{what}: {response.request.method} {response.request.url} answered "
                           f"{response.status_code}, expected {status}:\n{response.text[:2000]}")
    return response


def use_the_server(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        project = expect(client.post("/v2/projects", json={"key": "SMK", "name": "Smoke"}), 201, "create a project")
        expect(client.post("/v2/issues", json={"project_id": project.json()["id"], "issue_type": "bug",
                                               "summary": "Installed search finds me", "labels": ["smoke"]}),
               201, "create an issue")
        found = expect(client.post("/v2/search", json={"jql": 'project = SMK AND labels = smoke ORDER BY key'}),
                       200, "JQL search on /v2").json()
        if [issue["key"] for issue in found["issues"]] != ["SMK-1"]:
            raise SmokeFailure(f"/v2/search found {found}")
        jira = expect(client.get("/rest/api/2/search", params={"jql": "text ~ installed"}), 200,
                      "JQL search on /rest/api/2").json()
        if jira["total"] != 1:
            raise SmokeFailure(f"/rest/api/2/search found {jira}")
        query = "query($jql: String!) { issues(jql: $jql, first: 5) { totalCount edges { node { key } } } }"
        graphql = expect(client.post("/graphql", json={"query": query, "variables": {"jql": "project = SMK"}}),
                         200, "GraphQL").json()
        if graphql.get("errors") or graphql["data"]["issues"]["totalCount"] != 1:
            raise SmokeFailure(f"/graphql answered {graphql}")
    signin = expect(httpx.get(f"{base}/signin", timeout=30), 200, "the web sign-in page")
    if "text/html" not in signin.headers.get("content-type", "") or "<form" not in signin.text:
        raise SmokeFailure("/signin is not the sign-in form")
    stylesheet = next((part.split('"')[1] for part in signin.text.split("href=")[1:]
                       if part.startswith('"/static/') and ".css" in part.split('"')[1]), None)
    if stylesheet:
        expect(httpx.get(f"{base}{stylesheet}", timeout=30), 200, "a static file of the sign-in page")


def smoke(work: Path) -> None:
    wheel = build(work)
    check_wheel_contents(wheel)
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], cwd=work)
    tessera = str(venv / "bin" / "tessera")
    # A clean environment: no PYTHONPATH or database settings of the caller leak into the install.
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8",
           "TESSERA_DATABASE_URL": f"sqlite:///{work}/smoke.db"}
    home = work / "home"
    home.mkdir()
    run([tessera, "migrate"], cwd=home, env=env)
    created = run([tessera, "create-org", "SMOKE", "--name", "Smoke", "--admin-email", "admin@smoke.test",
                   "--admin-password", "smoke-password-1", "--json"], cwd=home, env=env)
    token = json.loads(created)["api_token"]
    port = free_port()
    log = work / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen([tessera, "serve", "--port", str(port)], cwd=home, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server, log)
        use_the_server(base, token)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    served = log.read_text()
    if "Traceback" in served:
        raise SmokeFailure("the server logged a traceback:\n" + served[-3000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the build and virtualenv directory")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tessera-smoke-"))
    started = time.monotonic()
    try:
        smoke(work)
    except SmokeFailure as failure:
        print(f"smoke test of the installed package FAILED (files kept in {work}):\n{failure}", file=sys.stderr)
        return 1
    if not arguments.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"installed package works: built, installed outside the checkout, served and searched "
          f"in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
