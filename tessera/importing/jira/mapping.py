"""The mapping from a Jira site's names to Tessera's: what a dry run writes (`--mapping FILE`)
and a real run follows after the user has edited it.

    {"site": "https://x.atlassian.net",
     "statuses":      {"In QE Test": {"to": "In Review", "category": "in_progress"}, ...},
     "issue_types":   {"Technical task": {"to": "Sub-task", "level": -1}, ...},
     "priorities":    {"Critical": {"to": "Highest"}, ...},
     "resolutions":   {"Fixed": {"to": "Fixed", "description": "A fix for this issue is checked in."}, ...},
     "link_types":    {"Blocks": {"to": "Blocks", "outward": "blocks", "inward": "is blocked by"}},
     "custom_fields": {"customfield_10021": {"name": "Flagged", "to": "flagged", "type": "multi_select",
                                             "options": ["Impediment"]},
                       "customfield_10099": {"name": "Team", "skip": true}},
     "users":         {"557058:13cc…": {"email": "mbowler@example.com", "name": "Mike Bowler"}}}

`to` names a Tessera entry (matched without regard to case); one that does not exist is created
(with the category, level, type and options given). A custom field maps by its key or name. A
user maps by email: an existing user with that email, else a new inactive one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera.errors import InvalidInput
from tessera.importing.jira.survey import Survey

SECTIONS = ("statuses", "issue_types", "priorities", "resolutions", "link_types", "custom_fields", "users")
CATEGORIES = ("todo", "in_progress", "done")
FIELD_TYPES = ("number", "text", "select", "multi_select", "date", "user")
_FIELD_KEY = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Existing:
    """The names the organization already has, folded, per section (for the default mapping)."""

    statuses: dict[str, str]  # folded name -> name
    issue_types: dict[str, str]
    priorities: dict[str, str]
    resolutions: dict[str, str]
    link_types: dict[str, str]
    custom_fields: dict[str, str]  # folded name or key -> key
    user_emails: set[str]


def default_mapping(found: Survey, existing: Existing) -> dict[str, Any]:
    """Every Jira name to the Tessera entry of the same name (any case), else to a new one."""

    def same(names: dict[str, str], name: str) -> str:
        return names.get(name.casefold(), name)

    document: dict[str, Any] = {"site": found.site}
    document["statuses"] = {name: {"to": same(existing.statuses, name), "category": category}
                            for name, category in sorted(found.statuses.items())}
    document["issue_types"] = {name: {"to": same(existing.issue_types, name), "level": level}
                               for name, level in sorted(found.issue_types.items())}
    document["priorities"] = {name: {"to": same(existing.priorities, name)}
                              for name, _ in sorted(found.priorities.items(), key=lambda item: (item[1], item[0]))}
    document["resolutions"] = {name: {"to": same(existing.resolutions, name),
                                      **({"description": found.resolutions[name]} if found.resolutions[name] else {})}
                               for name in sorted(found.resolutions)}
    document["link_types"] = {name: {"to": same(existing.link_types, name), "outward": outward, "inward": inward}
                              for name, (outward, inward) in sorted(found.link_types.items())}
    fields: dict[str, Any] = {}
    wanted = found.wanted_fields()
    for field_id, seen in sorted(found.fields.items()):
        if field_id not in wanted:
            fields[field_id] = {"name": seen.name, "skip": True}
            continue
        kind = seen.types.most_common(1)[0][0]
        target = existing.custom_fields.get(seen.name.casefold()) or field_key(seen.name)
        entry: dict[str, Any] = {"name": seen.name, "to": target, "type": kind}
        if kind in ("select", "multi_select"):
            entry["options"] = list(seen.options)
        fields[field_id] = entry
    document["custom_fields"] = fields
    document["users"] = {identity: {"email": user.email or placeholder_email(identity, found.site),
                                    "name": user.display_name}
                         for identity, user in sorted(found.users.items())}
    return document


def field_key(name: str) -> str:
    key = _FIELD_KEY.sub("_", name.casefold()).strip("_")[:60] or "field"
    return key if key[0].isalpha() else f"f_{key}"[:64]


def placeholder_email(identity: str, site: str) -> str:
    """An address for a Jira user whose email the export does not show (Jira hides it by
    default): unique per identity, in a domain that can never receive mail."""
    local = re.sub(r"[^a-z0-9._-]+", "-", identity.casefold()).strip("-.")[:60] or "user"
    host = re.sub(r"^https?://", "", site).split("/")[0] or "export"
    return f"{local}@{host}.jira-import.invalid"


def is_placeholder(email: str) -> bool:
    return email.endswith(".jira-import.invalid")


def save_mapping(document: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def load_mapping(path: str | Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the mapping file ({error.strerror}).", field="mapping") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path}: the mapping is not JSON (line {error.lineno}: {error.msg}).",
                           field="mapping") from None
    check_mapping(document, str(path))
    return document


def check_mapping(document: object, where: str) -> None:
    """Every mistake a user can make editing the file, named with its place."""
    if not isinstance(document, dict):
        raise InvalidInput(f"{where}: the mapping is a JSON object.", field="mapping")
    for section in SECTIONS:
        entries = document.get(section, {})
        if not isinstance(entries, dict):
            raise InvalidInput(f"{where}: {section} is an object of Jira names.", field=f"mapping.{section}")
        for name, entry in entries.items():
            place = f"{where}: {section}.{name}"
            if not isinstance(entry, dict):
                raise InvalidInput(f"{place} is an object.", field=f"mapping.{section}")
            if section == "users":
                if not isinstance(entry.get("email"), str) or "@" not in entry["email"]:
                    raise InvalidInput(f"{place}.email is an email address.", field=f"mapping.{section}")
                continue
            if entry.get("skip") is True:
                continue
            if not isinstance(entry.get("to"), str) or not entry["to"].strip():
                raise InvalidInput(f"{place}.to names a Tessera entry (or set \"skip\": true for a field).",
                                   field=f"mapping.{section}")
            if section == "statuses" and entry.get("category", "in_progress") not in CATEGORIES:
                raise InvalidInput(f"{place}.category is one of {', '.join(CATEGORIES)}.", field=f"mapping.{section}")
            if section == "issue_types" and entry.get("level", 0) not in (-1, 0, 1):
                raise InvalidInput(f"{place}.level is 1 (epic), 0 (standard) or -1 (sub-task).",
                                   field=f"mapping.{section}")
            if section == "custom_fields" and entry.get("type") not in FIELD_TYPES:
                raise InvalidInput(f"{place}.type is one of {', '.join(FIELD_TYPES)}.", field=f"mapping.{section}")


def merge_mapping(defaults: dict[str, Any], edited: dict[str, Any] | None) -> dict[str, Any]:
    """The user's entries over the defaults: names the edited file does not know (new in this
    export) keep their default."""
    if not edited:
        return defaults
    merged = dict(defaults)
    merged["site"] = edited.get("site") or defaults["site"]
    for section in SECTIONS:
        merged[section] = {**defaults.get(section, {}), **edited.get(section, {})}
    return merged
