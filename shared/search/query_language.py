"""The query language of `q`: parsed here into a small tree, then built into an ES bool query.

Grammar (docs/query-language.md documents it for users, with examples a test runs):

    query    := or_expr
    or_expr  := and_expr (("OR" | "|") and_expr)*
    and_expr := unary (["AND" | "+"] unary)*          words side by side: all of them
    unary    := ("-" | "NOT") unary | atom
    atom     := "(" or_expr ")" | '"' phrase '"' | word | word"*"

The parser never fails on syntax: an unclosed quote or parenthesis ends at the end of the
query, a stray `)` or an operator with nothing to apply to is ignored, and `\\` makes the
next character a plain one. Only size is refused (QueryTooComplex): too many words, too many
prefixes, too deep a nesting, so that no query a client can build costs much more than a
plain one. Lower-case `or`, `and`, `not` are ordinary words.

Why our own parser rather than `simple_query_string`: that one reads `OR` as a word (only
`|` is OR), and expands a prefix over every term of every field it searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Bounds of one query: each word is one clause per searched field; a prefix expands to at
# most PREFIX_EXPANSIONS terms per field, and only on the language-neutral fields.
MAX_TERMS = 24
MAX_PREFIXES = 2
MIN_PREFIX_CHARS = 3
PREFIX_EXPANSIONS = 10
MAX_DEPTH = 8
# Highlighting walks the query once per field and hit: it marks the first few words only.
HIGHLIGHTED_TERMS = 8


class QueryTooComplex(ValueError):
    """A query beyond the bounds above; the message says which and what to do."""


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Prefix:
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Word | Prefix | Phrase | Not | And | Or

# Token kinds: ("word", text, prefix?), ("phrase", text), ("(",), (")",), ("or",), ("and",),
# ("not",).
Token = tuple[Any, ...]
_BREAKS = set('()"|')


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace() or not char.isprintable():
            i += 1
        elif char in "()":
            tokens.append((char,))
            i += 1
        elif char == "|":
            tokens.append(("or",))
            i += 1
        elif char in "+-":
            # Operators at the start of a word only: "e-mail" and "C++" stay words, and a
            # dash between spaces ("Putin - Trump") is punctuation.
            if i + 1 < n and not text[i + 1].isspace():
                tokens.append(("and",) if char == "+" else ("not",))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            phrase = " ".join(text[i + 1 : end].split())
            if phrase:
                tokens.append(("phrase", phrase))
            i = end + 1
        else:
            chars: list[str] = []
            while i < n and not text[i].isspace() and text[i] not in _BREAKS:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            word = "".join(chars)
            if word in ("OR", "AND", "NOT"):
                tokens.append((word.lower(),))
            elif word.endswith("*"):
                stem = word.rstrip("*")
                if any(c.isalnum() for c in stem):
                    tokens.append(("word", stem, True))
            elif any(c.isalnum() for c in word):  # "&" or ":" alone would match nothing
                tokens.append(("word", word, False))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def query(self) -> Node | None:
        node = self.or_expr()
        # A stray `)` at the top ends nothing: skip it and go on as if it were a space.
        while self.peek() == ")":
            self.take()
            more = self.or_expr()
            node = _join(And, [node, more])
        return node

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_expr())
        return _join(Or, parts)

    def and_expr(self) -> Node | None:
        parts: list[Node | None] = []
        while self.peek() not in (None, ")", "or"):
            if self.peek() == "and":
                self.take()
                continue
            parts.append(self.unary())
        return _join(And, parts)

    def unary(self) -> Node | None:
        negations = 0
        while self.peek() == "not":  # a loop, not recursion: "-" * 999 is a valid query
            self.take()
            negations += 1
        if negations and self.peek() in (None, ")", "or", "and"):
            return None  # a `-` with nothing after it
        node = self.atom()
        return Not(node) if node is not None and negations % 2 else node

    def atom(self) -> Node | None:
        token = self.take()
        kind = token[0]
        if kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryTooComplex(f"parentheses nest deeper than {MAX_DEPTH} levels")
            node = self.or_expr()
            if self.peek() == ")":
                self.take()
            self.depth -= 1
            return node
        if kind == "phrase":
            return Phrase(token[1])
        if kind == "word":
            text, prefix = token[1], token[2]
            if prefix and len(text) >= MIN_PREFIX_CHARS:
                return Prefix(text)
            return Word(text)
        return None


def _join(kind: type[And] | type[Or], parts: list[Node | None]) -> Node | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    flat: list[Node] = []
    for part in kept:
        flat.extend(part.children if isinstance(part, kind) else [part])
    return kind(tuple(flat))


def _leaves(node: Node) -> list[Word | Prefix | Phrase]:
    if isinstance(node, Word | Prefix | Phrase):
        return [node]
    if isinstance(node, Not):
        return _leaves(node.child)
    return [leaf for child in node.children for leaf in _leaves(child)]


def highlight_terms(node: Node) -> Node | None:
    """The words, phrases and prefixes to mark in highlights: the first HIGHLIGHTED_TERMS
    that are not excluded, as one OR."""
    found: list[Node] = []

    def walk(current: Node) -> None:
        if isinstance(current, Not) or len(found) == HIGHLIGHTED_TERMS:
            return
        if isinstance(current, Word | Prefix | Phrase):
            found.append(current)
            return
        for child in current.children:
            walk(child)

    walk(node)
    return _join(Or, list(found))


def without_prefixes(marked: Node) -> Node | None:
    """The words and phrases of `highlight_terms`' answer, its prefixes left out."""
    leaves = marked.children if isinstance(marked, Or) else (marked,)
    return _join(Or, [leaf for leaf in leaves if not isinstance(leaf, Prefix)])


def parse(text: str) -> Node | None:
    """The tree of `text`, None when it holds no word; QueryTooComplex beyond the bounds."""
    node = _Parser(tokenize(text)).query()
    if node is None:
        return None
    leaves = _leaves(node)
    words = sum(len(leaf.text.split()) for leaf in leaves)
    if words > MAX_TERMS:
        raise QueryTooComplex(f"at most {MAX_TERMS} words per query ({words} given)")
    prefixes = sum(isinstance(leaf, Prefix) for leaf in leaves)
    if prefixes > MAX_PREFIXES:
        raise QueryTooComplex(f"at most {MAX_PREFIXES} prefix* terms per query ({prefixes} given)")
    return node


def to_elasticsearch(node: Node, fields: list[str], prefix_fields: list[str]) -> dict[str, Any]:
    """The bool query of a tree: words and phrases on `fields`, prefixes on `prefix_fields`."""
    if isinstance(node, Word):
        # Every token of the word in one field ("e-mail": e and mail), the best field counts.
        return {
            "multi_match": {
                "query": node.text,
                "fields": fields,
                "type": "best_fields",
                "operator": "and",
            }
        }
    if isinstance(node, Phrase):
        return {"multi_match": {"query": node.text, "fields": fields, "type": "phrase"}}
    if isinstance(node, Prefix):
        # One word as phrase_prefix: a prefix query capped at PREFIX_EXPANSIONS terms.
        return {
            "multi_match": {
                "query": node.text,
                "fields": prefix_fields,
                "type": "phrase_prefix",
                "max_expansions": PREFIX_EXPANSIONS,
            }
        }
    if isinstance(node, Not):
        return {"bool": {"must_not": [to_elasticsearch(node.child, fields, prefix_fields)]}}
    if isinstance(node, Or):
        should = [to_elasticsearch(c, fields, prefix_fields) for c in node.children]
        return {"bool": {"should": should, "minimum_should_match": 1}}
    must = [
        to_elasticsearch(c, fields, prefix_fields) for c in node.children if not isinstance(c, Not)
    ]
    must_not = [
        to_elasticsearch(c.child, fields, prefix_fields)
        for c in node.children
        if isinstance(c, Not)
    ]
    clause: dict[str, Any] = {"must": must or [{"match_all": {}}]}
    if must_not:
        clause["must_not"] = must_not
    return {"bool": clause}
