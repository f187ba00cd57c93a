"""What JQL's `development[section].property` reads (tessera.jql.development): Git's branches,
commits and pull requests and CI's builds and deployments, each a SELECT of the integration
that owns the table. jql sits below integrations in the layers, so these are registered with it
by install_development_facts(), which the composition roots call (create_app, the command line).

Counts follow the development panel: builds once per pipeline and deployments once per
environment, by the latest of each (tessera.integrations.ci.facts)."""

from __future__ import annotations

from functools import partial

from tessera.integrations.ci.facts import issues_shipped_to, latest_build_rows, latest_deployment_rows
from tessera.integrations.ci.reports import ENVIRONMENT_TYPES
from tessera.integrations.git.facts import branch_rows, commit_rows, pull_request_rows
from tessera.jql.development import DEVELOPMENT_FACTS, DevelopmentFact

FACTS = (
    DevelopmentFact("branches", "all", rows=branch_rows),
    DevelopmentFact("commits", "all", rows=commit_rows),
    DevelopmentFact("pullrequests", "all", rows=pull_request_rows),
    DevelopmentFact("pullrequests", "open", rows=partial(pull_request_rows, state="open")),
    DevelopmentFact("pullrequests", "merged", rows=partial(pull_request_rows, state="merged")),
    DevelopmentFact("pullrequests", "declined", rows=partial(pull_request_rows, state="declined")),
    DevelopmentFact("builds", "all", rows=latest_build_rows),
    DevelopmentFact("builds", "failing", rows=partial(latest_build_rows, state="failed")),
    DevelopmentFact("builds", "successful", rows=partial(latest_build_rows, state="successful")),
    DevelopmentFact("deployments", "all", rows=latest_deployment_rows),
    # Not in Jira's documentation (which has `deploymentEnvironmentType ~ "production"`): an
    # environment's type or name, where the issue's latest deployment to it succeeded.
    DevelopmentFact("deployments", "environment", match=issues_shipped_to, values=ENVIRONMENT_TYPES),
)


def install_development_facts() -> None:
    """Idempotent: every app and command of a process installs the same facts."""
    for fact in FACTS:
        DEVELOPMENT_FACTS.register(fact)
