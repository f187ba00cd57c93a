"""An issue in the test's project, for the live streams to watch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.live import create_issue
from tests.support import OrgHandle


@pytest.fixture
def issue(client: TestClient, org: OrgHandle, project: dict) -> dict:
    return create_issue(client, org, project)
