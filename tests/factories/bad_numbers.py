"""Text that Python's int()/isdigit() take for a number (or choke on) and a client never means
as an id: every surface must answer it with a 404 or a clear 4xx, never a 500 or another row.
Keyed by a readable name for test ids."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.support import OrgHandle, make_org, unique_key

BAD_NUMBERS: dict[str, str] = {
    "superscript": "³",  # isdigit() but int() fails
    "arabic_indic": "١",  # int() reads it as 1
    "fullwidth": "１",  # int() reads it as 1
    "padded": " 1 ",  # int() strips it
    "digits_4400": "9" * 4400,  # past int()'s 4,300-digit limit
    "digits_30": "1" * 30,  # overflows a 64-bit column
    "two_to_63": str(2**63),  # one past the largest BIGINT
    "leading_zero": "01",
    "signed": "+1",
    "underscore": "1_0",  # int() reads it as 10
}


def disguises(number: int) -> dict[str, str]:
    """Ways to write a real id that must not name it: each answers as an id that does not exist."""
    text = str(number)
    return {
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in text),
        "arabic_indic": "".join(chr(ord(c) - ord("0") + 0x0660) for c in text),
        "padded": f"  {text} ",
        "trailing_space": f"{text} ",
        "leading_zero": f"0{text}",
        "signed": f"+{text}",
    }

# One of each kind, for surfaces that are slow to render (web pages).
SOME_BAD_NUMBERS: dict[str, str] = {name: BAD_NUMBERS[name] for name in (
    "superscript", "arabic_indic", "padded", "digits_4400", "digits_30")}


@dataclass(frozen=True)
class NumbersWorld:
    """One organization's real rows, whose ids the disguises stand for (tests only read them)."""

    org: OrgHandle
    project: dict
    issue: dict
    comment: dict
    saved_filter: dict
    board: dict
    sprint: dict
    dashboard: dict


def build_numbers_world(client: TestClient, database_url: str) -> NumbersWorld:
    org = make_org(database_url, password=None)

    def post(url: str, body: dict) -> dict:
        response = client.post(url, json=body, headers=org.headers)
        assert response.status_code == 201, response.text
        return response.json()

    project = post("/v2/projects", {"key": unique_key("N")[:10], "name": "Numbers"})
    issue = post("/v2/issues", {"project_id": project["id"], "issue_type": "Task", "summary": "Real"})
    comment = post(f"/v2/issues/{issue['id']}/comments", {"body": "Real comment"})
    saved = post("/v2/filters", {"name": "Numbers", "jql": f"project = {project['key']}"})
    board = post("/v2/boards", {"name": "Numbers", "project_id": project["id"], "filter_id": saved["id"]})
    sprint = post(f"/v2/boards/{board['id']}/sprints", {"name": "Sprint"})
    dashboard = post("/v2/dashboards", {"name": "Numbers", "shares": [{"type": "organization"}],
                                        "layout": {"gadgets": [{"type": "activity_stream"}]}})
    return NumbersWorld(org, project, issue, comment, saved, board, sprint, dashboard)
