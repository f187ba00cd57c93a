"""Text → AST. Every syntax error says what was expected, what was found, and where, in the
words Jira users know ("Expecting operator but got 'foo' (line 1, column 14)").

Size limits are checked on the parse tree before anything else sees it, because everything after
the parser (the transformer, validation, SQLAlchemy's compiler, the databases' own parsers) walks
the query recursively: at most MAX_QUERY_LENGTH characters, MAX_CLAUSES clauses and MAX_NESTING
levels of parentheses, NOT, value lists and function calls. Both databases run queries at these
limits (tests/jql/test_compile.py); beyond them the error names the limit and where it was passed.
Long AND/OR chains stay flat here (one n-ary node), and compile.py groups them so that no chain
nests deeply in SQL either."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from tessera.errors import InvalidInput
from tessera.jql import ast

MAX_QUERY_LENGTH = 20_000
MAX_CLAUSES = 500
MAX_NESTING = 20
_CLAUSES = frozenset({"compare", "is_empty", "in_list", "was", "changed"})
# Each of these opens one level: a parenthesized group (kept as `not_expr` with its parentheses),
# NOT, a value list and a function call.
_NESTING = frozenset({"not_expr", "negation", "value_list", "function"})

_EXPECTED = {
    "COMPARE_OP": "operator", "IS": "operator", "IN": "operator", "NOT": "operator", "WAS": "operator",
    "CHANGED": "operator", "WORD": "value", "STRING": "value", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "AND": "AND", "OR": "OR", "ORDER": "ORDER BY", "BY": "BY", "EMPTY": "EMPTY", "NULL": "NULL",
    "DIRECTION": "ASC or DESC", "PREDICATE_KW": "a history predicate", "CF": "field", "$END": "end of query",
}


class JqlSyntaxError(InvalidInput):
    code = "jql_syntax"

    def __init__(self, message: str, *, line: int, column: int) -> None:
        super().__init__(f"Error in the JQL Query: {message} (line {line}, column {column})", field="jql",
                         data={"line": line, "column": column})
        self.line = line
        self.column = column


def _pos(token: Token | Tree) -> ast.Position:
    meta = token if isinstance(token, Token) else token.meta
    return ast.Position(getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1)


def unquote(text: str) -> str:
    body = text[1:-1]
    out, escaped = [], False
    for ch in body:
        if escaped:
            out.append({"n": "\n", "t": "\t"}.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def _text(token: Token) -> tuple[str, bool]:
    if token.type == "STRING":
        return unquote(str(token)), True
    return str(token), False


@v_args(meta=True)
class _ToAst(Transformer):
    def field(self, meta, children):  # type: ignore[no-untyped-def]
        token = children[0]
        if token.type == "CF":
            return ast.FieldRef(name=str(token), pos=_pos(token), cf_id=int(str(token)[3:-1]))
        name, _ = _text(token)
        return ast.FieldRef(name=name, pos=_pos(token))

    def value(self, meta, children):  # type: ignore[no-untyped-def]
        text, quoted = _text(children[0])
        return ast.Literal(text=text, pos=_pos(children[0]), quoted=quoted)

    def empty(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Empty(pos=_pos(children[0]))

    def argument(self, meta, children):  # type: ignore[no-untyped-def]
        if isinstance(children[0], ast.FunctionCall):  # updatedBy(currentUser(), startOfWeek())
            return children[0]
        return _text(children[0])[0]

    def function(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        args = tuple(c for c in children[1:]
                     if isinstance(c, ast.FunctionCall) or (isinstance(c, str) and not isinstance(c, Token)))
        return ast.FunctionCall(name=str(name), args=args, pos=_pos(name))

    def operand(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    def value_list(self, meta, children):  # type: ignore[no-untyped-def]
        items = tuple(c for c in children if not isinstance(c, Token))
        return ast.ValueList(items=items, pos=_pos(children[0]))

    def compare(self, meta, children):  # type: ignore[no-untyped-def]
        field, op, operand = children
        return ast.Compare(field=field, op=str(op), operand=operand, pos=field.pos)

    def is_empty(self, meta, children):  # type: ignore[no-untyped-def]
        field = children[0]
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        return ast.IsEmpty(field=field, negated=negated, pos=field.pos)

    def in_list(self, meta, children):  # type: ignore[no-untyped-def]
        field, operand = children[0], children[-1]
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        return ast.InList(field=field, negated=negated, operand=operand, pos=field.pos)

    def predicate(self, meta, children):  # type: ignore[no-untyped-def]
        keyword, operand = children
        return ast.HistoryPredicate(kind=str(keyword).lower(), operand=operand, pos=_pos(keyword))

    def was(self, meta, children):  # type: ignore[no-untyped-def]
        field = children[0]
        tokens = [c for c in children if isinstance(c, Token)]
        operand = next(c for c in children[1:] if not isinstance(c, Token | ast.HistoryPredicate))
        predicates = tuple(c for c in children if isinstance(c, ast.HistoryPredicate))
        return ast.Was(field=field, negated=any(t.type == "NOT" for t in tokens),
                       in_list=any(t.type == "IN" for t in tokens), operand=operand, predicates=predicates,
                       pos=field.pos)

    def changed(self, meta, children):  # type: ignore[no-untyped-def]
        field = children[0]
        return ast.Changed(field=field, predicates=tuple(c for c in children[1:] if isinstance(c, ast.HistoryPredicate)),
                           pos=field.pos)

    def negation(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Not(item=children[-1], pos=_pos(children[0]))

    def or_expr(self, meta, children):  # type: ignore[no-untyped-def]
        items = tuple(c for c in children if not isinstance(c, Token))
        return ast.Or(items=items, pos=_node_pos(items[0]))

    def and_expr(self, meta, children):  # type: ignore[no-untyped-def]
        items = tuple(c for c in children if not isinstance(c, Token))
        return ast.And(items=items, pos=_node_pos(items[0]))

    def not_expr(self, meta, children):  # type: ignore[no-untyped-def]
        # Parentheses: keep the inner expression.
        return next(c for c in children if not isinstance(c, Token))

    def sort_key(self, meta, children):  # type: ignore[no-untyped-def]
        field = children[0]
        direction = next((str(c).lower() for c in children[1:] if isinstance(c, Token)), None)
        return ast.SortKey(field=field, descending=None if direction is None else direction == "desc", pos=field.pos)

    def order_by(self, meta, children):  # type: ignore[no-untyped-def]
        return tuple(c for c in children if isinstance(c, ast.SortKey))

    def start(self, meta, children):  # type: ignore[no-untyped-def]
        where = next((c for c in children if not isinstance(c, tuple)), None)
        order = next((c for c in children if isinstance(c, tuple)), ())
        return ast.Query(where=where, order_by=order)


def _node_pos(node: object) -> ast.Position:
    return getattr(node, "pos", ast.Position(1, 1))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "the end of the query"
    return f"'{str(token)[:60]}'"


def _syntax_error(error: UnexpectedInput, text: str) -> JqlSyntaxError:
    line, column = getattr(error, "line", 1) or 1, getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedCharacters):
        fragment = text[error.pos_in_stream:error.pos_in_stream + 40]
        if fragment[:1] in "\"'":
            return JqlSyntaxError(f"The quoted string {fragment[:30]} has not been completed.", line=line,
                                  column=column)
        return JqlSyntaxError(f"The character '{fragment[:1]}' is not allowed here.", line=line, column=column)
    raw = set(getattr(error, "expected", set()))
    # LALR states overlap, so name the one thing a person would add here, as Jira does.
    if raw & {"COMPARE_OP", "IS", "WAS", "CHANGED"}:
        wanted = "operator"
    elif "CF" in raw:
        wanted = "a field name"
    elif raw & {"AND", "OR"}:
        wanted = "either 'OR' or 'AND'"
    elif raw & {"WORD", "STRING"}:
        wanted = "a value"
    else:
        wanted = " or ".join(sorted(_EXPECTED.get(name, name.lower()) for name in raw)) or "something else"
    if isinstance(error, UnexpectedEOF):
        return JqlSyntaxError(f"Expecting {wanted} but reached the end of the query.", line=line, column=column)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    if token.type == "$END":
        line = text.count("\n") + 1
        column = len(text.rsplit("\n", 1)[-1]) + 1
    return JqlSyntaxError(f"Expecting {wanted} but got {_describe(token)}.", line=line, column=column)


def _position_of(text: str, index: int) -> dict[str, int]:
    before = text[:index]
    return {"line": before.count("\n") + 1, "column": len(before.rsplit("\n", 1)[-1]) + 1}


def _tree_position(tree: Tree) -> dict[str, int]:
    return {"line": getattr(tree.meta, "line", 1) or 1, "column": getattr(tree.meta, "column", 1) or 1}


def validate_size(tree: Tree) -> None:
    """Refuses a parse tree with more than MAX_CLAUSES clauses or more than MAX_NESTING levels,
    naming the first place in reading order where a limit is passed. Walks with its own stack:
    the tree may be far deeper than Python's recursion allows."""
    clauses = 0
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, level = stack.pop()
        if node.data in _NESTING:
            level += 1
            if level > MAX_NESTING:
                raise JqlSyntaxError(f"The query nests parentheses, NOT, lists and functions deeper than the "
                                     f"limit of {MAX_NESTING} levels.", **_tree_position(node))
        if node.data in _CLAUSES:
            clauses += 1
            if clauses > MAX_CLAUSES:
                raise JqlSyntaxError(f"The query has more than the limit of {MAX_CLAUSES} clauses.",
                                     **_tree_position(node))
        stack.extend((child, level) for child in reversed(node.children) if isinstance(child, Tree))


def parse(text: str) -> ast.Query:
    """An empty query means every issue the caller may browse. The tree is immutable, so a
    query asked again (a client paging, a dashboard refreshing) reuses the one parsed before:
    parsing costs as much as the rest of a small search's Python."""
    return _parse(text)


@lru_cache(maxsize=512)
def _parse(text: str) -> ast.Query:
    if len(text) > MAX_QUERY_LENGTH:
        raise JqlSyntaxError(f"The query is longer than the limit of {MAX_QUERY_LENGTH} characters.",
                             **_position_of(text, MAX_QUERY_LENGTH))
    if "\x00" in text:
        raise JqlSyntaxError("The query contains a NUL character.", **_position_of(text, text.index("\x00")))
    if not text.strip():
        return ast.Query(where=None)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    validate_size(tree)
    try:
        return _ToAst().transform(tree)
    except VisitError as error:  # pragma: no cover - a grammar/transformer mismatch
        raise JqlSyntaxError(f"Unsupported construct: {error.orig_exc}", line=1, column=1) from None
