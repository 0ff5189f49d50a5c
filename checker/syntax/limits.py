"""Limits on a parse tree, checked before the AST is built: how deeply it nests, how large its
numbers are. Everything after the parser (the AST builder, sema, the interpreter, the Z3
encoding, the renderers) recurses over expressions, so a tree within these limits is one every
stage can walk, and a number within them one every stage can compute with and print."""

from __future__ import annotations

from lark import Token, Tree

from checker.diagnostics import Diagnostic
from checker.syntax import ast as A

# Levels of a declaration's parse tree (statements and expressions together).
MAX_DEPTH = 200
# Bits of any number the text writes, or sema folds from numbers; the widest type is bits(1024).
MAX_LITERAL_BITS = 4096
# 2**4096 has 1234 decimal digits: a longer decimal number is too large without converting it.
_MAX_DECIMAL_DIGITS = 1234

_EXPRESSION_RULES = frozenset(
    {
        "quantifier",
        "binders",
        "binder",
        "cond_expr",
        "implies_expr",
        "or_expr",
        "and_expr",
        "cmp_expr",
        "bin_or",
        "bin_xor",
        "bin_and",
        "shift_expr",
        "add_expr",
        "mul_expr",
        "unary_expr",
        "index_expr",
        "slice_expr",
        "field_expr",
        "with_expr",
        "int_lit",
        "true_lit",
        "false_lit",
        "name_expr",
        "primed_expr",
        "call_expr",
        "construct_expr",
        "args",
        "field_inits",
        "field_init",
    }
)


def literal_problem(text: str) -> str | None:
    """Why an INT token is not a number a spec may write, or None: the AST builder converts it."""
    s = text.replace("_", "")
    if s[:2].lower() in ("0x", "0b"):
        if len(s) == 2:
            return f"'{text}' has no digits"
        value = int(s, 0)
    elif s[0] == "0" and s.strip("0"):
        return f"number '{text}' starts with 0 (there are no octal numbers; write it without the leading zeros)"
    elif len(s) > _MAX_DECIMAL_DIGITS:
        return f"number too large (more than {MAX_LITERAL_BITS} bits)"
    else:
        value = int(s)
    if value.bit_length() > MAX_LITERAL_BITS:
        return f"number too large (more than {MAX_LITERAL_BITS} bits)"
    return None


def _span(path: str, node: Tree[Token] | Token) -> A.Span:
    if isinstance(node, Token):
        return A.Span(path, node.line or 0, node.column or 0, node.end_line or 0, node.end_column or 0)
    meta = node.meta
    if getattr(meta, "empty", True):
        return A.Span(path, 0, 0, 0, 0)
    return A.Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


def _too_deep(path: str, node: Tree[Token]) -> Diagnostic:
    what = "expression" if node.data in _EXPRESSION_RULES else "statement"
    return Diagnostic(f"{what} nested too deeply (more than {MAX_DEPTH} levels)", _span(path, node))


def check_tree(tree: Tree[Token], path: str) -> list[Diagnostic]:
    """Every number that is not one a spec may write, and each declaration's first place that
    nests deeper than MAX_DEPTH. A level is a node inside the declaration with a node inside it
    (`!x` is one level, `!!x` two). Iterative: the tree may be any depth."""
    errors: list[Diagnostic] = []
    for decl in tree.children:
        deep = False
        todo: list[tuple[Tree[Token] | Token, int]] = [(decl, -1)]
        while todo:
            node, depth = todo.pop()
            if isinstance(node, Token):
                if node.type == "INT":
                    problem = literal_problem(str(node))
                    if problem is not None:
                        errors.append(Diagnostic(problem, _span(path, node)))
                continue
            if any(isinstance(child, Tree) for child in node.children):
                depth += 1
            if depth > MAX_DEPTH and not deep:
                deep = True
                errors.append(_too_deep(path, node))
            todo.extend((child, depth) for child in reversed(node.children))
    return errors
