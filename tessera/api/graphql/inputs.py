"""String literals written in the query text (`summary: "a\\u0000"`) are decoded by GraphQL's own
lexer, after the request body has been checked (tessera.inputs), so they are checked here, as
every edge checks its text: a NUL or an unpaired surrogate is refused before anything runs."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, SourceLocation
from graphql.language import TokenKind
from strawberry.extensions import SchemaExtension

from tessera.inputs.text import unstorable_character

_STRINGS = (TokenKind.STRING, TokenKind.BLOCK_STRING)


class StorableStrings(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        token = document.loc.start_token if document is not None and document.loc is not None else None
        while token is not None:  # the lexer's token list: no recursion however the query nests
            if token.kind in _STRINGS and token.value and (problem := unstorable_character(token.value)):
                where = SourceLocation(token.line, token.column)
                raise GraphQLError(f"A string in the query (line {where.line}, column {where.column}) holds "
                                   f"{problem}, which Tessera does not store.",
                                   extensions={"code": "BAD_INPUT", "reason": "invalid_text",
                                               "line": where.line, "column": where.column})
            token = token.next
        yield
