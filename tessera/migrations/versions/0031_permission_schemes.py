"""Permission schemes and global permissions as data

Revision ID: 0031_permission_schemes
Revises: 0030_invitations

Every organization gets a default scheme holding what the hard-coded scheme granted until now,
and global grants with the same effect, so nothing changes for anyone until an administrator
edits them; existing projects point at their organization's default scheme.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_permission_schemes"
down_revision = "0030_invitations"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)

# Frozen copies of tenancy.permissions.DEFAULT_GRANTS / DEFAULT_GLOBAL_GRANTS as of this revision.
_ADMINS = (("org_role", "admin"), ("project_role", "administrators"), ("project_lead", None))
_MEMBER_WORK = (*_ADMINS, ("org_role", "member"), ("project_role", "developers"))
_USERS = (*_MEMBER_WORK, ("project_role", "users"))
GRANTS = {
    "BROWSE_PROJECTS": (*_USERS, ("org_role", "viewer")),
    "CREATE_ISSUES": _USERS, "ADD_COMMENTS": _USERS, "EDIT_ISSUES": _MEMBER_WORK, "ASSIGN_ISSUES": _MEMBER_WORK,
    "ASSIGNABLE_USER": _MEMBER_WORK, "TRANSITION_ISSUES": _MEMBER_WORK, "RESOLVE_ISSUES": _MEMBER_WORK,
    "CLOSE_ISSUES": _MEMBER_WORK, "MOVE_ISSUES": _MEMBER_WORK, "LINK_ISSUES": _MEMBER_WORK,
    "DELETE_ISSUES": _ADMINS, "EDIT_OWN_COMMENTS": _USERS, "EDIT_ALL_COMMENTS": _ADMINS,
    "DELETE_OWN_COMMENTS": _USERS, "DELETE_ALL_COMMENTS": _ADMINS, "ADMINISTER_PROJECTS": _ADMINS,
    "CREATE_ATTACHMENTS": _USERS, "DELETE_OWN_ATTACHMENTS": _USERS, "DELETE_ALL_ATTACHMENTS": _ADMINS,
    "SCHEDULE_ISSUES": _MEMBER_WORK, "MANAGE_SPRINTS_PERMISSION": _MEMBER_WORK, "SET_ISSUE_SECURITY": _ADMINS,
    "MANAGE_WATCHERS": _ADMINS, "VIEW_VOTERS_AND_WATCHERS": (*_USERS, ("org_role", "viewer")), "WORK_ON_ISSUES": _MEMBER_WORK,
    "EDIT_OWN_WORKLOGS": _MEMBER_WORK, "EDIT_ALL_WORKLOGS": _ADMINS, "DELETE_OWN_WORKLOGS": _MEMBER_WORK,
    "DELETE_ALL_WORKLOGS": _ADMINS,
}
GLOBAL_GRANTS = {"ADMINISTER": ("admin",), "CREATE_PROJECT": ("admin",), "USER_PICKER": ("admin", "member", "viewer"),
                 "BULK_CHANGE": ("admin", "member"), "CREATE_SHARED_OBJECTS": ("admin", "member", "viewer")}


def upgrade() -> None:
    schemes = op.create_table(
        "permission_schemes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("organization_id", ID, sa.ForeignKey("organizations.id", ondelete="CASCADE",
                                                       name="fk_permission_schemes_organization_id_organizations"),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_permission_schemes"),
        sa.UniqueConstraint("organization_id", "name", name="uq_permission_schemes_organization_id_name"),
    )
    grants = op.create_table(
        "permission_grants",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("organization_id", ID, sa.ForeignKey("organizations.id", ondelete="CASCADE",
                                                       name="fk_permission_grants_organization_id_organizations"),
                  nullable=False),
        sa.Column("scheme_id", ID, sa.ForeignKey("permission_schemes.id", ondelete="CASCADE",
                                                 name="fk_permission_grants_scheme_id_permission_schemes"),
                  nullable=False),
        sa.Column("permission", sa.String(64), nullable=False),
        sa.Column("holder_type", sa.String(32), nullable=False),
        sa.Column("parameter", sa.String(64)),
        sa.Column("group_id", ID, sa.ForeignKey("groups.id", ondelete="CASCADE",
                                                name="fk_permission_grants_group_id_groups")),
        sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE",
                                               name="fk_permission_grants_user_id_users")),
        sa.PrimaryKeyConstraint("id", name="pk_permission_grants"),
    )
    op.create_index("ix_permission_grants_scheme", "permission_grants", ["organization_id", "scheme_id", "permission"])
    global_grants = op.create_table(
        "global_permission_grants",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("organization_id", ID, sa.ForeignKey(
            "organizations.id", ondelete="CASCADE", name="fk_global_permission_grants_organization_id_organizations"),
                  nullable=False),
        sa.Column("permission", sa.String(64), nullable=False),
        sa.Column("holder_type", sa.String(32), nullable=False),
        sa.Column("parameter", sa.String(64)),
        sa.Column("group_id", ID, sa.ForeignKey("groups.id", ondelete="CASCADE",
                                                name="fk_global_permission_grants_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name="pk_global_permission_grants"),
    )
    op.create_index("ix_global_permission_grants_org", "global_permission_grants", ["organization_id", "permission"])

    bind = op.get_bind()
    now = sa.func.now()
    for (org_id,) in bind.execute(sa.text("SELECT id FROM organizations ORDER BY id")).all():
        scheme_id = bind.execute(schemes.insert().values(
            organization_id=org_id, name="Default Permission Scheme", description="", is_default=True,
            created_at=now, updated_at=now).returning(schemes.c.id)).scalar_one()
        bind.execute(grants.insert(), [
            {"organization_id": org_id, "scheme_id": scheme_id, "permission": permission, "holder_type": kind,
             "parameter": parameter, "group_id": None, "user_id": None}
            for permission, holders in GRANTS.items() for kind, parameter in holders])
        bind.execute(global_grants.insert(), [
            {"organization_id": org_id, "permission": permission, "holder_type": "org_role", "parameter": role,
             "group_id": None}
            for permission, roles in GLOBAL_GRANTS.items() for role in roles])
        bind.execute(sa.text("UPDATE projects SET permission_scheme_id = :scheme WHERE organization_id = :org"),
                     {"scheme": scheme_id, "org": org_id})


def downgrade() -> None:
    op.execute("UPDATE projects SET permission_scheme_id = NULL")
    op.drop_index("ix_global_permission_grants_org", table_name="global_permission_grants")
    op.drop_table("global_permission_grants")
    op.drop_index("ix_permission_grants_scheme", table_name="permission_grants")
    op.drop_table("permission_grants")
    op.drop_table("permission_schemes")
