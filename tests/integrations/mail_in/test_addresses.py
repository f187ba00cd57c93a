"""Projects' addresses, reply addresses and notification threads."""

from __future__ import annotations

from tessera.config import Settings
from tessera.integrations.mail_in.addresses import (
    ProjectAddress,
    ThreadRef,
    parse_project_address,
    project_address,
    thread_refs,
)
from tessera.integrations.mail_in.replies import reply_address
from tessera.notifications.email.message import thread_id

SETTINGS = Settings(database_url="sqlite:///:memory:", base_url="https://tessera.acme.test",
                    mail_in_domain="Tickets.Acme.Test")


def test_a_projects_address_round_trips() -> None:
    assert project_address(SETTINGS, "ACME_EU", "WEB") == "acme_eu-web@tickets.acme.test"
    assert parse_project_address(SETTINGS, "ACME_EU-Web@TICKETS.acme.test") == ProjectAddress("ACME_EU", "WEB")
    assert parse_project_address(SETTINGS, "acme_eu-web+urgent@tickets.acme.test") == ProjectAddress("ACME_EU", "WEB")


def test_other_addresses_are_not_projects() -> None:
    for address in ("acme-web@elsewhere.test", "web@tickets.acme.test", "a-b-c@tickets.acme.test",
                    "acme-w@tickets.acme.test", "acme-web", "-web@tickets.acme.test"):
        assert parse_project_address(SETTINGS, address) is None, address


def test_the_domain_defaults_to_the_servers_host() -> None:
    settings = Settings(database_url="sqlite:///:memory:", base_url="https://tessera.acme.test")
    assert project_address(settings, "ACME", "WEB") == "acme-web@tessera.acme.test"


def test_thread_ids_of_notifications_name_their_issue() -> None:
    refs = ("<n2@tessera.acme.test>", thread_id(SETTINGS, 4, 77).upper(), "<issue-5-9@elsewhere.test>")
    assert thread_refs(SETTINGS, refs) == [ThreadRef(4, 77)]


def test_a_token_shaped_tag_is_a_reply_token_and_other_tags_are_ignored() -> None:
    address = reply_address(SETTINGS, organization_key="ACME", project_key="WEB", organization_id=3,
                            issue_id=90_000, user_id=12)
    assert address is not None and address.startswith("acme-web+") and address.endswith("@tickets.acme.test")
    token = address.partition("+")[2].partition("@")[0]
    assert parse_project_address(SETTINGS, address.upper()) == ProjectAddress("ACME", "WEB", token)
    for tag in ("urgent", "a" * 15, "abc1" * 5, "x" * 53):  # short, a digit base32 lacks, too long
        assert parse_project_address(SETTINGS, f"acme-web+{tag}@tickets.acme.test") == ProjectAddress("ACME", "WEB")


def test_a_reply_address_past_64_octets_is_not_made() -> None:
    long_org = "A" + "B" * 31
    assert reply_address(SETTINGS, organization_key=long_org, project_key="WEBSHOP", organization_id=3,
                         issue_id=5, user_id=6) is not None  # 32 + 1 + 7 + 1 + 16: fits
    assert reply_address(SETTINGS, organization_key=long_org, project_key="WEBSHOPABC", organization_id=3,
                         issue_id=2**40, user_id=2**40) is None
