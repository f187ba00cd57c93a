"""Text search (`~`, `!~`) for compile.py: PostgreSQL tsvector/tsquery and SQLite FTS5.

User text is never spliced into a query language as written: it is cut into word tokens
(letters, digits, underscore), each then quoted in the engine's own syntax, so no input can
break the tsquery or MATCH syntax. Kept: quoted phrases ("\"a b\""), prefixes (log*), English
stemming (both engines stem the query words the way they stem the documents). Every word
must match (Jira's default since 2017).

Comments restricted to a project role match only for readers who may see them (that role's
members in the issue's project, organization administrators); a search without a reader sees
unrestricted comments only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, false, func, literal_column, or_, select, table, union
from sqlalchemy.sql.elements import ColumnElement

from tessera.db.row_security import TEXT_MATCH_FUNCTIONS
from tessera.issues.audience import comments_visible_to
from tessera.issues.comments.models import Comment
from tessera.issues.models import Issue

MAX_TERMS = 32
_CHUNKS = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = frozenset({"AND", "OR", "NOT", "&&", "||"})


@dataclass(frozen=True)
class CommentReader:
    """Who is searching, for comment visibility: `sees_all` for organization administrators.
    `known_hits` maps a `~` text to the ids of the issues with a comment matching it that this
    reader may see, where the search looked them up before compiling (see commented_issue_ids)."""

    user_id: int | None
    sees_all: bool = False
    known_hits: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TextTerm:
    words: tuple[str, ...]  # several words: an exact phrase
    prefix: bool = False


def text_terms(text: str) -> list[TextTerm]:
    terms: list[TextTerm] = []
    for phrase, word in _CHUNKS.findall(text):
        chunk = phrase if phrase else word
        if not phrase and chunk in _OPERATORS:
            continue
        words = tuple(w.lower() for w in _WORD.findall(chunk))
        if words:
            terms.append(TextTerm(words, prefix=chunk.rstrip().endswith("*")))
        if len(terms) >= MAX_TERMS:
            break
    return terms


def _pg_query(terms: list[TextTerm], weight: str) -> str:
    parts = []
    for term in terms:
        lexemes = [f"'{word}':{weight}" if weight else f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] = f"'{term.words[-1]}':*{weight}"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def _fts_query(terms: list[TextTerm], columns: str | None) -> str:
    parts = ['"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms]
    body = " AND ".join(parts)
    return f"{{{columns}}} : ({body})" if columns else body


def _pg_matching_ids(table_name: str, organization_id: int, terms: list[TextTerm], weight: str = ""):  # type: ignore[no-untyped-def]
    """SELECT of the ids of `table_name`'s rows of the organization whose search_vector matches.
    Through a function (tessera.db.row_security.TEXT_MATCH_FUNCTIONS), not `search_vector @@ q`
    in the statement: under row-level security the latter could not use the GIN index."""
    function = getattr(func, TEXT_MATCH_FUNCTIONS[table_name])
    return select(function(organization_id, func.to_tsquery("english", _pg_query(terms, weight))))


def _pg_issue_matches(organization_id: int, terms: list[TextTerm], weight: str = "") -> ColumnElement[bool]:
    return Issue.id.in_(_pg_matching_ids("issues", organization_id, terms, weight))


_ISSUES_FTS = table("issues_fts")
# Made once: an alias proxies every column of the table, which costs more than the rest of
# building a search's statements.
_COMMENTED_ISSUES = Issue.__table__.alias("commented_issues")
_COMMENTS_FTS = table("comments_fts")


def _fts_issue_ids(query: str):  # type: ignore[no-untyped-def]
    return select(literal_column("issues_fts.rowid")).select_from(_ISSUES_FTS).where(
        literal_column("issues_fts").op("MATCH")(query))


def _comment_condition(organization_id: int, terms: list[TextTerm], dialect: str):  # type: ignore[no-untyped-def]
    if dialect == "postgresql":
        return Comment.id.in_(_pg_matching_ids("comments", organization_id, terms))
    return Comment.id.in_(select(literal_column("comments_fts.rowid")).select_from(_COMMENTS_FTS).where(
        literal_column("comments_fts").op("MATCH")(_fts_query(terms, None))))


def _visible(reader: CommentReader | None, project_id):  # type: ignore[no-untyped-def]
    return comments_visible_to(user_id=reader.user_id if reader else None,
                               sees_all=reader.sees_all if reader else False, project_id=project_id)


def _comment_match(organization_id: int, terms: list[TextTerm], dialect: str, reader: CommentReader | None
                   ) -> ColumnElement[bool]:
    return exists().where(Comment.organization_id == organization_id, Comment.issue_id == Issue.id,
                          _comment_condition(organization_id, terms, dialect), _visible(reader, Issue.project_id))


def commented_issue_ids(organization_id: int, text: str, dialect: str, reader: CommentReader | None):  # type: ignore[no-untyped-def]
    """SELECT of the ids of issues with a comment matching `text` that the reader may see,
    uncorrelated to any search (None when the text has no words)."""
    terms = text_terms(text)
    if not terms:
        return None
    owner = _COMMENTED_ISSUES
    return select(Comment.issue_id).join(owner, owner.c.id == Comment.issue_id).where(
        Comment.organization_id == organization_id, _comment_condition(organization_id, terms, dialect),
        _visible(reader, owner.c.project_id))


def text_match(kind: str, text: str, *, organization_id: int, dialect: str, reader: CommentReader | None = None
               ) -> ColumnElement[bool]:
    """`kind` is summary, description, comment or text (summary, description and comments).

    `text ~` is one set of issue ids (issues matching themselves, united with issues whose
    comments match), so each side is answered by its own full-text index; an OR of the issue
    match with a correlated comment probe would read every issue of the organization."""
    terms = text_terms(text)
    if not terms:
        return false()
    known = reader.known_hits.get(text) if reader is not None else None
    if kind == "comment":
        if known is not None:
            return Issue.id.in_(known) if known else false()
        return _comment_match(organization_id, terms, dialect, reader)
    if kind == "text":
        if known is not None:  # the comment side is a short list: one bitmap OR with the text index
            own = (_pg_issue_matches(organization_id, terms) if dialect == "postgresql"
                   else Issue.id.in_(_fts_issue_ids(_fts_query(terms, None))))
            return or_(own, Issue.id.in_(known)) if known else own
        own = (_pg_matching_ids("issues", organization_id, terms) if dialect == "postgresql"
               else _fts_issue_ids(_fts_query(terms, None)))
        return Issue.id.in_(union(own, commented_issue_ids(organization_id, text, dialect, reader)))
    if dialect == "postgresql":
        weight = {"summary": "A", "description": "B"}.get(kind, "")
        return _pg_issue_matches(organization_id, terms, weight)
    columns = {"summary": "summary", "description": "description"}.get(kind)
    return Issue.id.in_(_fts_issue_ids(_fts_query(terms, columns)))


def plain_text_match(column, text: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Custom text fields have no full-text index: every word as a case-insensitive substring."""
    terms = text_terms(text)
    if not terms:
        return false()
    conditions = []
    for term in terms:
        needle = " ".join(term.words).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(column).like(f"%{needle}%", escape="\\"))
    return and_(*conditions)
