"""`tessera demo` and `tessera load` as a user runs them, against a temporary SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TESSERA = Path(sys.executable).parent / "tessera"
pytestmark = pytest.mark.slow


def run(*args: str) -> dict:
    environment = {**os.environ, "TESSERA_LOG_LEVEL": "WARNING"}
    done = subprocess.run([str(TESSERA), *args], capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_demo_command_prints_its_login_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    first = run("demo", "--json", "--issues", "25", "--database-url", url)
    assert first["created"] is True and first["issue_count"] == 25
    assert (first["email"], first["password"]) == ("demo@tessera.local", "tessera-demo")
    again = run("demo", "--json", "--database-url", url)
    assert again["created"] is False and again["issue_count"] == 25
    assert again["api_token"] != first["api_token"]


def test_load_command_reports_its_rate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/load.db"
    result = run("load", "--org", "X1", "--issues", "500", "--database-url", url)
    assert result["organization_key"] == "X1" and result["issues"] == 500 and result["rate"] > 0
    with sqlite3.connect(tmp_path / "load.db") as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT key) FROM issues").fetchone() == (500, 500)
