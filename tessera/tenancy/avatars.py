"""Avatars. Generated: a user's initials on a colour picked from their name, as SVG. Served where
an API promises an avatar URL (Jira's avatarUrls) and inlined where a picture is wanted at once
(GraphQL's avatar of users without one). Uploaded: a picture the user chose (below)."""

from __future__ import annotations

import hashlib
import re
import struct
from typing import Protocol
from xml.sax.saxutils import escape

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.tenancy.models import User

AVATAR_COLORS = ("#0052cc", "#00875a", "#de350b", "#5243aa", "#ff8b00", "#00a3bf", "#6554c0", "#36b37e")


def initials(name: str) -> str:
    parts = [part for part in name.replace(".", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def initials_svg(name: str, size: int = 48) -> str:
    """A round `size`-pixel avatar; the text is escaped (names are user input)."""
    color = AVATAR_COLORS[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(AVATAR_COLORS)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 48 48">'
            f'<rect width="48" height="48" rx="24" fill="{color}"/><text x="24" y="30" font-family="sans-serif" '
            f'font-size="18" fill="#fff" text-anchor="middle">{escape(initials(name))}</text></svg>')


# Uploaded avatars: PNG, JPEG, WebP or GIF, recognised by decoding the image's header (its
# signature and its size in pixels), never by the file's name or the type the browser claims.
# The bytes live in the object store under the user's organization; users.avatar_url names
# them (/users/{id}/avatar/{digest}.{ext}), so a new picture is a new URL.
AVATAR_MAX_BYTES = 1024 * 1024
AVATAR_MAX_PIXELS = 4096
AVATAR_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
_AVATAR_URL = re.compile(r"/users/([0-9]{1,20})/avatar/([0-9a-f]{16})\.(png|jpg|webp|gif)")


class AvatarStore(Protocol):
    """What avatars need of the object store (tessera.issues.attachments.storage)."""

    async def put(self, key: str, source: bytes, *, content_type: str) -> object: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def image_format(data: bytes) -> str:
    """The extension (a key of AVATAR_TYPES) of an image whose header decodes to a sensible size;
    InvalidInput naming the `avatar` field otherwise."""
    size: tuple[int, int] | None = None
    kind = ""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        kind, size = "png", struct.unpack(">II", data[16:24])
    elif data[:3] == b"\xff\xd8\xff":
        kind, size = "jpg", _jpeg_size(data)
    elif data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        kind, size = "gif", struct.unpack("<HH", data[6:10])
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind, size = "webp", _webp_size(data)
    if not kind or size is None:
        raise InvalidInput("The avatar must be a PNG, JPEG, WebP or GIF image.", field="avatar")
    width, height = size
    if not (0 < width <= AVATAR_MAX_PIXELS and 0 < height <= AVATAR_MAX_PIXELS):
        raise InvalidInput(f"The avatar must be at most {AVATAR_MAX_PIXELS}×{AVATAR_MAX_PIXELS} pixels "
                           f"(this one is {width}×{height}).", field="avatar")
    return kind


def _key(organization_id: int, user_id: int, digest: str, extension: str) -> str:
    return f"org/{int(organization_id)}/avatars/{int(user_id)}-{digest}.{extension}"


def stored_avatar(user: User) -> tuple[str, str] | None:
    """(object key, content type) of the user's uploaded avatar, or None."""
    match = _AVATAR_URL.fullmatch(user.avatar_url or "")
    if match is None or int(match.group(1)) != user.id:
        return None
    return _key(user.organization_id, user.id, match.group(2), match.group(3)), AVATAR_TYPES[match.group(3)]


async def check_set_avatar(session: AsyncSession, store: AvatarStore, *, user: User, data: bytes) -> str:
    """Validate and store the picture as `user`'s avatar (replacing any before); its URL."""
    if not data:
        raise InvalidInput("Choose an image file for the avatar.", field="avatar")
    if len(data) > AVATAR_MAX_BYTES:
        raise InvalidInput(f"The avatar must be at most {AVATAR_MAX_BYTES // 1024} KB.", field="avatar")
    extension = image_format(data)
    digest = hashlib.sha256(data).hexdigest()[:16]
    previous = stored_avatar(user)
    await store.put(_key(user.organization_id, user.id, digest, extension), data,
                    content_type=AVATAR_TYPES[extension])
    user.avatar_url = f"/users/{user.id}/avatar/{digest}.{extension}"
    await session.flush()
    if previous and previous[0] != _key(user.organization_id, user.id, digest, extension):
        await store.delete(previous[0])
    return user.avatar_url


async def do_remove_avatar(session: AsyncSession, store: AvatarStore, *, user: User) -> None:
    previous = stored_avatar(user)
    user.avatar_url = None
    await session.flush()
    if previous:
        await store.delete(previous[0])
