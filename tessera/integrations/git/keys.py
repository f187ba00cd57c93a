"""Issue keys in free text (branch names, commit messages, pull-request titles and bodies),
and the issues of one organization they name.

A key is a project key (a letter, then letters, digits or underscores) + "-" + digits, in any
case, with no letter or digit glued to either side: `feature/proj-12-login` and `[PROJ-12]`
name PROJ-12, `XPROJ-12a` names nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue

KEY = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9_]+-[0-9]{1,18})(?![A-Za-z0-9])")
# A message may name many; more than this in one text is noise, not links.
MAX_KEYS = 100


def keys_in(*texts: str | None) -> list[str]:
    """Upper-case keys in order of first appearance, each once."""
    found: dict[str, None] = {}
    for text in texts:
        for match in KEY.finditer(text or ""):
            found.setdefault(match.group(1).upper(), None)
            if len(found) >= MAX_KEYS:
                return list(found)
    return list(found)


async def issues_by_key(session: AsyncSession, organization_id: int, keys: Iterable[str]) -> dict[str, Issue]:
    """Only this organization's issues: another organization's PROJ-1 is no issue here."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await session.scalars(select(Issue).where(Issue.organization_id == organization_id, Issue.key.in_(wanted)))
    return {issue.key: issue for issue in rows}
