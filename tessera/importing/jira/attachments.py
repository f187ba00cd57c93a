"""Attachments of imported issues, once the issues are in: each file is downloaded (through the
importer's client, so throttled and authenticated), written to the organization's object store,
recorded with its original author and date, and remembered in the import mapping (kind
"attachment"), so importing again downloads nothing twice. Then the descriptions and comments
that refer to an attachment (`!screenshot.png!`, `[^log.txt]`, or another Tessera's
attachment links) are converted again with the attachment map, so they show the imported file.

Object-store writes happen outside database transactions (as for uploads): a file is stored,
then recorded with its quota in a short transaction, and deleted again if that fails."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from tessera.db.engine import Database
from tessera.importing.jira.bodies import Bodies
from tessera.importing.jira.rows import DESCRIPTION_MAX
from tessera.importing.jira.values import parse_time, user_identity
from tessera.importing.models import ImportMapping
from tessera.issues.attachments.models import FILENAME_MAX, Attachment
from tessera.issues.attachments.service import discard_objects
from tessera.issues.attachments.sniffing import sniff_content_type
from tessera.issues.attachments.staging import clean_filename
from tessera.issues.attachments.storage import ObjectStore, attachment_key
from tessera.issues.attachments.storage_usage import reserve_storage
from tessera.issues.comments.models import Comment
from tessera.issues.models import Issue
from tessera.tenancy.models import User
from tessera.tenancy.service import load_organization_by_key, normalize_email


@dataclass
class AttachmentResult:
    imported: int = 0
    known: int = 0
    bytes: int = 0
    bodies_updated: int = 0


async def import_attachments(database: Database, store: ObjectStore, *, org_key: str, site: str,
                             issues: Iterable[dict[str, Any]], fetch: Callable[[str, int], bytes | None],
                             max_bytes: int, users: dict[str, dict[str, Any]], text_format: str,
                             skip: Callable[[str, str], None]) -> AttachmentResult:
    """`users` is the mapping's users section (identity -> email); `skip(reason, what)` reports."""
    result = AttachmentResult()
    async with database.unit_of_work(write=False) as session:
        organization = await load_organization_by_key(session, org_key)
        org = organization.id
        mapped = {(kind, external): local for kind, external, local in (await session.execute(select(
            ImportMapping.kind, ImportMapping.external_id, ImportMapping.local_id).where(
            ImportMapping.organization_id == org, ImportMapping.site == site,
            ImportMapping.kind.in_(("issue", "attachment", "comment"))))).all()}
        by_email = {email: (user_id, name) for user_id, email, name in (await session.execute(select(
            User.id, User.email, User.display_name).where(User.organization_id == org))).all()}
    people = {identity: by_email[normalize_email(entry["email"])] for identity, entry in users.items()
              if normalize_email(entry.get("email") or "") in by_email}
    for issue in issues:
        files = [a for a in issue["fields"].get("attachment") or [] if isinstance(a, dict) and a.get("id")]
        issue_id = mapped.get(("issue", str(issue.get("id") or issue["key"])))
        if not files or issue_id is None:
            continue
        links: dict[str, str] = {}
        for raw in files:
            external = str(raw["id"])
            local = mapped.get(("attachment", external))
            if local is None:
                local = await _one(database, store, org, site, issue, issue_id, raw, fetch, max_bytes, people, skip,
                                   result)
                if local is None:
                    continue
                mapped[("attachment", external)] = local
            else:
                result.known += 1
            url = f"/v2/attachments/{local}/content"
            links[str(raw.get("filename") or "")] = url
            for source_url in (raw.get("content"), f"/v2/attachments/{external}/content"):
                if source_url:
                    links[str(source_url)] = url
        result.bodies_updated += await _relink(database, org, issue, issue_id, mapped,
                                               Bodies(text_format, people, links))
    return result


async def _one(database: Database, store: ObjectStore, org: int, site: str, issue: dict[str, Any], issue_id: int,
               raw: dict[str, Any], fetch: Callable[[str, int], bytes | None], max_bytes: int,
               people: dict[str, tuple[int, str]], skip: Callable[[str, str], None],
               result: AttachmentResult) -> int | None:
    name = clean_filename(str(raw.get("filename") or "attachment"))[:FILENAME_MAX] or "attachment"
    what = f"{issue['key']}: {name}"
    size = raw.get("size")
    if isinstance(size, int) and size > max_bytes:
        skip(f"attachment larger than the limit ({max_bytes:,} bytes)", what)
        return None
    if not raw.get("content"):
        skip("attachment without a content address", what)
        return None
    data = fetch(str(raw["content"]), max_bytes)
    if data is None:
        skip(f"attachment gone from the source, or larger than the limit ({max_bytes:,} bytes)", what)
        return None
    content_type = sniff_content_type(data)  # what Tessera serves is what it sniffed, as for uploads
    stored = await store.put(attachment_key(org, uuid.uuid4().hex), data, content_type=content_type)
    try:
        async with database.unit_of_work() as session:
            await reserve_storage(session, organization_id=org, size=stored.size)
            author = people.get(user_identity(raw.get("author")) or "")
            attachment = Attachment(organization_id=org, issue_id=issue_id, filename=name,
                                    content_type=content_type,
                                    declared_content_type=str(raw.get("mimeType") or "")[:255] or None,
                                    size=stored.size, sha256=stored.sha256, storage_key=stored.key,
                                    author_id=author[0] if author else None,
                                    **({"created_at": parse_time(raw.get("created"))}
                                       if parse_time(raw.get("created")) else {}))
            session.add(attachment)
            await session.flush()
            session.add(ImportMapping(organization_id=org, site=site, kind="attachment",
                                      external_id=str(raw["id"]), local_id=attachment.id))
    except BaseException:
        await discard_objects(store, [stored.key])
        raise
    result.imported += 1
    result.bytes += stored.size
    return attachment.id


async def _relink(database: Database, org: int, issue: dict[str, Any], issue_id: int,
                  mapped: dict[tuple[str, str], int], bodies: Bodies) -> int:
    """The description and comments converted again with the attachment map, where that changes them."""
    changed = 0
    fields = issue["fields"]
    async with database.unit_of_work() as session:
        if fields.get("description"):
            text = bodies.markdown(fields["description"])[:DESCRIPTION_MAX]
            changed += (await session.execute(update(Issue).where(
                Issue.organization_id == org, Issue.id == issue_id, Issue.description != text).values(
                description=text))).rowcount or 0
        for comment in (fields.get("comment") or {}).get("comments") or []:
            local = mapped.get(("comment", str(comment.get("id"))))
            if local is None or not comment.get("body"):
                continue
            text = bodies.markdown(comment["body"])
            changed += (await session.execute(update(Comment).where(
                Comment.organization_id == org, Comment.id == local, Comment.body != text).values(
                body=text))).rowcount or 0
    return changed
