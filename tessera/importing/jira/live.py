"""Pulling a live Jira (or another Tessera's Jira-compatible API) into a local spool that the
import then reads as it reads export files, so the survey, the mapping and the bulk writes are
the ones `--file` uses.

The search is paged (`/rest/api/2/search` with startAt on Server and Data Center,
`/rest/api/3/search/jql` with nextPageToken on Cloud), `expand=changelog,names,schema` and every
field; what a search embeds only in part is fetched for the issues that need it: the changelog
beyond its first page, comments and worklogs beyond theirs. Each page goes to the spool (one
gzip'd JSON lines file a page, written whole then renamed) and then to the checkpoint, a row of
the import mapping table (kind "checkpoint": the pages done, and the newest `updated` seen), in
its own transaction. A pull killed mid-way resumes at the page after the last one both hold; a
dry run records its pull too, so the real run that follows reads nothing again.

Once an import is complete, the newest `updated` it brought in is remembered (a "since" row):
the next run asks only for `updated >= "<that - MARGIN>"` (JQL has minute precision, in the
account's time zone, hence the margin; what the margin reads again is unchanged and skipped), and
`full` asks for everything again.

Projects (with components and versions) come from the project endpoints and land in the spool
as `<KEY>.project.json`, as a project export would; statuses' categories from `/status`; custom
fields (types and options), link types and users from their own lists, so those no issue uses
yet come along too."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select

from tessera.db.engine import Database
from tessera.importing.jira.attachments import import_attachments
from tessera.importing.jira.boards import import_boards, read_boards
from tessera.importing.jira.client import JiraClient, JiraUnavailable, ServerInfo
from tessera.importing.jira.pipeline import ImportReport, Progress, Quiet, import_jira
from tessera.importing.jira.sources import file_source, project_exports
from tessera.importing.jira.survey import SiteFacts, site_of
from tessera.importing.jira.values import STATUS_CATEGORIES, custom_field_type, option_values, parse_time
from tessera.importing.models import ImportMapping
from tessera.issues.attachments.storage import ObjectStore
from tessera.tenancy.service import load_organization_by_key

PAGE = 100  # issues a search page asks for (Jira Cloud answers at most 100 with the changelog)
PART_PAGE = 100
FIELDS = "*all"
EXPAND = "changelog,names,schema"
MARGIN = timedelta(minutes=5)  # read again before the newest `updated` imported: JQL's minute, clocks
USER_PAGE = 1000


@dataclass
class Pull:
    info: ServerInfo
    site: str
    jql: str
    spool: Path
    base_jql: str = ""  # the whole search, which the "since" row is kept for
    since: datetime | None = None  # an incremental pull: issues updated from then on
    import_site: str | None = None  # the site the previous imports recorded their issues under
    newest: datetime | None = None  # the newest `updated` of what this pull read
    previous: datetime | None = None  # the newest `updated` of the imports before
    pages: int = 0
    pages_reused: int = 0  # found in the spool from an interrupted run
    issues: int = 0
    complete: bool = False
    facts: SiteFacts = field(default_factory=SiteFacts)
    boards: list[dict[str, Any]] = field(default_factory=list)  # tessera.importing.jira.boards
    seconds: float = 0.0
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> what

    def skip(self, reason: str, what: str) -> None:
        self.skipped.setdefault(reason, []).append(what)


def default_spool(site: str, org_key: str, jql: str) -> Path:
    """Where an interrupted pull's pages wait for the next run: one folder per site, organization
    and query, under the user's cache."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tessera" / "jira-import"
    return base / f"{org_key.lower()}-{hashlib.sha256(f'{site} {jql}'.encode()).hexdigest()[:16]}"


def checkpoint_id(jql: str) -> str:
    return "search:" + hashlib.sha256(jql.encode()).hexdigest()[:32]


async def read_checkpoint(database: Database, org_key: str, site: str, jql: str) -> tuple[int, str | None]:
    """(pages done, newest `updated` seen) of the pull of this query from this site."""
    async with database.unit_of_work(write=False) as session:
        organization = await load_organization_by_key(session, org_key)
        row = (await session.execute(select(ImportMapping.local_id, ImportMapping.fingerprint).where(
            ImportMapping.organization_id == organization.id, ImportMapping.site == site,
            ImportMapping.kind == "checkpoint", ImportMapping.external_id == checkpoint_id(jql)))).first()
    return (int(row[0]), row[1]) if row else (0, None)


async def write_checkpoint(database: Database, org_key: str, site: str, jql: str, pages: int,
                           updated: str | None) -> None:
    async with database.unit_of_work() as session:
        organization = await load_organization_by_key(session, org_key)
        row = (await session.execute(select(ImportMapping).where(
            ImportMapping.organization_id == organization.id, ImportMapping.site == site,
            ImportMapping.kind == "checkpoint", ImportMapping.external_id == checkpoint_id(jql)))).scalar_one_or_none()
        if row is None:
            session.add(ImportMapping(organization_id=organization.id, site=site, kind="checkpoint",
                                      external_id=checkpoint_id(jql), local_id=pages, fingerprint=updated))
        else:
            row.local_id, row.fingerprint = pages, updated


def since_id(site: str, jql: str) -> str:
    return "since:" + hashlib.sha256(f"{site} {jql}".encode()).hexdigest()[:32]


async def read_since(database: Database, org_key: str, site: str, jql: str) -> tuple[str | None, datetime | None]:
    """(the site the import recorded its issues under, the newest `updated` it brought in) of the
    last complete import of this search from this site; (None, None) before the first."""
    async with database.unit_of_work(write=False) as session:
        organization = await load_organization_by_key(session, org_key)
        row = (await session.execute(select(ImportMapping.site, ImportMapping.fingerprint).where(
            ImportMapping.organization_id == organization.id, ImportMapping.kind == "checkpoint",
            ImportMapping.external_id == since_id(site, jql)))).first()
    return (row[0], parse_time(row[1])) if row else (None, None)


async def write_since(database: Database, org_key: str, site: str, jql: str, import_site: str,
                      newest: datetime) -> None:
    async with database.unit_of_work() as session:
        organization = await load_organization_by_key(session, org_key)
        await session.execute(delete(ImportMapping).where(
            ImportMapping.organization_id == organization.id, ImportMapping.kind == "checkpoint",
            ImportMapping.external_id == since_id(site, jql)))
        session.add(ImportMapping(organization_id=organization.id, site=import_site, kind="checkpoint",
                                  external_id=since_id(site, jql), local_id=0, fingerprint=_stamp(newest)))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _newer(newest: datetime | None, stamp: object) -> datetime | None:
    moment = parse_time(stamp)
    return moment if moment is not None and (newest is None or moment > newest) else newest


def default_jql(project_keys: list[str], since: str | None = None) -> str:
    # Cloud refuses an unbounded query; a key order keeps pages stable while the site changes.
    keys = ", ".join(f'"{key}"' for key in project_keys)
    return f"project in ({keys})" + (f' AND updated >= "{since}"' if since else "") + " ORDER BY key ASC"


def jql_time(moment: datetime, zone: str | None) -> str:
    """A JQL date in the account's time zone (Jira reads JQL dates in it), to the minute."""
    try:
        local = moment.astimezone(ZoneInfo(zone)) if zone else moment.astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        local = moment.astimezone(UTC)
    return local.strftime("%Y-%m-%d %H:%M")


async def import_from_url(database: Database, client: JiraClient, *, org_key: str, api: int | None = None,
                          project_keys: Sequence[str] = (), spool: Path | None = None, page_size: int = PAGE,
                          max_pages: int | None = None, dry_run: bool = False, mapping_file: str | None = None,
                          progress: Progress | None = None, store: ObjectStore | None = None,
                          attachment_max_bytes: int = 25 * 1024 * 1024, full: bool = False
                          ) -> tuple[Pull, ImportReport | None]:
    """Pull the site into the spool, then import the spool as `--file` would, then (with a
    `store`) the attachments. An incomplete pull (`max_pages` reached) imports nothing: the next
    run resumes it. After a first complete import only what changed since is pulled, unless `full`."""
    show, started = progress or Quiet(), time.perf_counter()
    info = client.server_info(api)
    show.note(f"{info.base_url}: Jira {info.deployment}, REST v{info.api}, bodies in {info.text_format}")
    wanted = [key.strip().upper() for key in project_keys if key.strip()]
    pulled = await pull(client, database, org_key=org_key, info=info, project_keys=wanted, spool=spool,
                        page_size=page_size, max_pages=max_pages, note=show.note, full=full,
                        pulled=getattr(show, "pulled", None))
    pulled.seconds = time.perf_counter() - started
    if not pulled.complete:
        return pulled, None
    files = spool_files(pulled.spool)
    report = await import_jira(database, org_key=org_key, source=lambda: file_source(files),
                               project_documents=project_exports([pulled.spool]), mapping_file=mapping_file,
                               dry_run=dry_run, project_keys=wanted, progress=show, text_format=info.text_format,
                               site_facts=pulled.facts, skipped=pulled.skipped,
                               attachments_follow=store is not None, site=pulled.import_site)
    if pulled.boards and dry_run:
        report.planned["boards"] = (len(pulled.boards), 0)
    elif pulled.boards:
        show.note("boards and sprints")
        report.created["boards"], sprints = await import_boards(
            database, org_key=org_key, site=report.site, boards=pulled.boards,
            statuses=report.mapping.get("statuses") or {}, skip=lambda reason, what: report.skipped.setdefault(
                reason, []).append(what))
        report.created["sprints"] = report.created.get("sprints", 0) + sprints
    if store is not None and not dry_run:
        show.note("attachments")
        await attach(database, client, store, report, (item.issue for item in file_source(files)),
                     text_format=info.text_format, max_bytes=attachment_max_bytes)
    report.notes.append(
        f"pulled {pulled.issues:,} issues in {pulled.pages:,} pages with {client.requests:,} requests in "
        f"{pulled.seconds:.1f}s" + (f" ({pulled.pages_reused:,} pages from an earlier run)" if pulled.pages_reused else "")
        + (f"; only issues updated since {_stamp(pulled.since)} (the previous import's newest, less "
           f"{int(MARGIN.total_seconds() // 60)} minutes; --full reads everything)" if pulled.since else "; every issue")
        + (f"; waited {client.waited:.1f}s for the server's rate limit" if client.waited else ""))
    if not dry_run:
        newest = max((moment for moment in (pulled.newest, pulled.previous) if moment is not None), default=None)
        if newest is not None:
            await write_since(database, org_key, pulled.site, pulled.base_jql, report.site, newest)
        finish(pulled)
    return pulled, report


async def attach(database: Database, client: JiraClient, store: ObjectStore, report: ImportReport,
                 issues: Iterable[dict[str, Any]], *, text_format: str, max_bytes: int,
                 rebase: bool = False) -> None:
    """The attachments of the imported issues, downloaded through `client`; `rebase` reads each
    content address's path on the client's site (an export's addresses name the site it came from)."""

    def fetch(url: str, limit: int) -> bytes | None:
        if rebase:
            parts = urlsplit(url)
            url = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.download(url, limit)

    def skip(reason: str, what: str) -> None:
        report.skipped.setdefault(reason, []).append(what)

    done = await import_attachments(database, store, org_key=report.organization_key, site=report.site,
                                    issues=issues, fetch=fetch, max_bytes=max_bytes,
                                    users=report.mapping.get("users") or {}, text_format=text_format, skip=skip)
    report.attachments = done.imported
    report.notes.append(f"attachments: {done.imported:,} downloaded ({done.bytes:,} bytes), {done.known:,} "
                        f"imported before; {done.bodies_updated:,} descriptions and comments now show them")


async def pull(client: JiraClient, database: Database, *, org_key: str, info: ServerInfo,
               project_keys: list[str] | None = None, spool: Path | None = None, page_size: int = PAGE,
               max_pages: int | None = None, note: Callable[[str], None] = lambda _: None,
               full: bool = False, pulled: Callable[[int, int | None], None] | None = None) -> Pull:
    """Fill the spool with the site's issues (resuming an interrupted pull of the same query);
    `max_pages` stops after that many new pages (the pull is then not complete). After a
    complete import of these projects, only the issues updated since its newest (less MARGIN),
    unless `full`, which also reads again a spool that is complete already."""
    api = f"/rest/api/{info.api}"
    site = site_of(info.base_url)
    projects = _projects(client, api, project_keys)
    base = default_jql(sorted(projects))
    import_site, newest = await read_since(database, org_key, site, base)
    since = None if full or newest is None else newest - MARGIN
    jql = default_jql(sorted(projects), jql_time(since, _time_zone(client, api)) if since else None)
    result = Pull(info=info, site=site, jql=jql, spool=spool or default_spool(site, org_key, jql), base_jql=base,
                  since=since, import_site=import_site, previous=newest)
    result.spool.mkdir(parents=True, exist_ok=True)
    state = _state(result.spool)
    done, updated = await read_checkpoint(database, org_key, site, jql)
    if state.get("jql") != jql or state.get("api") != info.api or (full and state.get("complete")):
        state = {}
    on_disk = state.get("pages", 0)
    keep = min(done, on_disk)
    if keep < on_disk or not state:  # only pages the checkpoint also holds are trusted
        cursor = None
        if keep and info.api == 2:
            cursor = _issues_in(result.spool, keep)  # startAt can be rebuilt from the pages...
        elif keep:
            keep = 0  # ...a nextPageToken cannot
        _drop_pages(result.spool, after=keep)
        state = {"jql": jql, "api": info.api, "pages": keep, "issues": _issues_in(result.spool, keep),
                 "next": cursor, "complete": False}
    result.pages_reused = state["pages"]
    result.pages, result.issues = state["pages"], state["issues"]
    if result.pages_reused:
        note(f"resuming after page {result.pages_reused:,} ({result.issues:,} issues already pulled)")
    for key, document in projects.items():
        (result.spool / f"{key}.project.json").write_text(json.dumps(document), encoding="utf-8")
    result.facts = _site_facts(client, api, sorted(projects))
    result.boards = read_boards(client, api, sorted(projects), result.skip)
    fetched = 0
    while not state.get("complete"):
        if max_pages is not None and fetched >= max_pages:
            return result
        page, following = _search_page(client, info, jql, state.get("next"), page_size)
        issues = page.get("issues") or []
        shared = {part: page[part] for part in ("names", "schema") if isinstance(page.get(part), dict)}
        newest = parse_time(updated)
        for issue in issues:
            for part, value in shared.items():
                issue.setdefault(part, value)
            _complete(client, api, issue, result)
            newest = _newer(newest, (issue.get("fields") or {}).get("updated"))
        updated = _stamp(newest) if newest else None
        number = state["pages"] + 1
        _write_page(result.spool, number, issues)
        state.update(pages=number, issues=state["issues"] + len(issues), next=following,
                     complete=following is None)
        _save_state(result.spool, state)
        await write_checkpoint(database, org_key, site, jql, number, updated)
        fetched += 1
        result.pages, result.issues = number, state["issues"]
        total = page.get("total") if isinstance(page.get("total"), int) else None
        if pulled is not None:
            pulled(result.issues, result.issues if following is None else total)
    result.complete = True
    result.newest = parse_time(updated)
    return result


def spool_files(spool: Path) -> list[Path]:
    return sorted(spool.glob("page-*.jsonl.gz"))


def finish(result: Pull) -> None:
    """After a complete import: the spool is no longer needed (the checkpoint stays)."""
    shutil.rmtree(result.spool, ignore_errors=True)


def _projects(client: JiraClient, api: str, wanted: list[str] | None) -> dict[str, dict[str, Any]]:
    """The projects to import as project exports (key, name, description, lead, components,
    versions with their dates), every readable one unless some are named."""
    listed = client.get(f"{api}/project") or []
    keys = [str(p["key"]).upper() for p in listed if isinstance(p, dict) and p.get("key")]
    if wanted:
        missing = sorted(set(wanted) - set(keys))
        if missing:
            raise JiraUnavailable(f"{client.url}: no readable project {', '.join(missing)}.", field="project")
        keys = [key for key in keys if key in wanted]
    if not keys:
        raise JiraUnavailable(f"{client.url}: the account reads no project.", field="project")
    documents = {}
    for key in keys:
        project = client.get(f"{api}/project/{key}") or {}
        documents[key] = {"key": key, "id": project.get("id"), "name": project.get("name") or key,
                          "description": project.get("description") or "", "lead": project.get("lead"),
                          "components": client.get(f"{api}/project/{key}/components", missing_ok=True)
                          or project.get("components") or [],
                          "versions": client.get(f"{api}/project/{key}/versions", missing_ok=True)
                          or project.get("versions") or []}
    return documents


def _site_facts(client: JiraClient, api: str, project_keys: list[str]) -> SiteFacts:
    facts = SiteFacts()
    for status in client.get(f"{api}/status", missing_ok=True) or []:
        if isinstance(status, dict) and status.get("name"):
            key = (status.get("statusCategory") or {}).get("key") or ""
            if key in STATUS_CATEGORIES:
                facts.status_categories[str(status["name"])] = STATUS_CATEGORIES[key]
    facts.priority_order = [str(p["name"]) for p in client.get(f"{api}/priority", missing_ok=True) or []
                            if isinstance(p, dict) and p.get("name")]
    facts.resolutions = {str(r["name"]): str(r.get("description") or "")
                         for r in client.get(f"{api}/resolution", missing_ok=True) or []
                         if isinstance(r, dict) and r.get("name")}
    facts.fields = _custom_fields(client, api, project_keys)
    listed = _optional(client, f"{api}/issueLinkType") or {}
    facts.link_types = {str(t["name"]): (str(t.get("outward") or t["name"]), str(t.get("inward") or t["name"]))
                        for t in (listed.get("issueLinkTypes") or [] if isinstance(listed, dict) else [])
                        if isinstance(t, dict) and t.get("name")}
    facts.users = _users(client, api)
    return facts


def _optional(client: JiraClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """What a list the import can do without answers; None where the site has it not (a 404),
    or refuses it (Cloud has retired createmeta; some lists need a global permission)."""
    try:
        return client.get(path, params, missing_ok=True)
    except JiraUnavailable:
        return None


def _time_zone(client: JiraClient, api: str) -> str | None:
    """The account's time zone, in which the site reads the dates of a JQL query."""
    me = _optional(client, f"{api}/myself")
    return str(me["timeZone"]) if isinstance(me, dict) and me.get("timeZone") else None


def _custom_fields(client: JiraClient, api: str, project_keys: list[str]) -> dict[str, tuple[str, str, list[str]]]:
    """The site's custom fields of a type Tessera holds, with their options where the create
    screens list them (`allowedValues`), whether or not an issue holds a value yet."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for entry in _optional(client, f"{api}/field") or []:
        if not isinstance(entry, dict) or not str(entry.get("id", "")).startswith("customfield_"):
            continue
        kind = custom_field_type(None, entry.get("schema"))
        if kind is not None and entry.get("name"):
            found[str(entry["id"])] = (str(entry["name"])[:255], kind, [])
    if not any(kind in ("select", "multi_select") for _, kind, _ in found.values()):
        return found
    meta = _optional(client, f"{api}/issue/createmeta", {"projectKeys": ",".join(project_keys),
                                                         "expand": "projects.issuetypes.fields"})
    for project in (meta or {}).get("projects") or [] if isinstance(meta, dict) else []:
        for issue_type in project.get("issuetypes") or []:
            for field_id, described in (issue_type.get("fields") or {}).items():
                if field_id in found and isinstance(described, dict):
                    options = found[field_id][2]
                    for value in option_values(list(described.get("allowedValues") or [])):
                        if value not in options:
                            options.append(value)
    return found


def _users(client: JiraClient, api: str) -> list[dict[str, Any]]:
    """Every user the account may list, active or not: Cloud's `/users/search`, else Server's
    `/user/search?username=.` (which matches everyone), a page at a time."""
    paths = ([(f"{api}/users/search", {})] if api.endswith("/3") else []) + [
        (f"{api}/user/search", {"username": ".", "includeActive": "true", "includeInactive": "true"})]
    for path, params in paths:
        collected: list[dict[str, Any]] = []
        start = 0
        while True:
            try:
                page = client.get(path, {**params, "startAt": start, "maxResults": USER_PAGE}, missing_ok=True)
            except JiraUnavailable:  # no Browse Users permission: the issues' users still come along
                return []
            if page is None:
                break
            batch = [user for user in page if isinstance(user, dict)] if isinstance(page, list) else []
            start += len(batch)
            # Cloud lists apps and service-desk customers too; they are not the team
            collected += [user for user in batch if user.get("accountType") in (None, "atlassian")]
            if len(batch) < USER_PAGE:
                return collected
    return []


def _search_page(client: JiraClient, info: ServerInfo, jql: str, cursor: Any,
                 size: int) -> tuple[dict[str, Any], Any]:
    """One page and the cursor of the next (None after the last)."""
    if info.api == 3:
        params: dict[str, Any] = {"jql": jql, "maxResults": size, "fields": FIELDS, "expand": EXPAND}
        if cursor:
            params["nextPageToken"] = cursor
        page = client.get("/rest/api/3/search/jql", params)
        token = page.get("nextPageToken")
        return page, (token if token and not page.get("isLast") and page.get("issues") else None)
    start = int(cursor or 0)
    page = client.get("/rest/api/2/search", {"jql": jql, "startAt": start, "maxResults": size, "fields": FIELDS,
                                             "expand": EXPAND})
    issues = page.get("issues") or []
    following = start + len(issues)
    return page, (following if issues and following < int(page.get("total") or 0) else None)


def _complete(client: JiraClient, api: str, issue: dict[str, Any], result: Pull) -> None:
    """The changelog, comments and worklogs beyond what the search embedded."""
    key, fields = issue["key"], issue.setdefault("fields", {})
    changelog = issue.get("changelog")
    if not isinstance(changelog, dict) or int(changelog.get("total") or 0) > len(changelog.get("histories") or []):
        histories = _paged(client, f"{api}/issue/{key}/changelog", "values")
        if histories is None:  # Server before 9: the changelog comes whole with the issue
            whole = client.get(f"{api}/issue/{key}", {"expand": "changelog", "fields": "summary"}, missing_ok=True)
            histories = ((whole or {}).get("changelog") or {}).get("histories")
        if histories is None:
            result.skip("changelog not readable (only the search's first page of it came along)", key)
        else:
            issue["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                                  "histories": histories}
    for name, items in (("comment", "comments"), ("worklog", "worklogs")):
        holder = fields.get(name)
        if isinstance(holder, dict) and int(holder.get("total") or 0) > len(holder.get(items) or []):
            every = _paged(client, f"{api}/issue/{key}/{name}", items)
            if every is None:
                result.skip(f"{items} beyond the first {len(holder.get(items) or [])} not readable", key)
            else:
                fields[name] = {"startAt": 0, "maxResults": len(every), "total": len(every), items: every}


def _paged(client: JiraClient, path: str, items: str) -> list[dict[str, Any]] | None:
    collected: list[dict[str, Any]] = []
    while True:
        page = client.get(path, {"startAt": len(collected), "maxResults": PART_PAGE}, missing_ok=True)
        if page is None:
            return None
        batch = page.get(items) or []
        collected += batch
        if not batch or page.get("isLast") or len(collected) >= int(page.get("total") or 0):
            return collected


def _state(spool: Path) -> dict[str, Any]:
    try:
        return json.loads((spool / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(spool: Path, state: dict[str, Any]) -> None:
    temporary = spool / "state.json.part"
    temporary.write_text(json.dumps(state), encoding="utf-8")
    temporary.replace(spool / "state.json")


def _write_page(spool: Path, number: int, issues: list[dict[str, Any]]) -> None:
    temporary = spool / f"page-{number:06d}.part"
    with gzip.open(temporary, "wt", encoding="utf-8") as stream:
        for issue in issues:
            stream.write(json.dumps(issue, ensure_ascii=False, separators=(",", ":")) + "\n")
    temporary.replace(spool / f"page-{number:06d}.jsonl.gz")


def _drop_pages(spool: Path, *, after: int) -> None:
    for path in spool_files(spool):
        if int(path.name[5:11]) > after:
            path.unlink()


def _issues_in(spool: Path, pages: int) -> int:
    count = 0
    for path in spool_files(spool)[:pages]:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            count += sum(1 for line in stream if line.strip())
    return count
