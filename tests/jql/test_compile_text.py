"""Text search through /v2/search on both backends: stemming, phrases and prefixes, comments, and
no user input that breaks it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.search_world import World, found


def test_text_search_stems_phrases_and_prefixes(client: TestClient, world: World) -> None:
    assert found(world, client, "summary ~ logged") == {"login"}  # "logging" and "logged" stem alike
    assert found(world, client, "summary ~ login") == {"login", "secret"}
    assert found(world, client, 'summary ~ "\\"login fails\\""') == {"login"}
    assert found(world, client, 'summary ~ "\\"fails login\\""') == set()
    assert found(world, client, "summary ~ 'migrat*'") == {"migration"}
    assert found(world, client, "description ~ error") == {"login"}
    assert found(world, client, "summary ~ error") == set()
    assert found(world, client, "description ~ 'quick fox'") == {"crash"}
    assert found(world, client, "comment ~ customers") == {"export"}
    assert found(world, client, "text ~ pdf") == {"export"}
    assert found(world, client, "text ~ 'stack'") == {"login"}
    assert found(world, client, "summary !~ login AND project = ALPHA") == {"export", "migration", "crash"}
    assert found(world, client, "description is empty") == {"migration", "secret"}


def test_text_search_without_known_comment_hits(client: TestClient, world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a bound, issues with matching comments are a subquery united with the issues' own
    matches rather than a list looked up first: the same answers."""
    monkeypatch.setattr("tessera.jql.search._KNOWN_HITS", -1)
    assert found(world, client, "comment ~ customers") == {"export"}
    assert found(world, client, "text ~ pdf") == {"export"}
    assert found(world, client, "text ~ 'stack'") == {"login"}
    assert found(world, client, "text !~ pdf AND project = ALPHA") == {"login", "migration", "crash"}
    assert found(world, client, "text ~ customers OR summary ~ crash") == {"export", "crash"}


@pytest.mark.parametrize("text", ['"', "'", "*", "a AND (b", "NEAR(a b)", "\\\\", "x:y", "-", "^a", "&|!",
                                  "日本語*", "\"\"\"", "summary:foo", "a\"b", "{summary}: x", "***", "OR"])
def test_text_search_never_breaks_on_user_input(client: TestClient, world: World, text: str) -> None:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    for field in ("summary", "text", "comment", "description"):
        response = client.post("/v2/search", json={"jql": f'{field} ~ "{escaped}"'}, headers=world.org.headers)
        assert response.status_code == 200, (text, response.text)
