"""Rows of an organization (tessera/db/scoped.py): another organization's row is NotFound
exactly like a missing one, and of two writers who read the same version only one saves."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tessera.db.scoped import load_scoped, save_versioned
from tessera.errors import Conflict, NotFound
from tests.db.notes import Note, notes_session


async def test_a_row_loads_only_within_its_organization() -> None:
    async with notes_session(Note(id=1, organization_id=1, name="ours"),
                             Note(id=2, organization_id=2, name="theirs")) as session:
        found = await load_scoped(session, Note, organization_id=1, row_id=1, missing="Note not found.")
        assert found.name == "ours"
        for row_id in (2, 3):
            with pytest.raises(NotFound) as refused:
                await load_scoped(session, Note, organization_id=1, row_id=row_id, missing="Note not found.")
            assert refused.value.message == "Note not found."


async def test_a_save_bumps_the_version_and_a_stale_one_is_a_conflict() -> None:
    async with notes_session(Note(id=1, organization_id=1, name="first", version=1)) as session:
        note = await load_scoped(session, Note, organization_id=1, row_id=1, missing="Note not found.")
        await save_versioned(session, note, {"name": "second"}, conflict="Changed meanwhile.")
        await session.refresh(note)
        assert (note.name, note.version) == ("second", 2)
        assert note.updated_at is not None

        await session.execute(update(Note).where(Note.id == 1).values(version=3)  # another writer
                              .execution_options(synchronize_session=False))
        with pytest.raises(Conflict) as refused:
            await save_versioned(session, note, {"name": "third"}, conflict="Changed meanwhile.")
        assert (refused.value.code, refused.value.message) == ("version_conflict", "Changed meanwhile.")
