"""Uploads on their way in: each file streams into a spooled temp file (memory up to 1 MiB, then
disk), counted, hashed and checked against the size limit as its bytes arrive, so an oversized
file is refused at the first byte past the limit and nothing of it reaches the object store.

`read_multipart` parses a multipart/form-data body incrementally with python-multipart (no web
framework), so the REST transport can stream a request straight into staged files."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from email.message import Message
from tempfile import SpooledTemporaryFile
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from tessera.errors import InvalidInput, PayloadTooLarge, TesseraError
from tessera.issues.attachments.models import FILENAME_MAX
from tessera.issues.attachments.sniffing import SNIFF_BYTES, sniff_content_type
from tessera.issues.attachments.storage.base import Digest

FILE_FIELD = "file"
MAX_FILES_PER_UPLOAD = 20
_SPOOL_BYTES = 1024 * 1024
_MAX_TEXT_FIELD = 64 * 1024
_MAX_TEXT_FIELDS = 50
_MAX_PART_HEADERS = 16 * 1024
# Browsers escape these three characters in multipart filenames (HTML's form encoding).
_FORM_ESCAPES = (("%22", '"'), ("%0D", "\r"), ("%0A", "\n"), ("%0d", "\r"), ("%0a", "\n"))


class UnsupportedUpload(TesseraError):
    code = "unsupported_media_type"
    status = 415


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.4g} MiB"


def too_large(filename: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"'{filename}' is larger than the attachment limit of {_megabytes(limit)} ({limit} bytes).",
                           code="attachment_too_large", field=FILE_FIELD,
                           data={"filename": filename, "limit_bytes": limit})


def clean_filename(raw: str) -> str:
    """The name to keep and show: the last path segment, without control characters, NFC, at most
    255 characters (keeping the extension). Quotes and any other printable characters stay."""
    text = raw
    for escaped, char in _FORM_ESCAPES:
        text = text.replace(escaped, char)
    text = unicodedata.normalize("NFC", text).replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    if text in ("", ".", ".."):
        return "attachment"
    if len(text) > FILENAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            text = stem[:FILENAME_MAX - len(extension) - 1] + "." + extension
        else:
            text = text[:FILENAME_MAX]
    return text


@dataclass
class StagedFile:
    """A received file, complete and checked: `file` holds its bytes (rewind before reading)."""

    filename: str
    declared_content_type: str | None
    content_type: str
    size: int
    sha256: str
    file: Any = field(repr=False)

    def close(self) -> None:
        self.file.close()


class FileStager:
    """Receives one file's bytes. `admit` counts (and refuses past the limit) without I/O, so a
    parser callback can call it; `write` stores what was admitted."""

    def __init__(self, filename: str, declared_content_type: str | None, *, max_bytes: int) -> None:
        # A browser sends an empty, unnamed file part for a file input left empty.
        self.unnamed = not filename.strip()
        self.filename = clean_filename(filename)
        declared = "".join(ch for ch in declared_content_type or "" if " " <= ch <= "~")
        self.declared_content_type = declared.strip()[:255] or None
        self.max_bytes = max_bytes
        self.admitted = 0
        self._digest = Digest()
        self._head = bytearray()
        self._file: Any = SpooledTemporaryFile(max_size=_SPOOL_BYTES)

    def admit(self, size: int) -> None:
        self.admitted += size
        if self.admitted > self.max_bytes:
            raise too_large(self.filename, self.max_bytes)

    def write(self, data: bytes) -> None:
        if len(self._head) < SNIFF_BYTES:
            self._head += data[:SNIFF_BYTES - len(self._head)]
        self._file.write(self._digest.update(data))

    def finish(self) -> StagedFile:
        if self._digest.size == 0:
            self.discard()
            raise InvalidInput(f"'{self.filename}' is empty.", field=FILE_FIELD, code="empty_file",
                               data={"filename": self.filename})
        self._file.seek(0)
        return StagedFile(filename=self.filename, declared_content_type=self.declared_content_type,
                          content_type=sniff_content_type(bytes(self._head)), size=self._digest.size,
                          sha256=self._digest.sha256, file=self._file)

    def discard(self) -> None:
        self._file.close()


async def stage_stream(stager: FileStager, chunks: AsyncIterable[bytes]) -> StagedFile:
    """One file from an async stream of chunks (a form library's upload object, for instance)."""
    try:
        async for chunk in chunks:
            stager.admit(len(chunk))
            await asyncio.to_thread(stager.write, chunk)
        return stager.finish()
    except BaseException:
        stager.discard()
        raise


def require_files(files: list[StagedFile]) -> list[StagedFile]:
    if not files:
        raise InvalidInput(f"Attach at least one file as a '{FILE_FIELD}' part of a multipart/form-data body.",
                           field=FILE_FIELD, code="missing_file")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise InvalidInput(f"At most {MAX_FILES_PER_UPLOAD} files may be uploaded at once.", field=FILE_FIELD,
                           code="too_many_files")
    return files


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _disposition(raw: bytes) -> tuple[str | None, str | None]:
    """(field name, filename) from a part's Content-Disposition; filename* (RFC 5987) wins."""
    message = Message()
    message["content-disposition"] = _decode(raw)
    name = message.get_param("name", header="content-disposition")
    filename = message.get_filename()
    if isinstance(name, tuple):  # an RFC 2231-encoded name
        name = name[2]
    if filename is None and b"filename" in raw:
        _, options = parse_options_header(raw)
        if b"filename" in options:
            filename = _decode(options[b"filename"])
    return (str(name) if name is not None else None), filename


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.header_name = b""
        self.header_value = b""
        self.name: str | None = None
        self.stager: FileStager | None = None
        self.text = bytearray()


class MultipartReader:
    """Feeds a multipart/form-data body through python-multipart. File parts named `file` become
    staged files; short text parts are kept as `fields`; a file part under any other name is
    refused (a silently dropped file would surprise)."""

    def __init__(self, content_type: str | None, *, max_file_bytes: int) -> None:
        kind, options = parse_options_header((content_type or "").encode("latin-1", errors="replace"))
        if kind != b"multipart/form-data" or not options.get(b"boundary"):
            raise UnsupportedUpload(f"Send the files as multipart/form-data with one '{FILE_FIELD}' part per file.",
                                    field=FILE_FIELD)
        self.max_file_bytes = max_file_bytes
        self.files: list[StagedFile] = []
        self.fields: dict[str, str] = {}
        self._part = _Part()
        self._pending: list[tuple[FileStager, bytes]] = []
        self._finished: list[FileStager] = []
        self._open: list[FileStager] = []
        self._parser = MultipartParser(options[b"boundary"], {
            "on_part_begin": self._on_part_begin, "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end, "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value, "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished})

    async def read(self, chunks: AsyncIterable[bytes]) -> list[StagedFile]:
        try:
            async for chunk in chunks:
                self._feed(chunk)
                await self._drain()
            self._finalize()
            await self._drain()
            return require_files(self.files)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        for stager in self._open:
            stager.discard()
        for staged in self.files:
            staged.close()

    def _feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as error:
            raise InvalidInput(f"The multipart body could not be read: {error}", field=FILE_FIELD,
                               code="malformed_multipart") from None

    def _finalize(self) -> None:
        try:
            self._parser.finalize()
        except FormParserError as error:
            raise InvalidInput(f"The multipart body could not be read: {error}", field=FILE_FIELD,
                               code="malformed_multipart") from None
        if self._open:
            raise InvalidInput("The multipart body ended in the middle of a file.", field=FILE_FIELD,
                               code="malformed_multipart")

    async def _drain(self) -> None:
        """File writes happen here, off the event loop, not in the parser's callbacks."""
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.to_thread(_write_all, pending)
        finished, self._finished = self._finished, []
        for stager in finished:
            self._open.remove(stager)
            if stager.unnamed and stager.admitted == 0:
                stager.discard()
                continue
            self.files.append(stager.finish())

    # python-multipart callbacks (synchronous, called from inside `write`).
    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_name += data[start:end]
        self._check_header_size()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]
        self._check_header_size()

    def _check_header_size(self) -> None:
        part = self._part
        if len(part.header_name) + len(part.header_value) + sum(map(len, part.headers.values())) > _MAX_PART_HEADERS:
            raise InvalidInput("A multipart part's headers are too long.", field=FILE_FIELD,
                               code="malformed_multipart")

    def _on_header_end(self) -> None:
        self._part.headers[self._part.header_name.lower()] = self._part.header_value
        self._part.header_name, self._part.header_value = b"", b""

    def _on_headers_finished(self) -> None:
        name, filename = _disposition(self._part.headers.get(b"content-disposition", b""))
        if name is None:
            raise InvalidInput("Every multipart part needs a Content-Disposition with a name.", field=FILE_FIELD,
                               code="malformed_multipart")
        self._part.name = name
        if filename is None:
            if len(self.fields) >= _MAX_TEXT_FIELDS:
                raise InvalidInput("Too many form fields.", field=name, code="too_many_fields")
            return
        if name != FILE_FIELD:
            raise InvalidInput(f"Unexpected file part '{name[:64]}': send files as '{FILE_FIELD}' parts.",
                               field=FILE_FIELD, code="unexpected_part")
        if len(self.files) + len(self._open) >= MAX_FILES_PER_UPLOAD:
            raise InvalidInput(f"At most {MAX_FILES_PER_UPLOAD} files may be uploaded at once.", field=FILE_FIELD,
                               code="too_many_files")
        declared = _decode(self._part.headers.get(b"content-type", b""))
        self._part.stager = FileStager(filename, declared, max_bytes=self.max_file_bytes)
        self._open.append(self._part.stager)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        stager = self._part.stager
        if stager is None:
            if len(self._part.text) + end - start > _MAX_TEXT_FIELD:
                raise InvalidInput("A form field is too long.", field=self._part.name, code="field_too_long")
            self._part.text += data[start:end]
            return
        stager.admit(end - start)
        self._pending.append((stager, bytes(data[start:end])))

    def _on_part_end(self) -> None:
        if self._part.stager is not None:
            self._finished.append(self._part.stager)
        elif self._part.name is not None:
            self.fields[self._part.name] = _decode(bytes(self._part.text))


def _write_all(pending: list[tuple[FileStager, bytes]]) -> None:
    for stager, data in pending:
        stager.write(data)
