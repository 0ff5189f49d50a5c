"""The code keeps the shape issue 15 gave it (bench/structure.py measures it; docs/internals.md
states the conventions): each figure is listed place by place, so a failure names the offender."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def structure() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_structure", ROOT / "bench/structure.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_structure"] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


def test_no_long_module_long_function_or_wide_signature(structure: ModuleType) -> None:
    mods = structure.load(ROOT / "checker")
    fns = [f for m in mods for f in structure.functions(m)]
    assert len(fns) > 400  # the measure saw the package
    assert [f"{m.name}: {m.lines}" for m in mods if m.lines > structure.MODULE_LINES] == []
    assert [f"{f.where}: {f.lines}" for f in fns if f.lines > structure.FUNCTION_LINES] == []
    wide = [f"{f.where}: {f.params}" for f in fns if f.params >= structure.WIDE]
    assert len(wide) <= len(fns) // 100, wide


def test_no_import_cycle_private_name_or_kind_compared_with_a_string(structure: ModuleType) -> None:
    mods = structure.load(ROOT / "checker")
    by_module, by_package = structure.import_graphs(mods)
    assert by_module.number_of_nodes() > 30
    assert structure.cycles(by_module) == []
    assert structure.cycles(by_package) == []
    assert structure.private_uses(mods) == []
    assert structure.kind_strings(mods) == []


def test_the_measure_finds_each_kind_of_offender(structure: ModuleType, tmp_path: object) -> None:
    from pathlib import Path

    pkg = Path(str(tmp_path)) / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text(
        "from pkg.b import _hidden\n\n\ndef wide(a, b, c, d, e, f):\n    return a.kind == 'env'\n"
        + "\n\ndef long():\n"
        + "    x = 1\n" * 61
    )
    (pkg / "b.py").write_text("import pkg.a\n\n\ndef _hidden():\n    return 0\n")
    mods = structure.load(pkg)
    fns = [f for m in mods for f in structure.functions(m)]
    assert sorted(f.where for f in fns if f.params >= structure.WIDE) == ["pkg.a:wide"]
    assert [f.where for f in fns if f.lines > structure.FUNCTION_LINES] == ["pkg.a:long"]
    assert structure.cycles(structure.import_graphs(mods)[0]) != []
    assert len(structure.private_uses(mods)) == 1
    assert len(structure.kind_strings(mods)) == 1
