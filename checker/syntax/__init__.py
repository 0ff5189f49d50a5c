"""Source text -> AST. The only package that imports lark."""

from checker.syntax.parser import parse, parse_file

__all__ = ["parse", "parse_file"]
