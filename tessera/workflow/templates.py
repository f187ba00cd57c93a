"""Workflow templates in the portable format: what new organizations and projects start with."""

from __future__ import annotations

from typing import Any

_STATUSES = [
    {"name": "To Do", "category": "todo"},
    {"name": "In Progress", "category": "in_progress"},
    {"name": "In Review", "category": "in_progress"},
    {"name": "Done", "category": "done"},
    {"name": "Won't Do", "category": "done"},
]

# Jira Software's default (simplified) workflow: any status moves to any other by a global
# transition named after its target, so `transition_issue(issue, "Done")` works from To Do. The
# ids follow Jira's: To Do 11, In Progress 21, Done 31, then the added statuses. Resolutions follow
# the status category (tessera.issues.transitions): into Done sets one (Done unless the screen
# names another) and fires issue_resolved; leaving Done or Won't Do clears it (issue_reopened).
SOFTWARE: dict[str, Any] = {
    "key": "default",
    "name": "Software workflow",
    "description": "To Do, In Progress, In Review, Done and Won't Do; any status moves to any other.",
    "statuses": _STATUSES,
    "initial_status": "To Do",
    "transitions": [
        {"id": "11", "name": "To Do", "from": [], "to": "To Do"},
        {"id": "21", "name": "In Progress", "from": [], "to": "In Progress",
         "post_functions": [{"type": "update_parent", "params": {"to_status": "In Progress"}}]},
        {"id": "31", "name": "Done", "from": [], "to": "Done", "screen": ["resolution", "comment"],
         "post_functions": [{"type": "fire_event", "params": {"event": "issue_resolved"}}]},
        {"id": "41", "name": "In Review", "from": [], "to": "In Review"},
        {"id": "51", "name": "Won't Do", "from": [], "to": "Won't Do", "screen": ["comment"],
         "post_functions": [{"type": "set_resolution", "params": {"resolution": "Won't Do"}}]},
    ],
}

# The step-by-step software workflow Tessera started with: an issue goes through In Progress (and
# usually In Review) before Done. Offered as a template for teams that want the path enforced.
SOFTWARE_STRICT: dict[str, Any] = {
    "key": "software_strict",
    "name": "Strict software workflow",
    "description": "To Do → In Progress → In Review → Done, with Won't Do and Reopen.",
    "statuses": _STATUSES,
    "initial_status": "To Do",
    "transitions": [
        {"id": "11", "name": "Start Progress", "from": ["To Do"], "to": "In Progress",
         "post_functions": [{"type": "update_parent", "params": {"to_status": "In Progress"}}]},
        {"id": "21", "name": "Stop Progress", "from": ["In Progress"], "to": "To Do"},
        {"id": "31", "name": "Submit for Review", "from": ["In Progress"], "to": "In Review"},
        {"id": "41", "name": "Back to In Progress", "from": ["In Review"], "to": "In Progress"},
        {"id": "51", "name": "Done", "from": ["In Progress", "In Review"], "to": "Done",
         "screen": ["resolution", "comment"], "post_functions": [{"type": "fire_event",
                                                                  "params": {"event": "issue_resolved"}}]},
        {"id": "61", "name": "Won't Do", "from": [], "to": "Won't Do", "screen": ["comment"],
         "post_functions": [{"type": "set_resolution", "params": {"resolution": "Won't Do"}}]},
        {"id": "71", "name": "Reopen", "from": ["Done", "Won't Do"], "to": "To Do",
         "post_functions": [{"type": "fire_event", "params": {"event": "issue_reopened"}}]},
    ],
}

BUSINESS: dict[str, Any] = {
    "key": "business",
    "name": "Business workflow",
    "description": "To Do → In Progress → Done, for tasks outside software delivery.",
    "statuses": [
        {"name": "To Do", "category": "todo"},
        {"name": "In Progress", "category": "in_progress"},
        {"name": "Done", "category": "done"},
    ],
    "initial_status": "To Do",
    "transitions": [
        {"id": "11", "name": "Start", "from": ["To Do"], "to": "In Progress"},
        {"id": "21", "name": "Back to To Do", "from": ["In Progress"], "to": "To Do"},
        {"id": "31", "name": "Done", "from": ["To Do", "In Progress"], "to": "Done", "screen": ["comment"]},
        {"id": "41", "name": "Reopen", "from": ["Done"], "to": "To Do"},
    ],
}

# By project type; each becomes a workflow with a scheme in every new organization. A project
# uses the scheme of its type unless given another (the strict one is chosen that way).
TEMPLATES = {"software": SOFTWARE, "business": BUSINESS, "software_strict": SOFTWARE_STRICT}
