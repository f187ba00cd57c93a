"""Third-party rules arrive through entry points; the composition root loads them once."""

from __future__ import annotations

from tessera.workflow.rules.conditions import conditions
from tessera.workflow.rules.post_functions import post_functions
from tessera.workflow.rules.validators import validators


def load_plugins() -> None:
    for registry in (conditions, validators, post_functions):
        registry.load_entry_points()
