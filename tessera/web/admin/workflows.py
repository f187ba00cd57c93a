"""/admin/workflows: the organization's workflows and which one each project's issue types
use (issues.creation.workflow_for_new_issue, as issue creation picks it), and one workflow's
diagram (admin/workflow_diagram.py) with its statuses and transitions; the forms there that
add statuses and transitions and publish the draft are admin/workflow_editor.py."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.issues.creation import workflow_for_new_issue
from tessera.issues.references import catalog_for
from tessera.issues.workflow_migration import stranded_by_draft
from tessera.projects.service import access_project, list_projects
from tessera.web.admin.forms import FormError, require_admin
from tessera.web.admin.workflow_diagram import layout
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.workflow.definition import REGISTRIES
from tessera.workflow.models import CATEGORY_NAMES
from tessera.workflow.service import access_workflow, to_portable

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/workflows"


@router.get(PAGE)
async def workflows_page(web: Web, project: str = "") -> Response:
    """`project`: only that project's workflows (a key; another organization's is a 404)."""
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        catalog = await catalog_for(session, actor)
        projects = ([await access_project(session, actor, project.strip()[:16])] if project.strip()
                    else await list_projects(session, actor))
        usage = []  # per project: [(workflow, [issue type names])]
        for shown in projects:
            by_workflow: dict[int, list[str]] = {}
            for kind in catalog.issue_types:
                workflow = workflow_for_new_issue(catalog, shown, kind.id, None)
                by_workflow.setdefault(workflow.id, []).append(kind.name)
            usage.append((shown, [(catalog.workflow(w), names) for w, names in by_workflow.items()]))
    return web.render("admin/workflows.html", workflows=catalog.workflows, usage=usage, project=None,
                      filtered=project.strip().upper(), nav="admin-workflows")


RULE_GROUPS = {"conditions": "Conditions", "validators": "Validators", "post_functions": "Post-functions"}
RULE_SINGULAR = {"conditions": "condition", "validators": "validator", "post_functions": "post-function"}
NOTICES = {"saved": "Saved in the draft: publish it to apply it.", "published": "The draft is published.",
           "discarded": "The draft is discarded."}


async def render_workflow(web: Web, workflow_ref: str, *, draft: bool = False, status_code: int = 200,
                          error: FormError | None = None, form: dict[str, str] | None = None,
                          notice: str = "") -> Response:
    """`draft`: the unpublished draft, when there is one. After a refused edit the draft shown is
    the saved one: the refused change is only in the form, kept for another try."""
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        workflow = await access_workflow(session, actor, workflow_ref[:80])
        catalog = await catalog_for(session, actor)
        showing_draft = draft and workflow.draft is not None
        # A draft is kept in the portable form already (statuses by name, some perhaps new).
        definition = (workflow.draft["spec"] if showing_draft and workflow.draft
                      else to_portable(workflow, workflow.definition, catalog.statuses))
        # The publish form asks where the issues of each status the draft drops should go.
        stranded = await stranded_by_draft(session, catalog, workflow)
    rule_kinds = {group: [(name, registry.get(name).description) for name in registry.names()]  # type: ignore[union-attr]
                  for group, registry in REGISTRIES.items()}
    return web.render("admin/workflow.html", status_code=status_code, workflow=workflow, definition=definition,
                      diagram=layout(definition), showing_draft=showing_draft, categories=CATEGORY_NAMES,
                      stranded=stranded, rule_kinds=rule_kinds, rule_groups=RULE_GROUPS, singular=RULE_SINGULAR,
                      error=error, form=form or {}, notice=NOTICES.get(notice, ""), nav="admin-workflows")


@router.get(PAGE + "/{workflow_ref}")
async def workflow_page(workflow_ref: str, web: Web, draft: str = "", done: str = "") -> Response:
    return await render_workflow(web, workflow_ref, draft=bool(draft), notice=done)
