"""Response bodies of /v2/permission-schemes, /v2/global-permissions and /v2/issue-security-schemes."""

from __future__ import annotations

from tessera.api.rest.responses.common import Out


class HolderOut(Out):
    type: str
    parameter: str | int | None
    name: str | None = None


class GrantOut(Out):
    id: int
    permission: str
    holder: HolderOut


class PermissionSchemeOut(Out):
    id: int
    name: str
    description: str
    is_default: bool
    project_ids: list[int]
    grants: list[GrantOut]


class PermissionSchemeListOut(Out):
    permission_schemes: list[PermissionSchemeOut]


class GlobalGrantListOut(Out):
    grants: list[GrantOut]


class SecurityLevelMemberOut(Out):
    id: int
    holder: HolderOut


class SecurityLevelOut(Out):
    id: int
    name: str
    description: str
    members: list[SecurityLevelMemberOut]


class IssueSecuritySchemeOut(Out):
    id: int
    name: str
    description: str
    default_level_id: int | None
    project_ids: list[int]
    levels: list[SecurityLevelOut]


class IssueSecuritySchemeListOut(Out):
    issue_security_schemes: list[IssueSecuritySchemeOut]


class SecurityLevelListOut(Out):
    levels: list[SecurityLevelOut]


class ProjectIssueSecurityOut(Out):
    issue_security_scheme: IssueSecuritySchemeOut | None
