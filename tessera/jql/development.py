"""`development[section].property`: JQL over what integrations linked to issues (Jira's
`development[pullrequests].open > 0`, `development[commits].all = 0`, `development[builds].failing`).

The facts are SELECTs over the integrations' tables, and integrations sit above jql in the
layers, so they live there and are registered here (tessera.integrations.development_facts,
installed by the composition roots: create_app and the command line). A fact is either a count,
compared with numbers, or a value match (`development[deployments].environment = production`).
Without a registered fact the name is an unknown field like any other.

A fact's SELECT is uncorrelated and filtered on the organization, reading rows of live issues
(the link tables' foreign keys cascade): the promises of tessera.jql.id_sets."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select

from tessera.errors import InvalidInput
from tessera.jql import ast

# Counted rows of one organization: one row per counted thing, its first column the issue id.
CountRows = Callable[[int], Select]  # type: ignore[type-arg]
# Distinct ids of the issues of one organization having one of the values (as written), or any value (None).
ValueMatch = Callable[[int, Sequence[str] | None], Select]  # type: ignore[type-arg]

_NAME = re.compile(r"development\[(?P<section>[^\]]*)\](?:\.(?P<property>.*))?", re.IGNORECASE)


@dataclass(frozen=True)
class DevelopmentFact:
    """`rows` for a count, `match` (with the values autocomplete offers) for a value fact."""

    section: str
    property: str
    rows: CountRows | None = None
    match: ValueMatch | None = None
    values: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"development[{self.section}].{self.property}"


class DevelopmentFacts:
    """The registered facts by (section, property), lower-case. Registering the same name twice
    is a programming error; installing the same fact again (a second app in one process) is not."""

    def __init__(self) -> None:
        self._facts: dict[tuple[str, str], DevelopmentFact] = {}

    def register(self, fact: DevelopmentFact) -> None:
        if (fact.rows is None) == (fact.match is None):
            raise TypeError(f"{fact.name}: give exactly one of rows (a count) or match (a value)")
        key = (fact.section.lower(), fact.property.lower())
        known = self._facts.get(key)
        if known is not None and known != fact:
            raise ValueError(f"{fact.name} is registered already")
        self._facts[key] = fact

    def get(self, name: str) -> DevelopmentFact:
        """By the canonical name a FieldDef carries (resolve() made it)."""
        match = _NAME.fullmatch(name)
        assert match is not None, name
        return self._facts[(match["section"].lower(), (match["property"] or "").lower())]

    def all(self) -> list[DevelopmentFact]:
        return sorted(self._facts.values(), key=lambda fact: fact.name)

    def sections(self) -> list[str]:
        return sorted({section for section, _ in self._facts})

    def properties(self, section: str) -> list[str]:
        return sorted(prop for known, prop in self._facts if known == section)


DEVELOPMENT_FACTS = DevelopmentFacts()


def _error(message: str, ref: ast.FieldRef, offset: int) -> InvalidInput:
    """Points at the part of the name that is wrong (`offset` characters into it)."""
    return InvalidInput(message, field="jql", code="jql_unknown_field",
                        data={"line": ref.pos.line, "column": ref.pos.column + offset})


def resolve(ref: ast.FieldRef) -> DevelopmentFact:
    """The fact `development[section].property` names, or a 400 saying which part is unknown."""
    name = ref.name.strip()
    match = _NAME.fullmatch(name)
    sections = DEVELOPMENT_FACTS.sections()
    if match is None:
        raise _error(f"Write development fields as development[section].property, e.g. "
                     f"development[pullrequests].open; sections: {', '.join(sections)}.", ref, 0)
    section = match["section"].strip().lower()
    if section not in sections:
        raise _error(f"Unknown development section '{match['section'][:60]}'; use one of: {', '.join(sections)}.",
                     ref, match.start("section"))
    properties = DEVELOPMENT_FACTS.properties(section)
    wanted = match["property"]
    if wanted is None:
        raise _error(f"'{name[:80]}' needs a property: {', '.join(f'development[{section}].{p}' for p in properties)}.",
                     ref, len(name))
    if wanted.strip().lower() not in properties:
        raise _error(f"The development section '{section}' has no property '{wanted[:60]}'; use one of: "
                     f"{', '.join(properties)}.", ref, match.start("property"))
    return DEVELOPMENT_FACTS.get(f"development[{section}].{wanted.strip()}")
