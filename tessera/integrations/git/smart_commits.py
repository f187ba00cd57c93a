"""Smart commits: `PROJ-12 #comment fixed the login #time 2h 30m #done` in a commit message.

Each line is read on its own and applies to the keys it names before its first command (Jira's
rule: a command never spans lines). `#comment <text>` comments, `#time <duration> [text]` logs
work, any other `#word [text]` runs the transition it names (spaces written as hyphens; a prefix
that names exactly one available transition is enough; a status name such as `#in-review` runs
the one transition into it), and its text becomes the transition's comment.

Commands run as the user whose email matches the commit's author, through the ordinary services,
so permissions, workflow conditions and validators hold. Each command's outcome is returned to be
recorded on the commit, whether it ran or why not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import TesseraError
from tessera.integrations.git.keys import KEY
from tessera.integrations.git.transitions import run_named_transition
from tessera.issues.comments.service import check_add_comment
from tessera.issues.durations import parse_duration
from tessera.issues.models import Issue
from tessera.issues.worklogs.service import check_add_worklog
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor

# A command: "#" then a word of letters, digits, hyphens or underscores that starts with a letter
# ("fix #123" is no command), at the start of the text or after a space.
_COMMAND = re.compile(r"(?:(?<=\s)|^)#([A-Za-z][A-Za-z0-9_-]*)")
_TIME = re.compile(r"^\s*((?:[0-9]+(?:\.[0-9]+)?\s*[wdhm]\b\s*)+)(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Command:
    name: str  # lower case
    argument: str


@dataclass(frozen=True)
class SmartLine:
    keys: tuple[str, ...]
    commands: tuple[Command, ...]


def parse_smart_commit(message: str) -> list[SmartLine]:
    """Lines with at least one key before their first command and at least one command."""
    lines = []
    for line in message.splitlines():
        matches = list(_COMMAND.finditer(line))
        if not matches:
            continue
        keys = tuple(dict.fromkeys(m.group(1).upper() for m in KEY.finditer(line[:matches[0].start()])))
        if not keys:
            continue
        commands = []
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
            commands.append(Command(match.group(1).lower(), line[match.end():end].strip()))
        lines.append(SmartLine(keys, tuple(commands)))
    return lines


def commands_for(lines: list[SmartLine], key: str) -> list[Command]:
    return [command for line in lines if key in line.keys for command in line.commands]


@dataclass(frozen=True)
class Outcome:
    command: str
    ok: bool
    detail: str

    def as_json(self) -> dict:
        return {"command": self.command, "ok": self.ok, "detail": self.detail}


async def _run_one(session: AsyncSession, actor: Actor, issue: Issue, project: Project, command: Command) -> str:
    if command.name == "comment":
        if not command.argument:
            raise TesseraError("#comment needs text.")
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=command.argument)
        return "Commented."
    if command.name == "time":
        match = _TIME.match(command.argument)
        if match is None:
            raise TesseraError("#time needs a duration such as '2h 30m'.")
        seconds = parse_duration(match.group(1))
        await check_add_worklog(session, actor=actor, issue=issue, project=project, time_spent_seconds=seconds,
                                comment=match.group(2).strip() or None)
        return f"Logged {match.group(1).strip()}."
    transitioned = await run_named_transition(session, actor=actor, issue=issue, project=project,
                                              word=command.name, comment=command.argument or None)
    return f"Ran the transition '{transitioned}'."


async def run_commands(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                       commands: list[Command]) -> list[Outcome]:
    """Each command in its own savepoint: one that fails (permission, condition, validator, bad
    duration) is undone alone and reported; the ones before and after it stand."""
    outcomes = []
    for command in commands:
        label = f"#{command.name}" + (f" {command.argument}" if command.argument else "")
        try:
            async with session.begin_nested():
                detail = await _run_one(session, actor, issue, project, command)
        except TesseraError as refused:
            outcomes.append(Outcome(label[:200], False, refused.message))
        else:
            outcomes.append(Outcome(label[:200], True, detail))
    return outcomes
