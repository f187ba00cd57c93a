"""What a push notification says: the issue's key and summary as the title, who changed what as
the body (the latest changes when there are many), and the issue's URL."""

from __future__ import annotations

from tessera.notifications.locale import translations
from tessera.notifications.push.message import describe_change, push_message

NAMES = {1: "Ada", 2: "Bob"}
ENGLISH, GERMAN = translations("en"), translations("de")


def change(event_type: str, actor: int = 1, **payload: object) -> dict:
    return {"event_id": 1, "event_type": event_type, "actor_id": actor, "at": "2026-01-01T00:00:00Z",
            "payload": payload}


def test_changes_read_as_sentences() -> None:
    cases = {
        "Ada created this issue": change("issue_created"),
        "Ada moved it from To Do to Done": change("status_changed", field_changes={
            "status": {"from": "To Do", "to": "Done"}}),
        "Bob commented: Looks good": change("comment_added", 2, body="Looks  good"),
        "Ada changed Priority: Low → High": change("issue_updated", field_changes={
            "priority": {"from": "Low", "to": "High"}}),
        "Ada changed Assignee: none → Bob": change("issue_updated", field_changes={
            "assignee": {"from": None, "to": {"display_name": "Bob"}}}),
        "Ada changed Labels, Summary": change("issue_updated", field_changes={
            "summary": {"from": "a", "to": "b"}, "labels": {"from": [], "to": ["x"]}}),
        "Someone: worklog added": change("worklog_added", 99),
    }
    for expected, given in cases.items():
        assert describe_change(given, NAMES, ENGLISH) == expected


def test_a_message_has_title_body_and_link() -> None:
    changes = [change("issue_updated", field_changes={"summary": {"from": "a", "to": str(n)}}) for n in range(5)]
    message = push_message({"kind": "issue", "recipient_id": 2, "issue_id": 7, "issue_key": "SHOP-12",
                            "changes": changes}, summaries={7: "Cart " + "x" * 200}, names=NAMES,
                           base_url="https://t.example/", tag="SHOP-12", catalog=ENGLISH)
    assert message["title"].startswith("SHOP-12 Cart x") and len(message["title"]) == 80
    lines = message["body"].split("\n")
    assert lines[0] == "5 changes; the latest:" and lines[-1] == "Ada changed Summary: a → 4" and len(lines) == 4
    assert message["url"] == "https://t.example/browse/SHOP-12"
    digest = push_message({"kind": "overflow", "recipient_id": 2, "issue_id": None, "issue_key": None,
                           "changes": changes[:2]}, summaries={}, names=NAMES, base_url="https://t.example",
                          tag="overflow", catalog=ENGLISH)
    assert digest["title"] == "Tessera: 2 updates" and digest["url"] == "https://t.example/notifications"
    assert digest["body"].startswith("Many updates this hour")


def test_a_german_recipient_reads_german() -> None:
    assert describe_change(change("status_changed", field_changes={"status": {"from": "Offen", "to": "Erledigt"}}),
                           NAMES, GERMAN) == "Ada hat ihn von Offen nach Erledigt verschoben"
    assert describe_change(change("issue_updated", field_changes={"assignee": {"from": None, "to": "Bob"}}),
                           NAMES, GERMAN) == "Ada hat Bearbeiter geändert: leer → Bob"
    assert describe_change(change("worklog_added", 99), NAMES, GERMAN) == "Jemand: worklog added"
    changes = [change("comment_added", body=str(n)) for n in range(4)]
    message = push_message({"kind": "digest", "recipient_id": 2, "issue_id": None, "issue_key": None,
                            "changes": changes}, summaries={}, names=NAMES, base_url="https://t.example",
                           tag="digest", catalog=GERMAN)
    assert message["title"] == "Tessera: 4 Änderungen"
    assert message["body"].split("\n")[:3] == ["Ihre Zusammenfassung", "4 Änderungen; die neuesten:",
                                                "Ada hat kommentiert: 1"]
