"""Revision 0001: what lives in a project: components, versions, sprints, role members, and
issues with their comments, custom field values, components, labels, links, versions and history."""

import sqlalchemy as sa
from alembic import op

import tessera.db.base


def create_project_tables() -> None:
    op.create_table('components',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_components_lead_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_components_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_components_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_components')),
    sa.UniqueConstraint('organization_id', 'project_id', 'name', name=op.f('uq_components_organization_id_project_id_name'))
    )
    op.create_table('issues',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('issue_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('priority_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resolution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('workflow_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assignee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reporter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('creator_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', tessera.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_issues_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['creator_id'], ['users.id'], name=op.f('fk_issues_creator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_type_id'], ['issue_types.id'], name=op.f('fk_issues_issue_type_id_issue_types')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issues_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['issues.id'], name=op.f('fk_issues_parent_id_issues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['priority_id'], ['priorities.id'], name=op.f('fk_issues_priority_id_priorities')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_issues_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_issues_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolutions.id'], name=op.f('fk_issues_resolution_id_resolutions')),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_issues_status_id_statuses')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_issues_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issues')),
    sa.UniqueConstraint('organization_id', 'key', name=op.f('uq_issues_organization_id_key')),
    sa.UniqueConstraint('organization_id', 'project_id', 'number', name=op.f('uq_issues_organization_id_project_id_number'))
    )
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.create_index('ix_issues_org_assignee', ['organization_id', 'assignee_id'], unique=False)
        batch_op.create_index('ix_issues_org_created', ['organization_id', 'created_at'], unique=False)
        batch_op.create_index('ix_issues_org_parent', ['organization_id', 'parent_id'], unique=False)
        batch_op.create_index('ix_issues_org_project_status', ['organization_id', 'project_id', 'status_id'], unique=False)
        batch_op.create_index('ix_issues_org_updated', ['organization_id', 'updated_at'], unique=False)

    op.create_table('project_role_members',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_project_role_members_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_role_members_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_project_role_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', 'role', name=op.f('pk_project_role_members'))
    )
    with op.batch_alter_table('project_role_members', schema=None) as batch_op:
        batch_op.create_index('ix_project_role_members_user', ['organization_id', 'user_id'], unique=False)

    op.create_table('sprints',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('start_at', tessera.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_at', tessera.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', tessera.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_sprints_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sprints_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprints'))
    )
    with op.batch_alter_table('sprints', schema=None) as batch_op:
        batch_op.create_index('ix_sprints_org_project', ['organization_id', 'project_id'], unique=False)

    op.create_table('versions',
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_versions_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_versions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_versions')),
    sa.UniqueConstraint('organization_id', 'project_id', 'name', name=op.f('uq_versions_organization_id_project_id_name'))
    )
    op.create_table('change_groups',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_change_groups_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_change_groups_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_change_groups_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_groups'))
    )
    with op.batch_alter_table('change_groups', schema=None) as batch_op:
        batch_op.create_index('ix_change_groups_org_issue', ['organization_id', 'issue_id', 'created_at'], unique=False)

    op.create_table('comments',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility_role', sa.String(length=32), nullable=True),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_comments_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_comments_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_org_issue', ['organization_id', 'issue_id', 'created_at'], unique=False)

    op.create_table('custom_field_values',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('value_number', sa.Float(), nullable=True),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('value_ref', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['custom_field_definitions.id'], name=op.f('fk_custom_field_values_field_id_custom_field_definitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_custom_field_values_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_custom_field_values_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_field_values'))
    )
    with op.batch_alter_table('custom_field_values', schema=None) as batch_op:
        batch_op.create_index('ix_cfv_org_field_number', ['organization_id', 'field_id', 'value_number'], unique=False)
        batch_op.create_index('ix_cfv_org_field_ref', ['organization_id', 'field_id', 'value_ref'], unique=False)
        batch_op.create_index('ix_cfv_org_issue', ['organization_id', 'issue_id'], unique=False)

    op.create_table('issue_components',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('component_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['components.id'], name=op.f('fk_issue_components_component_id_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_components_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issue_components_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('issue_id', 'component_id', name=op.f('pk_issue_components'))
    )
    with op.batch_alter_table('issue_components', schema=None) as batch_op:
        batch_op.create_index('ix_issue_components_org_component', ['organization_id', 'component_id'], unique=False)

    op.create_table('issue_labels',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_labels_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issue_labels_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('issue_id', 'label', name=op.f('pk_issue_labels'))
    )
    with op.batch_alter_table('issue_labels', schema=None) as batch_op:
        batch_op.create_index('ix_issue_labels_org_label', ['organization_id', 'label'], unique=False)

    op.create_table('issue_links',
    sa.Column('link_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target_issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('creator_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['creator_id'], ['users.id'], name=op.f('fk_issue_links_creator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_type_id'], ['link_types.id'], name=op.f('fk_issue_links_link_type_id_link_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issue_links_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_issue_id'], ['issues.id'], name=op.f('fk_issue_links_source_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_issue_id'], ['issues.id'], name=op.f('fk_issue_links_target_issue_id_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_links')),
    sa.UniqueConstraint('organization_id', 'link_type_id', 'source_issue_id', 'target_issue_id', name=op.f('uq_issue_links_organization_id_link_type_id_source_issue_id_target_issue_id'))
    )
    with op.batch_alter_table('issue_links', schema=None) as batch_op:
        batch_op.create_index('ix_issue_links_org_source', ['organization_id', 'source_issue_id'], unique=False)
        batch_op.create_index('ix_issue_links_org_target', ['organization_id', 'target_issue_id'], unique=False)

    op.create_table('issue_versions',
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_versions_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_issue_versions_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_issue_versions_version_id_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('issue_id', 'version_id', 'kind', name=op.f('pk_issue_versions'))
    )
    with op.batch_alter_table('issue_versions', schema=None) as batch_op:
        batch_op.create_index('ix_issue_versions_org_version', ['organization_id', 'version_id'], unique=False)

    op.create_table('change_items',
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('issue_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=255), nullable=False),
    sa.Column('field_id', sa.String(length=64), nullable=False),
    sa.Column('field_type', sa.String(length=16), nullable=False),
    sa.Column('from_value', sa.Text(), nullable=True),
    sa.Column('from_string', sa.Text(), nullable=True),
    sa.Column('to_value', sa.Text(), nullable=True),
    sa.Column('to_string', sa.Text(), nullable=True),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', tessera.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['change_groups.id'], name=op.f('fk_change_items_group_id_change_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_change_items_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_change_items_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_items'))
    )
    with op.batch_alter_table('change_items', schema=None) as batch_op:
        batch_op.create_index('ix_change_items_org_field_issue', ['organization_id', 'field_id', 'issue_id'], unique=False)
        batch_op.create_index('ix_change_items_org_group', ['organization_id', 'group_id'], unique=False)


def drop_project_tables() -> None:
    with op.batch_alter_table('change_items', schema=None) as batch_op:
        batch_op.drop_index('ix_change_items_org_group')
        batch_op.drop_index('ix_change_items_org_field_issue')

    op.drop_table('change_items')
    with op.batch_alter_table('issue_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_versions_org_version')

    op.drop_table('issue_versions')
    with op.batch_alter_table('issue_links', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_links_org_target')
        batch_op.drop_index('ix_issue_links_org_source')

    op.drop_table('issue_links')
    with op.batch_alter_table('issue_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_labels_org_label')

    op.drop_table('issue_labels')
    with op.batch_alter_table('issue_components', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_components_org_component')

    op.drop_table('issue_components')
    with op.batch_alter_table('custom_field_values', schema=None) as batch_op:
        batch_op.drop_index('ix_cfv_org_issue')
        batch_op.drop_index('ix_cfv_org_field_ref')
        batch_op.drop_index('ix_cfv_org_field_number')

    op.drop_table('custom_field_values')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_org_issue')

    op.drop_table('comments')
    with op.batch_alter_table('change_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_change_groups_org_issue')

    op.drop_table('change_groups')
    op.drop_table('versions')
    with op.batch_alter_table('sprints', schema=None) as batch_op:
        batch_op.drop_index('ix_sprints_org_project')

    op.drop_table('sprints')
    with op.batch_alter_table('project_role_members', schema=None) as batch_op:
        batch_op.drop_index('ix_project_role_members_user')

    op.drop_table('project_role_members')
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_org_updated')
        batch_op.drop_index('ix_issues_org_project_status')
        batch_op.drop_index('ix_issues_org_parent')
        batch_op.drop_index('ix_issues_org_created')
        batch_op.drop_index('ix_issues_org_assignee')

    op.drop_table('issues')
    op.drop_table('components')
