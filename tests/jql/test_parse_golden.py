"""Golden files for the grammar: one JSON case per file under golden/parse/, either
{"query", "ast"} or {"query", "error": {"message", "line", "column"}}. Adding a case adds a file.
Regenerate an `ast` after an intended change with TESSERA_REGOLD=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tessera.jql.ast import to_data
from tessera.jql.parser import JqlSyntaxError, parse

CASES = sorted((Path(__file__).parent / "golden" / "parse").glob("*.json"))


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    case = json.loads(path.read_text())
    if "error" in case:
        with pytest.raises(JqlSyntaxError) as raised:
            parse(case["query"])
        error = raised.value
        assert {"message": error.message, "line": error.line, "column": error.column} == case["error"]
        return
    found = to_data(parse(case["query"]))
    if os.environ.get("TESSERA_REGOLD"):
        path.write_text(json.dumps({**case, "ast": found}, indent=1) + "\n")
    assert found == case["ast"]
