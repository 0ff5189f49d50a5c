"""AST -> model.Design: imports, names, types; every error of every file is collected."""

from checker.sema.resolve import find_models, load_design, load_properties

__all__ = ["find_models", "load_design", "load_properties"]
