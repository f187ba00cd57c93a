"""`tessera jql` as users run it: a subprocess against a temporary SQLite file seeded by
`tessera demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TESSERA = str(Path(sys.executable).with_name("tessera"))


def tessera(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return subprocess.run([TESSERA, *args, "--database-url", database_url], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    url = f"sqlite:///{tmp_path_factory.mktemp('jqlcli')}/demo.db"
    seeded = tessera("demo", "--org", "JQLD", "--issues", "30", "--json", database_url=url)
    assert seeded.returncode == 0, seeded.stderr
    return url, json.loads(seeded.stdout)


def test_prints_a_table_and_a_count(demo: tuple[str, dict]) -> None:
    url, _ = demo
    everything = json.loads(tessera("jql", "", "--org", "JQLD", "--json", "--max-results", "1000",
                                    database_url=url).stdout)
    assert everything["total"] == 30 and len(everything["issues"]) == 30
    # The command line installs the integrations' facts too (the demo links no commits).
    unlinked = tessera("jql", "development[commits].all = 0", "--org", "JQLD", "--json", database_url=url)
    assert unlinked.returncode == 0, unlinked.stderr
    assert json.loads(unlinked.stdout)["total"] == 30
    first = sorted(everything["issues"], key=lambda i: i["key"])[0]
    project = first["key"].split("-")[0]
    result = tessera("jql", f"project = {project} ORDER BY key ASC", "--org", "jqld", "--max-results", "3",
                     database_url=url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "TYPE", "STATUS", "PRIORITY", "ASSIGNEE", "SUMMARY"]
    in_project = [i for i in everything["issues"] if i["key"].startswith(f"{project}-")]
    assert len(lines) == 1 + min(3, len(in_project)) + 1
    assert lines[1].startswith(f"{project}-")
    assert lines[-1] == f"{min(3, len(in_project))} of {len(in_project)} issues"
    assert all(len(line) < 200 for line in lines)


def test_json_and_acting_user(demo: tuple[str, dict]) -> None:
    url, seeded = demo
    as_demo_user = tessera("jql", "assignee = currentUser() OR reporter = currentUser()", "--org", "JQLD",
                           "--as", seeded["email"], "--json", database_url=url)
    assert as_demo_user.returncode == 0, as_demo_user.stderr
    page = json.loads(as_demo_user.stdout)
    assert set(page) == {"total", "start_at", "issues"} and page["total"] >= len(page["issues"])
    for issue in page["issues"]:
        assert set(issue) == {"key", "type", "status", "priority", "assignee", "summary"}


def test_bad_jql_and_unknown_names_exit_2_with_the_position(demo: tuple[str, dict]) -> None:
    url, seeded = demo
    cases = [
        ("status = = Open", "Expecting a value but got '='", "(line 1, column 10)"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'.", "(line 1, column 11)"),
        ("nosuchfield = 1", "Field 'nosuchfield' does not exist", "line 1, column 1"),
    ]
    for query, message, position in cases:
        result = tessera("jql", query, "--org", "JQLD", database_url=url)
        assert result.returncode == 2, (query, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert message in result.stderr and position in result.stderr, (query, result.stderr)
    for args, fragment in ((("--org", "NOPEORG"), "NOPEORG"), (("--org", "JQLD", "--as", "nobody@x.test"), "nobody")):
        result = tessera("jql", "", *args, database_url=url)
        assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr


def test_a_missing_resource_file_is_named_not_blamed_on_the_database(demo: tuple[str, dict],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken install once reported "cannot use the database" for a grammar file missing from the wheel."""
    from click.testing import CliRunner

    from tessera.cli.main import cli
    from tessera.jql import parser

    url, _ = demo
    missing = "/site-packages/tessera/jql/grammar.lark"

    def unreadable_grammar() -> None:
        raise FileNotFoundError(2, "No such file or directory", missing)

    monkeypatch.setattr(parser, "_parser", unreadable_grammar)
    result = CliRunner().invoke(cli, ["jql", "project = X", "--org", "JQLD", "--database-url", url])
    assert result.exit_code == 2
    assert f"cannot read {missing}: No such file or directory" in result.output
    assert "database" not in result.output
