"""`tessera rotate-secrets`: after the server key changes (the old one kept in
TESSERA_PREVIOUS_SECRET_KEYS), every stored webhook secret is re-encrypted under the new key,
and deliveries stay signed with the same secret."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from click.testing import CliRunner
from fastapi.testclient import TestClient

from tessera.cli.main import cli
from tessera.config import Settings
from tessera.crypto.secret_box import SecretBox
from tests.factories.receiver import Receiver
from tests.support import OrgHandle, fetch_rows
from tests.webhooks.conftest import create_issue, create_webhook, drain


def test_rotate_secrets_re_encrypts_under_the_new_key(wh_client: TestClient, wh_settings: Settings,
                                                      wh_org: OrgHandle, wh_project: dict,
                                                      receiver: Receiver) -> None:
    hook = create_webhook(wh_client, wh_org, receiver.url, secret="keep-me")
    url = wh_settings.database_url
    env = {"TESSERA_SECRET_KEY": "the-new-key", "TESSERA_PREVIOUS_SECRET_KEYS": wh_settings.secret_key}
    result = CliRunner().invoke(cli, ["rotate-secrets", "--database-url", url], env=env)
    assert result.exit_code == 0, result.output
    assert "re-encrypted" in result.output
    [row] = fetch_rows(url, "SELECT secret_encrypted FROM webhooks WHERE id = :id", {"id": hook["id"]})
    assert SecretBox("the-new-key").decrypt(row["secret_encrypted"]) == "keep-me"
    again = CliRunner().invoke(cli, ["rotate-secrets", "--database-url", url], env=env)
    assert again.exit_code == 0 and " 0 re-encrypted" in again.output
    # A worker on the new key alone still signs with the same secret.
    create_issue(wh_client, wh_org, wh_project)
    drain(replace(wh_settings, secret_key="the-new-key"))
    [request] = receiver.requests
    expected = "sha256=" + hmac.new(b"keep-me", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-tessera-signature"] == expected
    # Other webhooks in this database (earlier tests') were rotated too: the old key alone reads none of them.
    for (encrypted,) in [(r["secret_encrypted"],) for r in fetch_rows(url, "SELECT secret_encrypted FROM webhooks")]:
        assert SecretBox("the-new-key").is_current(encrypted)
    # Put the package's database back on the key the other tests use.
    back = CliRunner().invoke(cli, ["rotate-secrets", "--database-url", url],
                              env={"TESSERA_SECRET_KEY": wh_settings.secret_key,
                                   "TESSERA_PREVIOUS_SECRET_KEYS": "the-new-key"})
    assert back.exit_code == 0, back.output


def test_a_secret_no_key_reads_is_reported(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle) -> None:
    create_webhook(wh_client, wh_org, "https://receiver.example.test/x")
    result = CliRunner().invoke(cli, ["rotate-secrets", "--database-url", wh_settings.database_url],
                                env={"TESSERA_SECRET_KEY": "unrelated", "TESSERA_PREVIOUS_SECRET_KEYS": ""})
    assert result.exit_code == 1 and "unreadable" in result.output
