"""Users, sessions, tokens, projects and the issue catalog as /v2 answers them (api/rest/render.py)."""

from __future__ import annotations

from pydantic import Field

from tessera.api.rest.responses.common import NamedRef, Out, Page
from tessera.api.rest.responses.issues import LinkTypeOut


class UserOut(Out):
    id: int
    display_name: str
    email: str
    active: bool
    role: str


class FullUserOut(UserOut):
    organization_id: int
    time_zone: str
    created: str


class MyselfOut(FullUserOut):
    organization_key: str


class NewUserOut(FullUserOut):
    api_token: str | None = Field(description="Shown once.")


class UserPageOut(Page):
    users: list[UserOut]


class SessionOut(Out):
    user_id: int
    organization_key: str
    display_name: str
    csrf_token: str = Field(description="Send as X-CSRF-Token on changes made with the session cookie.")


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    revoked: bool
    scope: str | None = Field(None, description="None: the owner's full rights; \"ci\": builds and deployments only.")
    created: str
    last_used: str | None


class TokenListOut(Out):
    tokens: list[TokenOut]


class NewTokenOut(Out):
    name: str
    scope: str | None = None
    api_token: str = Field(description="Shown once.")


class ProjectOut(Out):
    id: int
    key: str
    name: str
    description: str
    project_type: str
    lead_id: int | None
    access: str
    archived: bool
    issue_count_estimate: int
    workflow_scheme_id: int | None
    permission_scheme_id: int | None
    issue_type_scheme_id: int | None
    created: str
    updated: str
    version: int


class ProjectListOut(Out):
    total: int
    projects: list[ProjectOut]


class ProjectRolesOut(Out):
    project_id: int
    roles: dict[str, list[int]] = Field(description="{role: user ids}")


class RoleMembersOut(Out):
    project_id: int
    role: str
    user_ids: list[int]


class ComponentOut(Out):
    id: int
    project_id: int
    name: str
    description: str
    lead_id: int | None


class VersionOut(Out):
    id: int
    project_id: int
    name: str
    description: str
    start_date: str | None
    release_date: str | None
    released: bool
    archived: bool


class ComponentListOut(Out):
    total: int
    components: list[ComponentOut]


class VersionListOut(Out):
    total: int
    versions: list[VersionOut]


class FieldBrief(Out):
    id: str
    name: str
    custom: bool
    field_type: str | None = None


class FieldListOut(Out):
    fields: list[FieldBrief]


class FieldOption(Out):
    id: int
    value: str
    disabled: bool


class FieldOut(Out):
    id: str = Field(description="customfield_NNNNN")
    numeric_id: int
    key: str
    name: str
    custom: bool
    field_type: str
    description: str
    project_ids: list[int]
    issue_type_ids: list[int]
    options: list[FieldOption]


class NewOptionOut(Out):
    id: int
    value: str
    field_id: int


class IssueTypeOut(NamedRef):
    description: str
    subtask: bool
    hierarchy_level: int


class IssueTypeListOut(Out):
    issue_types: list[IssueTypeOut]


class PriorityOut(NamedRef):
    color: str | None
    default: bool


class PriorityListOut(Out):
    priorities: list[PriorityOut]


class ResolutionOut(NamedRef):
    description: str


class ResolutionListOut(Out):
    resolutions: list[ResolutionOut]


class StatusOut(NamedRef):
    category: str
    category_name: str


class StatusListOut(Out):
    statuses: list[StatusOut]


class LinkTypeListOut(Out):
    link_types: list[LinkTypeOut]


class IssueLinkOut(Out):
    id: int
    type_id: int
    outward_issue_id: int
    inward_issue_id: int
    created: str


class ErasureOut(Out):
    user_id: int
    display_name: str = Field(description="The placeholder name the user goes by now.")
    email: str = Field(description="The placeholder email the user has now.")
    tokens_revoked: int
    sessions_ended: int
    devices_deleted: int = Field(description="Push subscriptions, live tickets and Slack targets deleted.")
    rows_rewritten: dict[str, int] = Field(description="Per table: rows whose text named the user.")
    audit_records_redacted: int
