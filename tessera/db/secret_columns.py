"""Re-encrypting a column of stored secrets (webhook signing secrets, Slack webhook URLs) under the
server's current key (`tessera rotate-secrets`), after the operator moved the old key into
TESSERA_PREVIOUS_SECRET_KEYS. Every organization's, in batches, each batch its own transaction;
safe to run again (a current one is left alone)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from tessera.crypto.secret_box import SecretBox, UnreadableSecret
from tessera.db.engine import Database

BATCH = 500


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    # Secrets no key of the server decrypts: left as they are (their webhooks cannot sign).
    unreadable: int = 0


async def rotate_secret_column(database: Database, box: SecretBox, id_column: InstrumentedAttribute,
                               secret_column: InstrumentedAttribute) -> RotationReport:
    """`id_column` and `secret_column`: the model's primary key and encrypted column."""
    report = RotationReport()
    after = 0
    while True:
        async with database.unit_of_work() as session:
            rows = (await session.execute(select(id_column, secret_column).where(id_column > after)
                                          .order_by(id_column).limit(BATCH))).all()
            for row_id, encrypted in rows:
                if box.is_current(encrypted):
                    report.current += 1
                    continue
                try:
                    rotated = box.rotate(encrypted)
                except UnreadableSecret:
                    report.unreadable += 1
                    continue
                # Compare-and-set on the old value: a secret changed meanwhile is already current.
                await session.execute(update(id_column.class_).where(id_column == row_id, secret_column == encrypted)
                                      .values({secret_column: rotated}).execution_options(synchronize_session=False))
                report.rotated += 1
        if len(rows) < BATCH:
            return report
        after = rows[-1][0]
