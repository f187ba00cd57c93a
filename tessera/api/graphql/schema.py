"""The schema, assembled from its parts: queries, mutations and subscriptions over the domain
types, with the error formatting and the query limits every operation goes through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from tessera.api.graphql.errors import ErrorCodes
from tessera.api.graphql.inputs import StorableStrings
from tessera.api.graphql.limits import QueryLimits
from tessera.api.graphql.mutations import Mutation
from tessera.api.graphql.queries import Query
from tessera.api.graphql.subscriptions import Subscription

MAX_TOKENS = 5_000  # parsing itself is bounded: a document this long is refused before it is parsed


class SubscriptionsOverWebSocket(SchemaExtension):
    """A subscription sent over plain HTTP would otherwise run as if it were a query."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and not getattr(context.context, "is_websocket",
                                                                                  False):
            raise GraphQLError("Subscriptions run over a WebSocket at /graphql (graphql-transport-ws); POST only "
                               "queries and mutations.", extensions={"code": "BAD_INPUT",
                                                                    "reason": "websocket_required"})
        yield


class TesseraSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (bad input, not found...) are answers, not incidents; ErrorCodes logs
        the unexpected ones."""


def build_schema(**options: Any) -> strawberry.Schema:
    return TesseraSchema(query=Query, mutation=Mutation, subscription=Subscription,
                         extensions=[lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS), SubscriptionsOverWebSocket,
                                     StorableStrings, QueryLimits, ErrorCodes],
                         config=StrawberryConfig(), **options)


schema = build_schema()
