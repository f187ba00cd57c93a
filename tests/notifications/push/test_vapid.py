"""VAPID keys: `tessera vapid-keys` prints a pair whose public key is the private key's own, in
the form browsers take (65-byte uncompressed point); a signer reuses its token per push service
origin until shortly before it expires."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tessera.cli.main import cli
from tessera.notifications.push.vapid import TOKEN_LIFETIME, VapidSigner, b64url_decode
from tests.notifications.push.receiver import verify_vapid


def test_the_cli_prints_a_matching_pair_in_both_forms() -> None:
    printed = CliRunner().invoke(cli, ["vapid-keys"])
    assert printed.exit_code == 0, printed.output
    env = dict(line.split("=", 1) for line in printed.output.splitlines())
    assert set(env) == {"TESSERA_VAPID_PRIVATE_KEY", "TESSERA_VAPID_PUBLIC_KEY", "TESSERA_VAPID_SUBJECT"}
    signer = VapidSigner(env["TESSERA_VAPID_PRIVATE_KEY"], "mailto:a@b.test")
    assert signer.public_key == env["TESSERA_VAPID_PUBLIC_KEY"]
    point = b64url_decode(env["TESSERA_VAPID_PUBLIC_KEY"])
    assert len(point) == 65 and point[0] == 4
    as_json = json.loads(CliRunner().invoke(cli, ["vapid-keys", "--json"]).output)
    assert as_json["private_key"] != env["TESSERA_VAPID_PRIVATE_KEY"]  # a new pair each time
    assert VapidSigner(as_json["private_key"], "mailto:a@b.test").public_key == as_json["public_key"]


def test_tokens_are_per_origin_and_renewed_before_they_expire() -> None:
    printed = json.loads(CliRunner().invoke(cli, ["vapid-keys", "--json"]).output)
    signer = VapidSigner(printed["private_key"], "mailto:ops@example.com")
    now = 1_800_000_000.0
    first = signer.authorization("https://fcm.googleapis.com/fcm/send/abc", now=now)
    assert signer.authorization("https://fcm.googleapis.com/fcm/send/other", now=now + 60) == first
    other = signer.authorization("https://updates.push.services.mozilla.com/wpush/v2/x", now=now)
    assert other != first
    claims = verify_vapid(first, public_key=printed["public_key"])
    assert claims == {"aud": "https://fcm.googleapis.com", "exp": int(now) + TOKEN_LIFETIME,
                      "sub": "mailto:ops@example.com"}
    assert signer.authorization("https://fcm.googleapis.com/x", now=now + TOKEN_LIFETIME - 60) != first
