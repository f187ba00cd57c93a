"""Workflow templates in the portable format: what new organizations and projects start with."""

from __future__ import annotations

from typing import Any

SOFTWARE: dict[str, Any] = {
    "key": "default",
    "name": "Software workflow",
    "description": "To Do → In Progress → In Review → Done, with Won't Do and Reopen.",
    "statuses": [
        {"name": "To Do", "category": "todo"},
        {"name": "In Progress", "category": "in_progress"},
        {"name": "In Review", "category": "in_progress"},
        {"name": "Done", "category": "done"},
        {"name": "Won't Do", "category": "done"},
    ],
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

TEMPLATES = {"software": SOFTWARE, "business": BUSINESS}
