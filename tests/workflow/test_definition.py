"""check_definition reports every mistake with its path, all at once; the JSON schema names the
portable fields."""

from __future__ import annotations

import copy

import pytest

from tessera.errors import InvalidInput
from tessera.workflow.definition import json_schema
from tessera.workflow.service import parse_spec
from tests.workflow.documents import document, errors_of, with_transition


def test_a_sound_document_has_no_errors() -> None:
    assert errors_of(document()) == {}


def test_unreachable_statuses_are_named_by_path() -> None:
    doc = document()
    doc["statuses"].append({"name": "Limbo", "category": "in_progress"})
    doc["transitions"].append({"id": "out", "name": "Out of limbo", "from": ["Limbo"], "to": "Closed"})
    assert errors_of(doc) == {"statuses[3]": "status 'Limbo' cannot be reached from 'New'"}


def test_a_global_transition_makes_its_target_reachable() -> None:
    doc = document()
    doc["statuses"].append({"name": "Rejected", "category": "done"})
    doc["transitions"].append({"id": "reject", "name": "Reject", "from": [], "to": "Rejected"})
    assert errors_of(doc) == {}
    doc["transitions"][-1]["from"] = ["*"]
    assert errors_of(doc) == {}


def test_reachability_follows_edges_only_forward() -> None:
    doc = document(transitions=[{"id": "start", "name": "Start", "from": ["New"], "to": "Working"},
                                {"id": "back", "name": "Back", "from": ["Closed"], "to": "New"}])
    assert errors_of(doc) == {"statuses[2]": "status 'Closed' cannot be reached from 'New'"}


def test_a_transition_to_an_unknown_status() -> None:
    assert errors_of(with_transition(2, to="Shipped")) == {"transitions[2].to": "unknown status 'Shipped'"}


def test_an_unknown_source_status() -> None:
    errors = errors_of(with_transition(2, **{"from": ["Closed", "Archived"]}))
    assert errors == {"transitions[2].from[1]": "unknown status 'Archived'"}


def test_an_unknown_initial_status() -> None:
    assert errors_of(document(initial_status="Backlog")) == {"initial_status": "unknown status 'Backlog'"}


def test_a_duplicated_transition_id() -> None:
    doc = document()
    doc["transitions"].append({"id": "start", "name": "Start again", "from": ["Closed"], "to": "Working"})
    assert errors_of(doc) == {"transitions[3].id": "duplicated transition id 'start'"}


def test_a_duplicated_status_ignoring_case() -> None:
    doc = document()
    doc["statuses"].append({"name": "working", "category": "in_progress"})
    assert errors_of(doc) == {"statuses[3].name": "duplicated status 'working'"}


SOUND_RULES = {"conditions": {"type": "not_blocked"}, "validators": {"type": "resolution_required"},
               "post_functions": {"type": "add_comment", "params": {"body": "x"}}}


@pytest.mark.parametrize(("group", "kind"), [("conditions", "condition"), ("validators", "validator"),
                                             ("post_functions", "post-function")])
def test_an_unknown_rule_type(group: str, kind: str) -> None:
    errors = errors_of(with_transition(0, **{group: [SOUND_RULES[group], {"type": "telepathy"}]}))
    assert list(errors) == [f"transitions[0].{group}[1].type"]
    assert errors[f"transitions[0].{group}[1].type"].startswith(f"unknown {kind} type 'telepathy'")


@pytest.mark.parametrize(("group", "rule", "message"), [
    ("conditions", {"type": "user_in_project_role", "params": {"role": "owners"}}, "role: "),
    ("validators", {"type": "field_matches", "params": {"field": "summary", "pattern": "("}}, "pattern: "),
    ("post_functions", {"type": "assign", "params": {}}, "to: Field required"),
])
def test_bad_params(group: str, rule: dict, message: str) -> None:
    errors = errors_of(with_transition(1, **{group: [rule]}))
    assert list(errors) == [f"transitions[1].{group}[0].params"]
    assert errors[f"transitions[1].{group}[0].params"].startswith(message)


def test_an_unknown_screen_field() -> None:
    errors = errors_of(with_transition(1, screen=["resolution", "mood"]))
    assert list(errors) == ["transitions[1].screen[1]"]
    assert errors["transitions[1].screen[1]"].startswith("unknown field 'mood'")
    assert errors_of(with_transition(1, screen=["resolution", "mood"]), custom_field_keys=frozenset({"mood"})) == {}


def test_every_mistake_is_reported_at_once() -> None:
    doc = copy.deepcopy(document())
    doc["transitions"][0]["to"] = "Nowhere"
    doc["transitions"][1]["screen"] = ["mood"]
    doc["transitions"][2]["conditions"] = [{"type": "telepathy"}]
    doc["transitions"].append({"id": "close", "name": "Dup", "from": ["New"], "to": "Closed"})
    # Working is no longer reachable either: a consequence, reported too.
    assert set(errors_of(doc)) == {"transitions[0].to", "statuses[1]", "transitions[1].screen[0]",
                                   "transitions[2].conditions[0].type", "transitions[3].id"}


def test_structure_errors_carry_their_path() -> None:
    doc = document()
    del doc["transitions"][1]["to"]
    doc["statuses"][0]["category"] = "backlog"
    doc["transitions"][0]["id"] = "has space"
    with pytest.raises(InvalidInput) as raised:
        parse_spec(doc)
    assert set(raised.value.errors) == {"transitions.1.to", "statuses.0.category", "transitions.0.id"}
    with pytest.raises(InvalidInput) as raised:
        parse_spec({**document(), "colour": "blue"})
    assert set(raised.value.errors) == {"colour"}


def test_the_json_schema_names_the_portable_fields() -> None:
    schema = json_schema()
    assert set(schema["required"]) == {"name", "statuses", "initial_status"}
    transition = schema["$defs"]["TransitionSpec"]["properties"]
    assert "from" in transition and "from_" not in transition
