"""Imports every model module so Base.metadata is complete (for Alembic and tests)."""

from tessera.db.base import Base
from tessera.events import models as _events  # noqa: F401
from tessera.issues import models as _issues  # noqa: F401
from tessera.projects import models as _projects  # noqa: F401
from tessera.tenancy import models as _tenancy  # noqa: F401
from tessera.workflow import models as _workflow  # noqa: F401

metadata = Base.metadata
