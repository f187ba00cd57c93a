"""`tessera import jira` as a user runs it: the dry run's tables and mapping file, the real run's
report with what was skipped and why, and usage mistakes answered plainly."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tessera.cli.main import cli
from tests.importing.conftest import JIRAMETRICS, need
from tests.support import make_org


def test_dry_run_then_import_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    org = make_org(database_url)
    folder = str(need(JIRAMETRICS))
    mapping = tmp_path / "mapping.json"
    runner = CliRunner()
    dry = runner.invoke(cli, ["import", "jira", "--org", org.key, "--file", folder, "--dry-run", "--mapping",
                              str(mapping), "--database-url", database_url], env={"COLUMNS": "200"})
    assert dry.exit_code == 0, dry.output
    assert "Jira → Tessera mapping" in dry.output and "Selected for Development" in dry.output
    assert "What the import would create" in dry.output and f"Mapping written to {mapping}" in dry.output
    assert json.loads(mapping.read_text())["site"] == "https://improvingflow.atlassian.net"
    assert "│ issues        │ 6      │ 0" in dry.output

    real = runner.invoke(cli, ["import", "jira", "--org", org.key, "--file", folder, "--file", folder,
                               "--mapping", str(mapping), "--database-url", database_url], env={"COLUMNS": "200"})
    assert real.exit_code == 0, real.output
    assert "issues created" in real.output and "histories" in real.output
    assert "the same issue appears twice in the source" in real.output  # the folder given twice

    again = runner.invoke(cli, ["import", "jira", "--org", org.key, "--file", folder, "--json", "--database-url",
                                database_url])
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert report["created"] == 0 and report["unchanged"] == 6
    dry_again = runner.invoke(cli, ["import", "jira", "--org", org.key, "--file", folder, "--dry-run", "--json",
                                    "--database-url", database_url])
    assert json.loads(dry_again.stdout.strip().splitlines()[-1])["planned"]["issues"] == {"create": 0, "reuse": 6}


def test_usage_mistakes_are_answered_plainly(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    neither = runner.invoke(cli, ["import", "jira", "--org", "NOPE", "--database-url", database_url])
    assert neither.exit_code == 2 and "Give either --url" in neither.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    refused = runner.invoke(cli, ["import", "jira", "--org", "NOPE", "--file", str(broken), "--database-url",
                                  database_url])
    assert refused.exit_code == 2 and f"error: {broken}: not JSON (line 1" in refused.output
    org = make_org(database_url)
    missing = runner.invoke(cli, ["import", "jira", "--org", org.key, "--file", str(need(JIRAMETRICS)),
                                  "--mapping", str(tmp_path / "absent.json"), "--database-url", database_url])
    assert missing.exit_code == 2 and "cannot read the mapping file" in missing.output
