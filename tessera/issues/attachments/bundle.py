"""All of an issue's attachments as one ZIP, streamed: Jira's "download all" (the Jira API's
/secure/attachmentzip/{issueId}.zip). Nothing is buffered beyond one chunk of the object store:
the archive is written to an unseekable sink, so zipfile puts each entry's sizes and CRC in a data
descriptor after its bytes, and the central directory comes last."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import PayloadTooLarge
from tessera.issues.attachments.models import Attachment
from tessera.issues.attachments.service import list_attachments
from tessera.issues.attachments.storage import ObjectMissing, ObjectStore
from tessera.issues.models import Issue
from tessera.issues.service import access_issue
from tessera.tenancy.actor import Actor

log = logging.getLogger("tessera.attachments")


@dataclass(frozen=True)
class BundleEntry:
    name: str
    attachment: Attachment


@dataclass(frozen=True)
class Bundle:
    issue: Issue
    entries: list[BundleEntry]

    @property
    def filename(self) -> str:
        return f"{self.issue.key}.zip"


async def access_bundle(session: AsyncSession, actor: Actor, issue_ref: object, *, max_bytes: int) -> Bundle:
    """Who may read the issue (browse and its security level) may read its attachments; past
    `max_bytes` of files in all, the archive is refused (413) before a byte of it is sent."""
    issue, _ = await access_issue(session, actor, issue_ref)
    attachments = await list_attachments(session, issue=issue)
    total = sum(a.size for a in attachments)
    if total > max_bytes:
        raise PayloadTooLarge(
            f"The attachments of {issue.key} add up to {total} bytes, more than the {max_bytes} bytes one archive "
            "may hold: download them one by one from /rest/api/2/attachment/content/{id}.",
            field="issueId", data={"total_bytes": total, "max_bytes": max_bytes})
    return Bundle(issue=issue, entries=[BundleEntry(name, a) for name, a in
                                        zip(entry_names([a.filename for a in attachments]), attachments, strict=True)])


def entry_names(filenames: Sequence[str]) -> list[str]:
    """One name per file, unique even on case-insensitive file systems: a repeated name gets
    " (2)", " (3)"… before its extension, as browsers name repeated downloads. Path separators
    and dot segments are flattened so that unpacking cannot write outside its folder."""
    taken: set[str] = set()
    names = []
    for filename in filenames:
        base = _flat(filename)
        stem, dot, extension = base.rpartition(".")
        if not stem:
            stem, dot, extension = base, "", ""
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem} ({number}){dot}{extension}"
        taken.add(name.casefold())
        names.append(name)
    return names


def _flat(filename: str) -> str:
    name = filename.replace("\\", "_").replace("/", "_").replace("\x00", "").strip()
    name = name.lstrip(".") or "attachment"
    return name


class _Sink:
    """What zipfile writes to: it collects the bytes for the response to take away."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


async def stream_bundle(bundle: Bundle, store: ObjectStore) -> AsyncIterator[bytes]:
    """The archive's bytes, chunk by chunk. Files are stored, not deflated: most attachments
    (images, PDFs, archives) are compressed already, and deflating on the event loop would stall
    every other request. A file whose object is missing from the store is left out (and logged):
    the response has begun by then, so it cannot become an error."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for entry in bundle.entries:
            attachment = entry.attachment
            try:
                chunks = await store.open(attachment.storage_key, start=0, end=attachment.size - 1) \
                    if attachment.size else None
            except ObjectMissing:
                log.warning("attachment %s of issue %s is missing from storage; left out of its zip",
                            attachment.id, bundle.issue.key)
                continue
            info = zipfile.ZipInfo(entry.name, _timestamp(attachment))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = attachment.size  # lets zipfile choose ZIP64 for a file past 2 GiB
            with archive.open(info, mode="w") as member:
                if chunks is not None:
                    async for chunk in chunks:
                        member.write(chunk)
                        if data := sink.take():
                            yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data


def _timestamp(attachment: Attachment) -> tuple[int, int, int, int, int, int]:
    created = attachment.created_at
    if created.tzinfo is not None:
        created = created.astimezone(UTC)
    # The ZIP format cannot date a file before 1980.
    return max((created.year, created.month, created.day, created.hour, created.minute, created.second),
               (1980, 1, 1, 0, 0, 0))
