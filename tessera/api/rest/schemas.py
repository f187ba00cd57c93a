"""Request bodies of the native API (issue bodies live in tessera.issues.inputs; response
bodies, for OpenAPI, in api/rest/responses)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

from tessera.db.refs import MAX_ID, parse_id, require_id

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
LongText = Annotated[str, StringConstraints(max_length=32_767)]
# An id (a JSON integer) or a key/name. Strict: pydantic would otherwise turn true into the id 1.
Ref = StrictInt | str


def _path_id(value: object) -> int:
    """Runs before pydantic's own int parsing, which would take " 1 " and "1_0" as numbers: a
    path segment that is not an id (db.refs.parse_id: ASCII digits, 1..2**63-1) names nothing,
    so it is a 404 like any id that is not there, never a 422 or a driver overflow."""
    return require_id(value, not_found="Nothing here has that id: ids are whole numbers from 1 to "
                                       f"{MAX_ID}.")


def _query_id(value: object) -> object:
    """An id in a query string is as strict as one in a path, but a bad one is a 422 naming the
    parameter (the request is malformed; it does not name a missing thing)."""
    if isinstance(value, str):
        number = parse_id(value)
        if number is None:
            raise ValueError(f"an id is a whole number from 1 to {MAX_ID}, in ASCII digits")
        return number
    return value


# An id in a path. Documented as the integer it is.
StoredId = Annotated[int, Path(ge=1, le=MAX_ID), BeforeValidator(_path_id)]
# An id in a query string; give it a Query(...) of its own for the description.
QueryId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_query_id)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(Body):
    key: Annotated[str, StringConstraints(min_length=2, max_length=10)]
    name: Name
    description: LongText = ""
    project_type: str = "software"
    lead_id: Ref | None = None
    access: Literal["open", "private"] = "open"
    workflow_scheme_id: Ref | None = Field(default=None, description="Accepted for the seed's shape; the "
                                           "default scheme applies until workflow schemes exist.")
    permission_scheme_id: Ref | None = None
    issue_type_scheme_id: Ref | None = None


class ProjectUpdate(Body):
    name: Name | None = None
    description: LongText | None = None
    project_type: str | None = None
    lead_id: Ref | None = None
    access: Literal["open", "private"] | None = None
    archived: bool | None = None
    key: str | None = None
    version: int | None = None


class RoleMembers(Body):
    user_ids: list[Ref] = Field(max_length=10_000)


class PartCreate(Body):
    name: Name
    description: LongText = ""
    lead_id: Ref | None = None
    start_date: date | None = None
    release_date: date | None = None
    released: bool | None = None
    archived: bool | None = None


class PartUpdate(Body):
    name: Name | None = None
    description: LongText | None = None
    lead_id: Ref | None = None
    start_date: date | None = None
    release_date: date | None = None
    released: bool | None = None
    archived: bool | None = None


class UserCreate(Body):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    name: Name
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = None
    role: Literal["admin", "member", "viewer"] = "member"


class UserUpdate(Body):
    name: Name | None = None
    role: Literal["admin", "member", "viewer"] | None = None
    active: bool | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="An IANA time zone such as Europe/Berlin; the pages show dates in it.")


class Login(Body):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    organization: Annotated[str, StringConstraints(max_length=32)] | None = None


class TokenCreate(Body):
    name: Name = "api"
    # "ci": a token that may only post builds and deployments (tessera.tenancy.token_scopes).
    scope: Literal["ci"] | None = None
    expires_in_days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = Field(
        default=None, description="Days until the token stops working; omitted or null: it never expires.")


class FieldCreate(Body):
    name: Name
    key: Annotated[str, StringConstraints(max_length=64)] | None = None
    field_type: Literal["number", "text", "select", "multi_select", "date", "user"]
    description: LongText = ""
    options: list[Name] = Field(default_factory=list, max_length=1000)
    project_ids: list[StrictInt] = Field(default_factory=list, max_length=1000)
    issue_type_ids: list[StrictInt] = Field(default_factory=list, max_length=100)


class OptionCreate(Body):
    value: Name


class LinkCreate(Body):
    type: Ref | dict[str, Any] = Field(description="Link type id or name, or a verb such as 'blocks'.")
    outward_issue: Ref = Field(description="The issue that 'blocks' / 'duplicates' / 'clones' the other.")
    inward_issue: Ref


class TransitionBody(Body):
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100)
    comment: LongText | None = None
    version: int | None = None


class PublishBody(Body):
    status_mapping: dict[str, str | StrictInt] = Field(default_factory=dict, max_length=500,
                                                 description="{status the draft removes: status to move to}")


class SchemeBody(Body):
    name: Name
    description: LongText = ""
    default_workflow: Ref
    mappings: dict[str, Ref] = Field(default_factory=dict, max_length=500,
                                     description="{issue type id: workflow id or key}")


class SchemeAssign(Body):
    workflow_scheme_id: Ref
    status_mapping: dict[str, str | StrictInt] = Field(default_factory=dict, max_length=500)


CommentText = Annotated[str, StringConstraints(min_length=1, max_length=131_068)]


class CommentVisibility(Body):
    type: Annotated[str, StringConstraints(max_length=20)] = Field(description='"role" (project roles only).')
    value: Annotated[str, StringConstraints(max_length=64)] = Field(description="administrators, developers or "
                                                                                "users")


class CommentCreate(Body):
    body: CommentText = Field(description="Markdown. Mention users as [~accountid:ID], [~email] or "
                                          "@[Name](account:ID).")
    parent_id: Ref | None = Field(default=None, description="The comment this one replies to (same issue).")
    visibility: CommentVisibility | None = Field(default=None, description="Restrict to a project role.")


class CommentUpdate(Body):
    body: CommentText | None = None
    visibility: CommentVisibility | None = Field(default=None, description="Left out: unchanged; null: lifted.")
    version: int | None = Field(default=None, ge=0, le=2**31, description="The version you read; a stale one "
                                                                          "answers 409.")


class WatcherBody(Body):
    user_id: Ref | None = Field(default=None, description="Another user to add (administrators only); default: you.")


class LimitsUpdate(Body):
    requests_per_minute: int | None = Field(default=None, ge=1)
    searches_per_hour: int | None = Field(default=None, ge=1)
    max_users: int | None = Field(default=None, ge=1)
    storage_mb: int | None = Field(default=None, ge=1)


class NotificationPreferencesBody(Body):
    """Any part of the preferences; what is sent replaces those switches, the rest stays."""

    channels: dict[str, bool] | None = None
    events: dict[str, bool | dict[str, bool]] | None = None
    own_changes: bool | None = None
    digest: dict[str, str] | None = None
    language: str | None = Field(default=None, description="The language of your notifications, in every channel: "
                                                            "\"en\" or \"de\".")


class NotificationSchemeBody(Body):
    events: dict[str, list[dict[str, Any]]] | None = Field(
        description="Event kind -> recipient rules; null returns the project to the default scheme.")


class PermissionHolderIn(Body):
    type: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="anyone, org_role, project_role, group, user, reporter, assignee, project_lead or user_field")
    parameter: Ref | None = Field(default=None, description="The organization role, project role, group (id or "
                                  "name), user id or user custom field (id or key) the type names")


class PermissionGrantIn(Body):
    permission: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="A permission key, as Jira names it (EDIT_ISSUES, BROWSE_PROJECTS ...)")
    holder: PermissionHolderIn


class PermissionSchemeCreate(Body):
    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    grants: list[PermissionGrantIn] = Field(default_factory=list, max_length=1000)


class PermissionSchemeUpdate(Body):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    grants: list[PermissionGrantIn] | None = Field(default=None, max_length=1000,
                                                   description="When given, replaces all the scheme's grants")


class PermissionSchemeAssign(Body):
    scheme_id: Ref


class SecurityLevelIn(Body):
    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    members: list[PermissionHolderIn] = Field(default_factory=list, max_length=1000,
                                              description="Who may see the level's issues (holders as in grants)")


class SecurityLevelUpdate(Body):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None


class IssueSecuritySchemeCreate(Body):
    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    levels: list[SecurityLevelIn] = Field(default_factory=list, max_length=100)
    default_level: Ref | None = Field(default=None, description="The name of the level new issues get")


class IssueSecuritySchemeUpdate(Body):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    default_level: Ref | None = Field(default=None, description="A level id or name; null for none")


class IssueSecuritySchemeAssign(Body):
    scheme_id: Ref | None = Field(description="An issue security scheme id; null for none")


class GlobalGrantIn(Body):
    permission: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="ADMINISTER, CREATE_PROJECT, USER_PICKER, BULK_CHANGE or CREATE_SHARED_OBJECTS")
    holder: PermissionHolderIn
