"""The built-in workflow templates are sound and have the documented transitions and statuses."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.workflow.templates import BUSINESS, SOFTWARE, SOFTWARE_STRICT, TEMPLATES
from tests.workflow.documents import errors_of


@pytest.mark.parametrize("template", list(TEMPLATES.values()), ids=list(TEMPLATES))
def test_the_templates_are_sound(template: dict[str, Any]) -> None:
    assert errors_of(template) == {}


def test_templates_have_the_documented_transitions() -> None:
    assert [(t["id"], t["name"], t["to"], t["from"]) for t in SOFTWARE["transitions"]] == [
        ("11", "To Do", "To Do", []), ("21", "In Progress", "In Progress", []), ("31", "Done", "Done", []),
        ("41", "In Review", "In Review", []), ("51", "Won't Do", "Won't Do", [])]
    assert [t["id"] for t in SOFTWARE_STRICT["transitions"]] == ["11", "21", "31", "41", "51", "61", "71"]
    assert [s["name"] for s in BUSINESS["statuses"]] == ["To Do", "In Progress", "Done"]
