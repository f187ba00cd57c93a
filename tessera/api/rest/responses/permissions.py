"""Response bodies of /v2/permission-schemes and /v2/global-permissions."""

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
