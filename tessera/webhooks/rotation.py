"""Re-encrypting stored webhook secrets under the server's current key (`tessera rotate-secrets`),
after the operator moved the old key into TESSERA_PREVIOUS_SECRET_KEYS. Every organization's,
in batches, each batch its own transaction; safe to run again (a current one is left alone)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from tessera.crypto.secret_box import SecretBox, UnreadableSecret
from tessera.db.engine import Database
from tessera.webhooks.models import Webhook

BATCH = 500


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    # Secrets no key of the server decrypts: left as they are (their webhooks cannot sign).
    unreadable: int = 0


async def rotate_webhook_secrets(database: Database, box: SecretBox) -> RotationReport:
    report = RotationReport()
    after = 0
    while True:
        async with database.unit_of_work() as session:
            rows = (await session.execute(select(Webhook.id, Webhook.secret_encrypted).where(Webhook.id > after)
                                          .order_by(Webhook.id).limit(BATCH))).all()
            for webhook_id, encrypted in rows:
                if box.is_current(encrypted):
                    report.current += 1
                    continue
                try:
                    rotated = box.rotate(encrypted)
                except UnreadableSecret:
                    report.unreadable += 1
                    continue
                # Compare-and-set on the old value: a secret changed meanwhile is already current.
                await session.execute(update(Webhook).where(Webhook.id == webhook_id,
                                                            Webhook.secret_encrypted == encrypted)
                                      .values(secret_encrypted=rotated).execution_options(synchronize_session=False))
                report.rotated += 1
        if len(rows) < BATCH:
            return report
        after = rows[-1][0]
