"""Jira's JSON for the small things every response carries: timestamps, users, statuses and
their categories, priorities, issue types, resolutions, projects, components and versions.

Users: Jira Server names a user by `name`/`key` (the username); Tessera's users have no
username, so both are the user's email (unique in an organization, stable), and `accountId`
is Tessera's user id. Requests may name a user by any of the three (see people.py).

Two dialects: Jira Server's (`/rest/api/2`) and Jira Cloud's REST v3 (`/rest/api/3`), whose
users are named by `accountId` only and whose rich text (descriptions, comments, worklog
comments, multi-line custom fields) is Atlassian Document Format. `Links.cloud` says which
one a response speaks; the renderers ask it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from tessera.errors import InvalidInput
from tessera.jira_format.adf import markdown_to_adf

_NUMERIC_OFFSET = re.compile(r"[+-][0-9]{4}", re.ASCII)

JIRA_VERSION = (9, 12, 0)
# Tessera category -> Jira status category (id, key, colorName, name).
CATEGORIES: dict[str, tuple[int, str, str, str]] = {
    "todo": (2, "new", "blue-gray", "To Do"),
    "in_progress": (4, "indeterminate", "yellow", "In Progress"),
    "done": (3, "done", "green", "Done"),
}
NO_CATEGORY = (1, "undefined", "medium-gray", "No Category")


@dataclass(frozen=True)
class Links:
    """Where `self` links point (this server's public address, settings.base_url), and in
    which dialect: `cloud` for Jira Cloud's REST v3 (see the module's docstring)."""

    base_url: str
    cloud: bool = False

    @property
    def api(self) -> str:
        return f"{self.base_url}/rest/api/{3 if self.cloud else 2}"

    @property
    def agile(self) -> str:
        return f"{self.base_url}/rest/agile/1.0"

    def issue(self, issue_id: int) -> str:
        return f"{self.api}/issue/{issue_id}"


def jira_time(value: datetime | str | None) -> str | None:
    """`2026-01-31T14:00:00.000+0000`, always UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def jira_date(value: date | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def parse_jira_time(value: object, *, field: str) -> datetime:
    """Jira's `2026-01-31T14:00:00.000+0000`, ISO 8601 (`Z`, `+00:00`) or a bare date."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise InvalidInput(f"'{field}' is a date and time such as 2026-01-31T14:00:00.000+0000.", field=field)
    text = value.strip()
    if _NUMERIC_OFFSET.fullmatch(text[-5:]):  # +0000 -> +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{field}' is a date and time such as 2026-01-31T14:00:00.000+0000.",
                           field=field) from None
    if not 1970 <= moment.year <= 9000:
        raise InvalidInput(f"'{field}' is out of range.", field=field)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def truthy(value: str | None, default: bool = False) -> bool:
    """Query booleans: the `jira` client sends Python's `True`/`False`."""
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("true", "1", "yes", "on")


def split_values(values: Iterable[str] | str | None) -> list[str]:
    """Repeated and comma-separated parameters alike (`fields=a&fields=b,c`)."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


class UserLike(Protocol):
    id: int
    email: str
    display_name: str
    active: bool


AVATAR_SIZES = ("48x48", "24x24", "16x16", "32x32")


def user_avatar_urls(links: Links, user_id: int) -> dict[str, str]:
    """Jira's four sizes, served by GET /rest/api/2/useravatar (the user's generated initials)."""
    return {size: f"{links.base_url}/rest/api/2/useravatar?accountId={user_id}&size={size}"
            for size in AVATAR_SIZES}


def user_json(links: Links, user: UserLike | dict | None) -> dict[str, Any] | None:
    if user is None:
        return None
    if isinstance(user, dict):
        user_id, email, name, active = user["id"], user["email"], user["display_name"], user["active"]
    else:
        user_id, email, name, active = user.id, user.email, user.display_name, user.active
    avatars = user_avatar_urls(links, user_id)
    if links.cloud:  # Jira Cloud: the accountId alone names a user (no name, no key)
        return {"self": f"{links.api}/user?accountId={user_id}", "accountId": str(user_id),
                "accountType": "atlassian", "emailAddress": email, "displayName": name, "active": bool(active),
                "timeZone": "UTC", "locale": "en_US", "avatarUrls": avatars}
    return {"self": f"{links.api}/user?username={quote(email, safe='')}", "name": email, "key": email,
            "accountId": str(user_id), "emailAddress": email, "displayName": name, "active": bool(active),
            "timeZone": "UTC", "avatarUrls": avatars}


def rich_text(links: Links, markdown: str | None) -> str | dict[str, Any] | None:
    """A rich-text field's stored Markdown as the dialect writes it: ADF on Cloud, else the text."""
    if markdown is None or not links.cloud:
        return markdown
    return markdown_to_adf(markdown)


def category_json(links: Links, category: str | None) -> dict[str, Any]:
    number, key, color, name = CATEGORIES.get(category or "", NO_CATEGORY)
    return {"self": f"{links.api}/statuscategory/{number}", "id": number, "key": key, "colorName": color,
            "name": name}


def status_json(links: Links, status_id: int, name: str, category: str, description: str = "") -> dict[str, Any]:
    return {"self": f"{links.api}/status/{status_id}", "description": description, "iconUrl": "",
            "name": name, "id": str(status_id), "statusCategory": category_json(links, category)}


def priority_json(links: Links, priority_id: int, name: str, color: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {"self": f"{links.api}/priority/{priority_id}", "iconUrl": "", "name": name,
                            "id": str(priority_id)}
    if color:
        view["statusColor"] = color
    return view


def issuetype_json(links: Links, type_id: int, name: str, subtask: bool, description: str = "") -> dict[str, Any]:
    return {"self": f"{links.api}/issuetype/{type_id}", "id": str(type_id), "description": description,
            "iconUrl": "", "name": name, "subtask": bool(subtask)}


def resolution_json(links: Links, resolution_id: int, name: str, description: str = "") -> dict[str, Any]:
    return {"self": f"{links.api}/resolution/{resolution_id}", "id": str(resolution_id),
            "description": description, "name": name}


def project_json(links: Links, project_id: int, key: str, name: str, project_type: str = "software"
                 ) -> dict[str, Any]:
    return {"self": f"{links.api}/project/{project_id}", "id": str(project_id), "key": key, "name": name,
            "projectTypeKey": project_type,
            "avatarUrls": {size: f"{links.api}/projectavatar?pid={project_id}&size={size}"
                           for size in ("48x48", "24x24", "16x16", "32x32")}}


def component_json(links: Links, component_id: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"self": f"{links.api}/component/{component_id}", "id": str(component_id), "name": name, **extra}


def version_json(links: Links, version_id: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"self": f"{links.api}/version/{version_id}", "id": str(version_id), "name": name, **extra}


def page(values: list, *, start_at: int, max_results: int, total: int) -> dict[str, Any]:
    """Agile-style pages (`values`, `isLast`)."""
    return {"maxResults": max_results, "startAt": start_at, "total": total,
            "isLast": start_at + len(values) >= total, "values": values}


def page_bean(values: list, *, start_at: int, max_results: int, total: int, url: str) -> dict[str, Any]:
    """Jira Cloud's paged lists (`/project/search`, `/field/search`, an issue's changelog): the
    page of `page` with `self` (the request's `url`) and, unless it is the last, `nextPage`."""
    shown = page(values, start_at=start_at, max_results=max_results, total=total)
    bean: dict[str, Any] = {"self": url, **shown}
    if not shown["isLast"]:
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("startAt", "maxResults")]
        query += [("startAt", str(start_at + len(values))), ("maxResults", str(max_results))]
        bean["nextPage"] = urlunsplit(parts._replace(query=urlencode(query)))
    return bean
