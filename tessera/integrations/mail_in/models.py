"""Email in's tables: a project's policy (absent row: mail in on, unknown senders rejected), and
one receipt per message acted on, so a message delivered twice (an SMTP retry, a mailbox read
again) acts once, and a customer's reply can be matched to the issue their mail created."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, TimestampMixin

UNKNOWN_SENDER_POLICIES = ("reject", "create", "customer")


class MailInPolicy(TenantMixin, TimestampMixin, Base):
    """`unknown_senders`: "reject"; "create": mail from an address that is no user of the
    organization creates the issue as `on_behalf_of_id` (an account of the project, a "support"
    user say), with the sender's address recorded on the issue and in the receipt; or
    "customer": the sender becomes a customer of the organization (tenancy.models.CUSTOMER_ROLE),
    who reports the issue and may reply to the issues they reported, while the policy stays so."""

    __tablename__ = "mail_in_policies"

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    unknown_senders: Mapped[str] = mapped_column(String(16), nullable=False, default="reject")
    on_behalf_of_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    issue_type: Mapped[str] = mapped_column(String(255), nullable=False, default="Task")


class MailInReceipt(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "mail_in_receipts"
    __table_args__ = (UniqueConstraint("organization_id", "message_id"),
                      Index("ix_mail_in_receipts_issue", "organization_id", "issue_id"))

    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    sender: Mapped[str] = mapped_column(String(320), nullable=False)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    comment_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"))
    # Whether the sender is no user: the issue was created, or the comment added, on someone's behalf.
    external: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
