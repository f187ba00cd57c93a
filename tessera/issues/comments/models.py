"""Comments on issues, the revisions of their bodies and the users they mention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, UTCDateTime, utcnow


class Comment(IdMixin, TenantMixin, Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_org_issue", "organization_id", "issue_id", "created_at"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("comments.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    visibility_role: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # A deleted comment that has replies stays as a tombstone (empty body) so its thread reads on.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CommentRevision(IdMixin, TenantMixin, Base):
    """One version of a comment's body. Written on the first edit for the original (revision 1)
    and the new text, then once per edit, so a comment never edited costs no row here."""

    __tablename__ = "comment_revisions"
    __table_args__ = (UniqueConstraint("organization_id", "comment_id", "revision"),)

    comment_id: Mapped[int] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    edited_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class CommentMention(TenantMixin, Base):
    __tablename__ = "comment_mentions"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "comment_id", "user_id"),
        Index("ix_comment_mentions_org_user", "organization_id", "user_id"),
    )

    comment_id: Mapped[int] = mapped_column(IdType, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
