"""The entries of a ZIP attachment, for Jira's attachment expansion (the file list Jira shows
under an archive). Only the central directory is read: nothing is extracted."""

from __future__ import annotations

import io
import mimetypes
import zipfile
from dataclasses import dataclass

from tessera.errors import Conflict

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class ArchiveEntry:
    index: int
    path: str
    size: int
    media_type: str


def archive_entries(data: bytes, *, limit: int = MAX_ENTRIES) -> tuple[list[ArchiveEntry], int]:
    """(the first `limit` file entries, how many files the archive holds). Directories are not
    entries. Anything but a readable ZIP is a 409, as Jira answers for archives it cannot read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Conflict("The attachment is not an archive that can be expanded.", code="not_an_archive") from None
    entries = [ArchiveEntry(index=index, path=info.filename, size=info.file_size,
                            media_type=mimetypes.guess_type(info.filename)[0] or "application/octet-stream")
               for index, info in enumerate(files[:limit])]
    return entries, len(files)


def human_size(size: int) -> str:
    """As Jira labels sizes: "0.0 kB" under a kilobyte, then kB and MB."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} kB" if size < 1024 else f"{round(size / 1024)} kB"
    return f"{size / (1024 * 1024):.1f} MB"
