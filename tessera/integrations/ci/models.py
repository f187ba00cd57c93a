"""Builds and deployments as CI servers last reported them, and the issues each one names.

One row per Jira key: (pipeline, build number) for a build, (pipeline, environment,
deployment sequence number) for a deployment. `update_sequence_number` orders the reports of
one key: a row changes only for a greater number (tessera.integrations.ci.storage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin, UTCDateTime


class CiBuild(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "ci_builds"
    __table_args__ = (UniqueConstraint("organization_id", "pipeline_id", "build_number"),)

    pipeline_id: Mapped[str] = mapped_column(String(255), nullable=False)
    build_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    update_sequence_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The keys as the CI server sent them (GET answers them back); links hold the resolved ones.
    issue_keys: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    test_info: Mapped[dict | None] = mapped_column(JsonType)
    references: Mapped[list | None] = mapped_column(JsonType)
    # Digests of the request's `properties` ("key=value"), never the values: bulkByProperties deletes.
    property_digests: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    provider: Mapped[str | None] = mapped_column(String(255))


class CiDeployment(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "ci_deployments"
    # Named by hand: the conventional name would pass PostgreSQL's 63 characters.
    __table_args__ = (UniqueConstraint("organization_id", "pipeline_id", "environment_id",
                                       "deployment_sequence_number", name="uq_ci_deployments_key"),)

    pipeline_id: Mapped[str] = mapped_column(String(255), nullable=False)
    pipeline_name: Mapped[str] = mapped_column(String(255), nullable=False)
    pipeline_url: Mapped[str] = mapped_column(String(2000), nullable=False)
    environment_id: Mapped[str] = mapped_column(String(255), nullable=False)
    environment_name: Mapped[str] = mapped_column(String(255), nullable=False)
    environment_type: Mapped[str] = mapped_column(String(16), nullable=False)
    deployment_sequence_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    update_sequence_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    label: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration: Mapped[int | None] = mapped_column(Integer)
    # `associations` as sent (issue keys, ids, services, commits), answered back by GET.
    associations: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    commands: Mapped[list | None] = mapped_column(JsonType)
    property_digests: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    provider: Mapped[str | None] = mapped_column(String(255))


class CiBuildIssue(TenantMixin, Base):
    __tablename__ = "ci_build_issues"
    __table_args__ = (Index("ix_ci_build_issues_issue", "organization_id", "issue_id"),)

    build_id: Mapped[int] = mapped_column(IdType, ForeignKey("ci_builds.id", ondelete="CASCADE"), primary_key=True)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)


class CiDeploymentIssue(TenantMixin, Base):
    __tablename__ = "ci_deployment_issues"
    __table_args__ = (Index("ix_ci_deployment_issues_issue", "organization_id", "issue_id"),)

    deployment_id: Mapped[int] = mapped_column(IdType, ForeignKey("ci_deployments.id", ondelete="CASCADE"),
                                               primary_key=True)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
