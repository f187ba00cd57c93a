"""Listing named things (tessera/db/listing.py): the name filter takes the text literally, and a
page is ordered by name without regard to case, then by id, with the total of the whole list."""

from __future__ import annotations

from sqlalchemy import select

from tessera.db.listing import name_contains, page_by_name
from tests.db.notes import Note, notes_session

NAMES = ["Beta", "alpha", "50% done", "500 done", "a_b", "axb", "back\\slash", "Alpha"]


async def test_wildcards_and_backslashes_in_the_text_match_only_themselves() -> None:
    notes = [Note(id=index + 1, organization_id=1, name=name) for index, name in enumerate(NAMES)]
    async with notes_session(*notes) as session:
        async def matching(text: str) -> list[str]:
            return sorted((await session.scalars(select(Note.name).where(name_contains(Note.name, text)))).all())

        assert await matching("0%") == ["50% done"]
        assert await matching("a_") == ["a_b"]
        assert await matching("k\\s") == ["back\\slash"]
        assert await matching("  ALPHA ") == ["Alpha", "alpha"]


async def test_a_page_is_ordered_by_name_then_id_and_counts_the_whole_list() -> None:
    notes = [Note(id=index + 1, organization_id=1, name=name) for index, name in enumerate(NAMES)]
    async with notes_session(*notes) as session:
        query = select(Note).where(Note.organization_id == 1)
        rows, total = await page_by_name(session, query, name=Note.name, row_id=Note.id, start_at=2, max_results=3)
        assert total == len(NAMES)
        assert [(note.name, note.id) for note in rows] == [("a_b", 5), ("alpha", 2), ("Alpha", 8)]
