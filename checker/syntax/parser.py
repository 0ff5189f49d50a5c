"""Parse gicheck source text into an AST (checker.syntax.ast); lark errors become diagnostics."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from checker.diagnostics import Diagnostic, SpecError
from checker.syntax import ast as A
from checker.syntax.build import Build
from checker.syntax.limits import check_tree

# Words for the grammar's terminals, so a parse error names what a user would type.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": 'a quoted path ("...")',
    "CMP_OP": "a comparison",
    "SHIFT_OP": "a shift",
    "ADD_OP": "'+' or '-'",
    "UNARY_OP": "'!', '~' or '-'",
    "QUANT": "'forall' or 'exists'",
    "ACCESS": "an access kind (read-write, read-only, write-only, raz/wi, rao/wi, w1s, w1c)",
    "SPLIT_ORDER": "'upper-first' or 'lower-first'",
    "HANDLER_KIND": "'write' or 'read'",
    "PRIME": "a prime (')",
    "$END": "end of file",
}

# Statements every declaration can start with, used to say "expected a declaration".
_DECL_KEYWORDS = {
    "IMPORT",
    "USE",
    "MODEL",
    "CONST",
    "TYPE",
    "LAYOUT",
    "STATE",
    "FN",
    "SYSREG",
    "ACTION",
    "PARAM",
    "FRAME",
    "PROPERTY",
    "INVARIANT",
    "FACT",
    "COVER",
    "OVERLAY",
    "REPLACE",
    "EXPECT",
    "RELATE",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("checker.syntax").joinpath("gicheck.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


@lru_cache(maxsize=1)
def _terminal_patterns() -> dict[str, str]:
    out: dict[str, str] = {}
    for term in _parser().terminals:
        pattern = term.pattern
        if pattern.type == "str":
            out[term.name] = f"'{pattern.value}'"
    return out


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    return _terminal_patterns().get(terminal, terminal.lower())


_STMT_KEYWORDS = {"LET", "VAR", "IF", "FOR", "BREAK", "CONTINUE", "RETURN"}
_EXPR_STARTS = {"INT", "NAME", "TRUE", "FALSE", "LPAR", "UNARY_OP", "QUANT"}
_BINARY_OP_TEXT = {"||", "&&", "->", "|", "^", "&", "*", "?", "[", ".", "with"}


def _binary_ops() -> set[str]:
    by_text = {v.strip("'"): k for k, v in _terminal_patterns().items()}
    return {"CMP_OP", "SHIFT_OP", "ADD_OP"} | {by_text[t] for t in _BINARY_OP_TEXT if t in by_text}


def _expected_words(expected: set[str]) -> str:
    """Name what may come next in a user's words: groups of tokens become 'a statement' etc."""
    expected = set(expected)
    words: list[str] = []
    if len(expected & _DECL_KEYWORDS) >= 5:
        words.append("a declaration (import, layout, state, fn, sysreg, action, property, ...)")
        expected -= _DECL_KEYWORDS
    if len(expected & _STMT_KEYWORDS) >= 5:
        words.append("a statement")
        expected -= _STMT_KEYWORDS | {"NAME"}
    if {"INT", "NAME", "LPAR"} <= expected:
        words.append("an expression")
        expected -= _EXPR_STARTS
    ops = _binary_ops()
    if len(expected & ops) >= 3:
        words.append("an operator")
        expected -= ops
    words += sorted({_describe(t) for t in expected})
    if len(words) == 1:
        return words[0]
    if len(words) > 8:
        return ", ".join(words[:8]) + ", ..."
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_words(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return f"'{token.value}'"


def _span_of(path: str, line: int, col: int, length: int = 1) -> A.Span:
    return A.Span(path, line, col, line, col + max(length, 1))


def _syntax_error(err: UnexpectedInput, path: str, text: str) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        token = err.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            span = _span_of(path, len(lines), len(lines[-1]) + 1)
        else:
            span = _span_of(path, token.line or 1, token.column or 1, len(str(token.value)))
        expected = set(err.expected)
        if err.interactive_parser is not None:
            try:
                expected = set(err.interactive_parser.accepts()) or expected  # type: ignore[no-untyped-call]  # exact, unlike LALR lookaheads
            except UnexpectedInput:
                pass
        return Diagnostic(f"expected {_expected_words(expected)}, found {_token_words(token)}", span)
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        char = text[pos] if pos < len(text) else "?"
        return Diagnostic(f"unexpected character '{char}'", _span_of(path, err.line, err.column))
    if isinstance(err, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return Diagnostic(
            f"unexpected end of file, expected {_expected_words(set(err.expected))}",
            _span_of(path, len(lines), len(lines[-1]) + 1),
        )
    return Diagnostic("syntax error", _span_of(path, 1, 1))  # pragma: no cover - lark has no other kind


_DECL_START = re.compile(
    r"^(import|use|model|const|type|layout|state|fn|sysreg|param|frame|action|property|invariant|fact|cover|overlay|replace|expect|relate)\b"
)


def _all_syntax_errors(text: str, path: str, first: Diagnostic) -> list[Diagnostic]:
    """Every declaration's first syntax error, not only the file's first.

    Recovery is by declaration: the file is cut before each line that starts (in column 1) with a
    declaration keyword, and each piece is parsed on its own, at its own line numbers.
    """
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _DECL_START.match(line)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    errors: list[Diagnostic] = []
    for a, b in zip(starts, [*starts[1:], len(lines)]):
        piece = "\n" * a + "".join(lines[a:b])
        try:
            _parser().parse(piece)
        except UnexpectedInput as err:
            d = _syntax_error(err, path, piece)
            if b < len(lines) and d.message.endswith("found end of file"):
                word = lines[b].split()[0]
                d = Diagnostic(d.message.replace("found end of file", f"found '{word}' (the next declaration)"), d.span)
            errors.append(d)
    return errors or [first]


def _attach_docs(decls: tuple[Any, ...], docs: list[Token]) -> tuple[Any, ...]:
    """A run of `///` lines documents the declaration that starts on the next line."""
    by_end: dict[int, list[str]] = {}
    run: list[str] = []
    last = -10
    for tok in docs:
        line = tok.line or 0
        if line != last + 1:
            run = []
        run.append(str(tok)[3:].strip())
        last = line
        by_end[line] = list(run)
    out = []
    for d in decls:
        text = by_end.get(d.span.line - 1)
        if isinstance(d, A.FrameDecl):
            d = replace(d, registers=_attach_docs(d.registers, docs))
        if isinstance(d, A.Replace) and text and hasattr(d.decl, "doc"):
            d = replace(d, decl=replace(d.decl, doc="\n".join(text)))  # type: ignore[type-var]
        if text and hasattr(d, "doc"):
            d = replace(d, doc="\n".join(text))
        out.append(d)
    return tuple(out)


def parse(text: str, path: str = "<input>") -> A.SourceFile:
    """Parse one file. Raises SpecError with a located diagnostic on a syntax error."""
    docs: list[Token] = []
    parser = _parser()
    try:
        tokens = list(parser.lex(text, dont_ignore=True))
        docs = [t for t in tokens if t.type == "DOC_COMMENT"]
        tree = parser.parse(text)
    except UnexpectedInput as err:
        raise SpecError(_all_syntax_errors(text, path, _syntax_error(err, path, text))) from None
    problems = check_tree(tree, path)
    if problems:
        raise SpecError(problems)
    decls = Build(path).transform(tree)
    if isinstance(decls, Tree):  # pragma: no cover - start always builds a tuple
        raise TypeError("parse produced a raw tree")
    return A.SourceFile(path, _attach_docs(decls, docs), A.Span(path, 1, 1, 1, 1))


def parse_file(path: Path | str) -> A.SourceFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError([Diagnostic(f"cannot read file: {err}", A.Span(str(p), 1, 1, 1, 1))]) from None
    return parse(text, str(p))
