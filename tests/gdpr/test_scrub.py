"""The erasure's text rewriting: the email in any case, the name as a whole word, other
people's longer names left alone, JSON keys and values at any depth."""

from __future__ import annotations

from tessera.gdpr.scrub import Scrub

SCRUB = Scrub(email="ann@example.test", name="Ann", new_email="erased-user-7@erased.invalid",
              new_name="Former user 7", keep=("Ann Lee",))


def test_email_in_any_case_and_name_as_a_whole_word() -> None:
    assert SCRUB("Ask Ann (ANN@Example.test) or Annabel, Anne, Ann.") == (
        "Ask Former user 7 (erased-user-7@erased.invalid) or Annabel, Anne, Former user 7.")


def test_another_persons_longer_name_is_kept() -> None:
    assert SCRUB("Ann and Ann Lee") == "Former user 7 and Ann Lee"


def test_json_documents_at_any_depth() -> None:
    assert SCRUB({"ann@example.test": [{"name": "Ann", "n": 3}], "to": None}) == {
        "erased-user-7@erased.invalid": [{"name": "Former user 7", "n": 3}], "to": None}


def test_identifiers_lose_only_the_email() -> None:
    qa = Scrub(email="qa@example.test", name="QA", new_email="erased-user-9@erased.invalid", new_name="Former user 9")
    assert qa.identifier("QA-1") == "QA-1"
    assert qa.identifier("user:qa@example.test") == "user:erased-user-9@erased.invalid"
    assert qa("QA found it in QA-1") == "Former user 9 found it in QA-1"  # an issue key in text stays
