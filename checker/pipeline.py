"""Spec directory -> ir.System: the front end's stages in one place.

find the models -> parse the property files and group them by model -> resolve a model with its
overlay and properties (sema, into a model.Design) -> lower it (lower.py) into the frozen
ir.System every engine reads. The command line, the benchmarks and the tests all load through
here; with --debug each stage logs its counts and time (logger "gicheck.pipeline").
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from checker import ir
from checker import lower as lowering
from checker.diagnostics import SpecError
from checker.model import Design
from checker.sema import resolve
from checker.sema.overlay import Overlay
from checker.sema.resolve import ModelInfo
from checker.syntax.ast import SourceFile

log = logging.getLogger("gicheck.pipeline")


def find_models(spec: Path) -> dict[str, ModelInfo]:
    """Every model the spec directory declares (parses every spec file)."""
    t0 = time.perf_counter()
    models = resolve.find_models(spec)
    log.debug("parse: %d model(s) under %s in %.3fs", len(models), spec, time.perf_counter() - t0)
    return models


def group_properties(paths: list[Path], known: set[str] | None = None) -> dict[str, list[SourceFile]]:
    """Parse property files and group them by the model each one uses (one of `known`, if given)."""
    t0 = time.perf_counter()
    groups, errors = resolve.property_models(paths, known)
    if errors:
        raise SpecError(errors)
    log.debug("parse: %d property file(s) for %d model(s) in %.3fs", len(paths), len(groups), time.perf_counter() - t0)
    return groups


def load_design(
    spec: Path, model: str, *, property_files: list[SourceFile] | None = None, overlay: Overlay | None = None
) -> Design:
    """Resolve one model with its overlay and, unless property_files is None, those properties
    (an empty list still applies the overlay's property replacements)."""
    t0 = time.perf_counter()
    design = resolve.load_design(spec, model, overlay=overlay)
    log.debug(
        "resolve: model %s: %d state(s), %d register(s), %d system register(s) in %.3fs",
        model,
        len(design.states),
        len(design.registers),
        len(design.sysregs),
        time.perf_counter() - t0,
    )
    if property_files is not None:
        resolve_properties(design, property_files)
    return design


def resolve_properties(design: Design, files: list[SourceFile]) -> None:
    """Add the properties of parsed property files to a resolved design (with the overlay's
    property replacements, if it has an overlay)."""
    t0 = time.perf_counter()
    resolve.load_properties(design, files)
    log.debug(
        "resolve: model %s: %d propert(y/ies) from %d file(s) in %.3fs",
        design.model,
        len(design.properties),
        len(files),
        time.perf_counter() - t0,
    )


def lower(design: Design, vcpus: tuple[int, int] | None = None, params: dict[str, tuple[int, int]] | None = None) -> ir.System:
    """The design's transition system for `vcpus` (default: the model's own range), with the
    parameters narrowed to `params`."""
    t0 = time.perf_counter()
    system = lowering.lower(design, vcpus, params)
    log.debug(
        "lower: model %s: vCPUs %d..%d, %d action(s), %d state(s), %d propert(y/ies) in %.3fs",
        system.model,
        system.vcpus.lo,
        system.vcpus.hi,
        len(system.actions),
        len(system.states),
        len(system.properties),
        time.perf_counter() - t0,
    )
    return system


def load_system(
    spec: Path,
    model: str,
    *,
    property_files: list[SourceFile] | list[Path] | None = None,
    overlay: Overlay | None = None,
    vcpus: tuple[int, int] | None = None,
) -> ir.System:
    """A model of a spec directory, with its overlay and properties, as the system to check.

    property_files are parsed files, or paths of property files (those that use `model` are
    loaded; the others are ignored). To narrow parameters too, call load_design and then lower.
    """
    files: list[SourceFile] | None
    if property_files is not None and any(isinstance(f, Path) for f in property_files):
        files = group_properties([Path(f) for f in property_files]).get(model, [])  # type: ignore[arg-type]
    else:
        files = property_files  # type: ignore[assignment]
    return lower(load_design(spec, model, property_files=files, overlay=overlay), vcpus)
