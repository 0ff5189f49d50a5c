"""Fixtures the test files share: the checkout, the shipped spec's systems, a spec tree writer,
the in-process command line, and the --regen-golden option. The plain functions stay in
helpers.py for module-level use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker import ir, pipeline
from checker.engines import Options, check_properties
from checker.results import PropertyResult
from checker.sema.overlay import load_overlays
from tests import helpers


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own empty cache directory (the proof cache, the conform guest), so that no
    test's output depends on what an earlier one left there."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(scope="session")
def root() -> Path:
    """The checkout: spec/, properties/, examples/."""
    return helpers.ROOT


@pytest.fixture(scope="session")
def shipped_systems(root: Path) -> dict[str, ir.System]:
    """Every model of the shipped spec with the shipped properties, over the model's vCPU range,
    loaded once per session."""
    spec = root / "spec"
    groups = pipeline.group_properties(sorted((root / "properties").rglob("*.prop")))
    return {
        model: pipeline.load_system(spec, model, property_files=groups.get(model, []))
        for model in sorted(pipeline.find_models(spec))
    }


@dataclass(frozen=True)
class V1Run:
    """The v1 example's counterexample, found once per session: the system (vCPUs 1..2) and
    the results of broadcast_reaches_all_others."""

    system: ir.System
    results: list[PropertyResult]
    spec: Path
    overlay: Path


@pytest.fixture(scope="session")
def v1_run(root: Path) -> V1Run:
    spec, overlay = root / "spec", root / "examples/sgi-broadcast-v1/v1.overlay"
    system = pipeline.load_system(
        spec, "gicv3", property_files=[root / "properties/sgi.prop"], overlay=load_overlays([overlay]), vcpus=(1, 2)
    )
    results = check_properties(system, Options(system.vcpus), {"broadcast_reaches_all_others"})
    return V1Run(system, results, spec, overlay)


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Writes files (name -> text) under a fresh directory and returns the directory."""
    return lambda files: helpers.write_tree(tmp_path, files)


@pytest.fixture
def cli() -> Callable[..., tuple[int, str, str]]:
    """Runs `gicheck ARGS` in-process: (exit code, stdout, stderr)."""
    return helpers.run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.txt from the commands' output instead of comparing with them",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))
