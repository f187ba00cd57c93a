"""The administration pages (/admin/...), for organization administrators: users and
invitations, groups, the organization's settings and usage, projects with their components,
versions and roles, and workflow diagrams. Every change goes through the domain services the
REST API uses; these modules only read forms and render pages."""
