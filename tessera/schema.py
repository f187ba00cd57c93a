"""Imports every model module so Base.metadata is complete (for Alembic and tests)."""

from tessera.agile import models as _agile  # noqa: F401
from tessera.audit import models as _audit  # noqa: F401
from tessera.db.base import Base
from tessera.delivery import models as _delivery  # noqa: F401
from tessera.events import models as _events  # noqa: F401
from tessera.importing import models as _importing  # noqa: F401
from tessera.integrations.ci import models as _ci  # noqa: F401
from tessera.integrations.git import models as _git  # noqa: F401
from tessera.integrations.mail_in import models as _mail_in  # noqa: F401
from tessera.issues import models as _issues  # noqa: F401
from tessera.issues.attachments import models as _attachments  # noqa: F401
from tessera.issues.comments import models as _comments  # noqa: F401
from tessera.issues.properties import models as _properties  # noqa: F401
from tessera.issues.remote_links import models as _remote_links  # noqa: F401
from tessera.issues.watchers import models as _watchers  # noqa: F401
from tessera.issues.worklogs import models as _worklogs  # noqa: F401
from tessera.jql import models as _jql  # noqa: F401
from tessera.live import models as _live  # noqa: F401
from tessera.notifications import models as _notifications  # noqa: F401
from tessera.notifications.push import models as _push  # noqa: F401
from tessera.notifications.slack import models as _slack  # noqa: F401
from tessera.projects import models as _projects  # noqa: F401
from tessera.reports import models as _reports  # noqa: F401
from tessera.tenancy import idempotency as _idempotency  # noqa: F401
from tessera.tenancy import models as _tenancy  # noqa: F401
from tessera.webhooks import models as _webhooks  # noqa: F401
from tessera.workflow import models as _workflow  # noqa: F401

metadata = Base.metadata


# Full-text search structures live outside the models (a generated tsvector column on
# PostgreSQL, FTS5 tables kept by triggers on SQLite); schema comparisons skip them.
FULL_TEXT_OBJECTS = frozenset({"search_vector", "issues_fts", "comments_fts", "ix_issues_search",
                               "ix_comments_search"})


def include_in_comparison(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (name in FULL_TEXT_OBJECTS or (name or "").startswith(("issues_fts", "comments_fts")))
