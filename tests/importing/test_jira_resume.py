"""A `tessera import jira` killed mid-run (SIGKILL, no chance to clean up) continues where it
stopped: the chunks that committed are not imported twice and the rest comes in."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from tessera.db.engine import Database
from tessera.importing.jira.pipeline import import_jira
from tessera.importing.jira.sources import file_source
from tessera.importing.models import ImportMapping
from tessera.issues.comments.models import Comment
from tessera.issues.models import Issue
from tests.importing.conftest import TIDEV, need, read_jsonl
from tests.support import make_org_async

TESSERA = Path(sys.executable).parent / "tessera"
CHUNK = 10


async def imported(database: Database, org: int) -> int:
    async with database.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(ImportMapping).where(
            ImportMapping.organization_id == org, ImportMapping.kind == "issue")) or 0)


async def test_a_killed_import_resumes_without_duplicates(database: Database, database_url: str) -> None:
    files = [need(TIDEV / "DAEMON.issues.jsonl.gz")]
    raw = [issue for path in files for issue in read_jsonl(path)]
    org = await make_org_async(database_url)
    command = [str(TESSERA), "import", "jira", "--org", org.key, "--database-url", database_url, "--json"]
    for path in files:
        command += ["--file", str(path)]
    environment = {**os.environ, "TESSERA_IMPORT_CHUNK": str(CHUNK), "TESSERA_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        done = 0
        while process.poll() is None and done < 3 * CHUNK:  # a few chunks in: kill it
            await asyncio.sleep(0.01)
            done = await imported(database, org.organization_id)
        process.send_signal(signal.SIGKILL)
    finally:
        _, errors = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, errors.decode()[-2000:]
    done = await imported(database, org.organization_id)
    assert 0 < done < len(raw) and done % CHUNK == 0  # whole chunks committed, no half ones
    async with database.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Issue).where(
            Issue.organization_id == org.organization_id)) == done

    report = await import_jira(database, org_key=org.key, source=lambda: file_source(files))
    assert report.outcomes == Counter(created=len(raw) - done, unchanged=done)
    async with database.unit_of_work(write=False) as session:
        keys = (await session.scalars(select(Issue.key).where(Issue.organization_id == org.organization_id))).all()
        comments = await session.scalar(select(func.count()).select_from(Comment).where(
            Comment.organization_id == org.organization_id))
    assert sorted(keys) == sorted(issue["key"] for issue in raw)
    assert comments == sum(len(issue["fields"]["comment"]["comments"]) for issue in raw)
