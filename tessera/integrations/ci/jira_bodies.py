"""Jira's builds and deployments bulk bodies (`POST /rest/builds/0.1/bulk`,
`/rest/deployments/0.1/bulk`), read into reports the way Jira reads them: a body that is not
a request at all (no `builds` array, bad `properties`) is refused whole (InvalidInput, a 400),
while a bad item is rejected alone and the rest is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.errors import InvalidInput
from tessera.integrations.ci.reports import (
    BUILD_STATES,
    DEPLOYMENT_STATES,
    ENVIRONMENT_TYPES,
    MAX_ASSOCIATION_VALUES,
    BuildReport,
    DeploymentReport,
    FieldReader,
    ItemInvalid,
)
from tessera.tenancy.secrets import digest

MAX_ITEMS = 1000  # per request; Jira documents no figure, the body-size limit applies first
ISSUE_ASSOCIATIONS = ("issueKeys", "issueIdOrKeys")
OTHER_ASSOCIATIONS = ("serviceIdOrKeys", "commit")


@dataclass(frozen=True)
class Rejected:
    """An item that failed its checks; `key` is what could be read of its Jira key."""

    key: dict[str, Any]
    message: str


@dataclass(frozen=True)
class BulkRequest:
    items: list[BuildReport | DeploymentReport | Rejected]
    property_digests: list[str]
    provider: str | None


def read_builds(body: object) -> BulkRequest:
    items, digests, provider = _envelope(body, "builds")
    return BulkRequest([_item(index, value, _build) for index, value in enumerate(items)], digests, provider)


def read_deployments(body: object) -> BulkRequest:
    items, digests, provider = _envelope(body, "deployments")
    return BulkRequest([_item(index, value, _deployment) for index, value in enumerate(items)], digests, provider)


def property_digests(properties: dict[str, str]) -> list[str]:
    """Jira keeps properties only as hashes: matched by bulkByProperties deletes, never shown."""
    return sorted(digest(f"{key}={value}") for key, value in properties.items())


def _envelope(body: object, name: str) -> tuple[list, list[str], str | None]:
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", field="body")
    items = body.get(name)
    if not isinstance(items, list) or not items:
        raise InvalidInput(f"'{name}' is required: an array of 1 to {MAX_ITEMS} objects.", field=name)
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"'{name}' holds at most {MAX_ITEMS} objects.", field=name)
    properties = body.get("properties") or {}
    if not isinstance(properties, dict) or len(properties) > 5 or not all(
            isinstance(k, str) and isinstance(v, str) and k and ":" not in k and not k.startswith("_")
            and len(k) <= 255 and len(v) <= 255 for k, v in properties.items()):
        raise InvalidInput("'properties' is an object of at most 5 string values whose keys neither contain ':' "
                           "nor start with '_'.", field="properties")
    metadata = body.get("providerMetadata")
    if metadata is not None and not (isinstance(metadata, dict) and isinstance(metadata.get("product", ""), str)):
        raise InvalidInput("'providerMetadata' is an object such as {\"product\": \"Jenkins\"}.",
                           field="providerMetadata")
    provider = (metadata or {}).get("product") or None
    return items, property_digests(properties), provider[:255] if provider else None


def _item(index: int, value: object, read: Any) -> BuildReport | DeploymentReport | Rejected:
    try:
        return read(FieldReader(value, ""))
    except ItemInvalid as invalid:
        return Rejected(_key_of(value), f"Item {index}: {invalid.message}")


def _key_of(value: object) -> dict[str, Any]:
    """The Jira key of a rejected item, as far as it can be read (Jira echoes what was sent)."""
    if not isinstance(value, dict):
        return {}
    if "buildNumber" in value or "pipelineId" in value:
        return {"pipelineId": value.get("pipelineId"), "buildNumber": value.get("buildNumber")}
    pipeline, environment = value.get("pipeline"), value.get("environment")
    return {"pipelineId": pipeline.get("id") if isinstance(pipeline, dict) else None,
            "environmentId": environment.get("id") if isinstance(environment, dict) else None,
            "deploymentSequenceNumber": value.get("deploymentSequenceNumber")}


def _build(item: FieldReader) -> BuildReport:
    keys = item.issue_keys("issueKeys", item.values["issueKeys"]) if item.values.get("issueKeys") is not None else ()
    issue_refs, _ = _associations(item, issue_only=True)
    keys = tuple(dict.fromkeys((*keys, *issue_refs)))
    if not keys:
        raise ItemInvalid("'issueKeys' (or an 'issueKeys' association) must name at least one issue.")
    return BuildReport(
        pipeline_id=str(item.text("pipelineId", limit=255)), build_number=int(item.int64("buildNumber", minimum=0)),
        update_sequence_number=int(item.int64("updateSequenceNumber")),
        display_name=str(item.text("displayName", limit=255)), url=str(item.text("url", limit=2000)),
        state=item.choice("state", BUILD_STATES), last_updated=item.moment("lastUpdated"), issue_keys=keys,
        description=item.text("description", limit=255, required=False),
        label=item.text("label", limit=255, required=False), test_info=_test_info(item),
        references=_references(item))


def _deployment(item: FieldReader) -> DeploymentReport:
    keys = item.issue_keys("issueKeys", item.values["issueKeys"]) if item.values.get("issueKeys") is not None else ()
    issue_refs, others = _associations(item, issue_only=False)
    refs = tuple(dict.fromkeys((*keys, *issue_refs)))
    if not refs and not others:
        raise ItemInvalid("'associations' (or 'issueKeys') must name at least one issue.")
    pipeline = FieldReader(item.values.get("pipeline"), "pipeline.")
    environment = FieldReader(item.values.get("environment"), "environment.")
    commands = item.values.get("commands")
    if commands is not None and not (isinstance(commands, list) and len(commands) <= 10 and all(
            isinstance(c, dict) and isinstance(c.get("command"), str) for c in commands)):
        raise ItemInvalid("'commands' is an array of objects such as {\"command\": \"initiate_deployment_gating\"}.")
    duration = item.int64("duration", required=False, minimum=0)
    return DeploymentReport(
        pipeline_id=str(pipeline.text("id", limit=255)), pipeline_name=str(pipeline.text("displayName", limit=255)),
        pipeline_url=str(pipeline.text("url", limit=2000)), environment_id=str(environment.text("id", limit=255)),
        environment_name=str(environment.text("displayName", limit=255)),
        environment_type=environment.choice("type", ENVIRONMENT_TYPES),
        deployment_sequence_number=int(item.int64("deploymentSequenceNumber", minimum=0)),
        update_sequence_number=int(item.int64("updateSequenceNumber")),
        display_name=str(item.text("displayName", limit=255)),
        description=str(item.text("description", limit=255, empty=True)), url=str(item.text("url", limit=2000)),
        state=item.choice("state", DEPLOYMENT_STATES), last_updated=item.moment("lastUpdated"), issue_refs=refs,
        associations=list(item.values.get("associations") or []), other_associations=others,
        label=item.text("label", limit=255, required=False) or None,
        duration=min(duration, 2**31 - 1) if duration is not None else None, commands=commands)


def _associations(item: FieldReader, *, issue_only: bool) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The issue references among `associations`, and the other associations as sent."""
    associations = item.values.get("associations")
    if associations is None:
        return (), []
    allowed = ISSUE_ASSOCIATIONS if issue_only else ISSUE_ASSOCIATIONS + OTHER_ASSOCIATIONS
    if not isinstance(associations, list) or len(associations) > 3:
        raise ItemInvalid("'associations' is an array of at most 3 objects.")
    refs: list[str] = []
    others: list[dict[str, Any]] = []
    total = 0
    for index, association in enumerate(associations):
        where = f"associations[{index}]."
        entry = FieldReader(association, where)
        kind = entry.choice("associationType", allowed)
        values = entry.values.get("values")
        if not isinstance(values, list) or not values:
            raise ItemInvalid(f"'{where}values' must be a non-empty array.")
        total += len(values)
        if total > MAX_ASSOCIATION_VALUES:
            raise ItemInvalid(f"'associations' hold at most {MAX_ASSOCIATION_VALUES} values in all.")
        if kind == "issueKeys":
            refs += entry.issue_keys("values", values)
        elif kind == "issueIdOrKeys":
            for value in values:
                text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
                if not isinstance(text, str) or not (text.isdecimal() or entry.issue_keys("values", [text])):
                    raise ItemInvalid(f"'{where}values' must hold issue keys or issue ids.")
                refs.append(text.strip())
        else:
            others.append({"associationType": kind, "values": values})
    return tuple(refs), others


def _test_info(item: FieldReader) -> dict[str, int] | None:
    info = item.values.get("testInfo")
    if info is None:
        return None
    reader = FieldReader(info, "testInfo.")
    shown = {name: reader.int64(name, minimum=0, required=name != "numberSkipped")
             for name in ("totalNumber", "numberPassed", "numberFailed", "numberSkipped")}
    return {name: int(value) for name, value in shown.items() if value is not None}


def _references(item: FieldReader) -> list[dict[str, Any]] | None:
    references = item.values.get("references")
    if references is None:
        return None
    if not isinstance(references, list) or not 1 <= len(references) <= 5:
        raise ItemInvalid("'references' is an array of 1 to 5 objects with 'commit' and/or 'ref'.")
    kept: list[dict[str, Any]] = []
    for index, reference in enumerate(references):
        entry = FieldReader(reference, f"references[{index}].")
        shown: dict[str, Any] = {}
        if entry.values.get("commit") is not None:
            commit = FieldReader(entry.values["commit"], f"references[{index}].commit.")
            shown["commit"] = {"id": commit.text("id", limit=255), "repositoryUri": commit.text("repositoryUri",
                                                                                                limit=2000)}
        if entry.values.get("ref") is not None:
            ref = FieldReader(entry.values["ref"], f"references[{index}].ref.")
            shown["ref"] = {"name": ref.text("name", limit=255), "uri": ref.text("uri", limit=2000)}
        kept.append(shown)
    return kept
