"""The proof cache: a second run takes every result from it; a patch to one handler checks again
exactly the properties whose cone holds that handler; only PROVED, VIOLATED and COVERED are kept;
a damaged entry is a miss; options (the solver among them) and --no-cache are honoured."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from checker import pipeline
from checker.engines import Options, Solver, cache, check_properties
from checker.results import Unreached, Violated
from tests.helpers import run, write_tree

SPEC = """
state a : bits(8) = 0
state b : bits(8) = 0

frame DIST size 0x100 {
    register A at 0x0 : bits(8) read-write {
        on read(self: vcpu) { return a }
        on write(self: vcpu, val: bits(8)) { a := val }
    }
    register B at 0x4 : bits(8) read-write {
        on read(self: vcpu) { return b }
        on write(self: vcpu, val: bits(8)) { b := val & 0x0F }
    }
}

model small { vcpus 1..2 }
"""

PROPS = """
use model small

/// A reads back what was written.
property a_reads_back: after A.write(self, val): a' == val

/// B keeps the low nibble only.
invariant b_low_nibble: b[7:4] == 0

/// Deliberately false: B never holds 3.
invariant b_never_three: b != 3

/// Deliberately beyond the depth: A holds 0x55 and B 0x05 (two writes; depth 1 cannot show it).
cover a_and_b: a == 0x55 && b == 0x05
"""


def _load(root: Path, spec: str = SPEC):  # type: ignore[no-untyped-def]
    write_tree(root, {"spec/small.gic": spec, "p.prop": PROPS})
    return pipeline.load_system(root / "spec", "small", property_files=[root / "p.prop"])


def _check(system, cache_dir: Path, depth: int = 4, solver: Solver = Solver.Z3) -> dict[str, object]:  # type: ignore[no-untyped-def]
    opts = Options(system.vcpus, depth, cache_dir=cache_dir, solver=solver)
    return {r.name: r for r in check_properties(system, opts)}


def test_a_second_run_takes_every_result_from_the_cache(tmp_path: Path) -> None:
    system = _load(tmp_path)
    first = _check(system, tmp_path / "c")
    assert {n: (type(r.verdict).__name__, r.cached) for n, r in first.items()} == {  # type: ignore[attr-defined]
        "a_reads_back": ("Proved", False),
        "b_low_nibble": ("Proved", False),
        "b_never_three": ("Violated", False),
        "a_and_b": ("Covered", False),
    }
    second = _check(system, tmp_path / "c")
    assert all(r.cached for r in second.values())  # type: ignore[attr-defined]
    for name, r in second.items():
        assert replace(r, seconds=0.0, cached=False) == replace(first[name], seconds=0.0)  # type: ignore[type-var]


def test_a_patch_to_one_handler_checks_again_only_what_it_can_change(tmp_path: Path) -> None:
    _check(_load(tmp_path), tmp_path / "c")
    patched = _load(tmp_path / "patched", SPEC.replace("b := val & 0x0F", "b := val & 0x1F"))
    again = _check(patched, tmp_path / "c")
    assert {n: r.cached for n, r in again.items()} == {  # type: ignore[attr-defined]
        "a_reads_back": True,
        "b_low_nibble": False,
        "b_never_three": False,
        "a_and_b": False,
    }
    assert isinstance(again["b_low_nibble"].verdict, Violated)  # type: ignore[attr-defined]


def test_options_are_part_of_the_key_and_budgeted_answers_are_not_kept(tmp_path: Path) -> None:
    system = _load(tmp_path)
    shallow = _check(system, tmp_path / "c", depth=1)
    assert isinstance(shallow["a_and_b"].verdict, Unreached)  # type: ignore[attr-defined]
    again = _check(system, tmp_path / "c", depth=1)
    assert not again["a_and_b"].cached  # type: ignore[attr-defined]
    assert again["a_reads_back"].cached  # type: ignore[attr-defined]
    deeper = _check(system, tmp_path / "c", depth=4)
    assert not any(r.cached for r in deeper.values())  # type: ignore[attr-defined]


def test_the_solver_is_part_of_the_key(tmp_path: Path) -> None:
    """A verdict z3 gave is not shown as cvc5's, nor cvc5's as z3's: each solver's are kept apart."""
    system = _load(tmp_path)
    _check(system, tmp_path / "c")
    by_cvc5 = _check(system, tmp_path / "c", solver=Solver.CVC5)
    assert not any(r.cached for r in by_cvc5.values())  # type: ignore[attr-defined]
    assert {n: type(r.verdict).__name__ for n, r in by_cvc5.items()} == {  # type: ignore[attr-defined]
        "a_reads_back": "Proved",
        "b_low_nibble": "Proved",
        "b_never_three": "Violated",
        "a_and_b": "Covered",
    }
    assert all(r.cached for r in _check(system, tmp_path / "c", solver=Solver.CVC5).values())  # type: ignore[attr-defined]
    assert all(r.cached for r in _check(system, tmp_path / "c").values())  # type: ignore[attr-defined]
    assert len(list((tmp_path / "c").rglob("*.pickle"))) == 8


def test_a_damaged_entry_is_a_miss_and_is_written_again(tmp_path: Path) -> None:
    system = _load(tmp_path)
    _check(system, tmp_path / "c")
    files = sorted((tmp_path / "c").rglob("*.pickle"))
    assert len(files) == 4
    for f in files:
        f.write_bytes(b"not a pickle")
    again = _check(system, tmp_path / "c")
    assert not any(r.cached for r in again.values())  # type: ignore[attr-defined]
    assert all(r.cached for r in _check(system, tmp_path / "c").values())  # type: ignore[attr-defined]


def test_the_command_line_shows_cached_results_and_no_cache_turns_it_off(tmp_path: Path, own_cache: Path) -> None:
    write_tree(tmp_path, {"spec/small.gic": SPEC, "p.prop": PROPS})
    argv = ("prove", "--jobs", "1", "--spec", tmp_path / "spec", tmp_path / "p.prop", "--property", "a_reads_back")
    code, out, _ = run(*argv)
    assert code == 0 and "[cached]" not in out
    code, out, _ = run(*argv, "--format", "json")
    assert code == 0
    (r,) = json.loads(out)["results"]
    assert (r["name"], r["cached"], r["verdict"]["kind"]) == ("a_reads_back", True, "proved")
    code, out, _ = run(*argv)
    assert out.splitlines()[2].endswith("[cached]") and "1 proved (1 from the proof cache)" in out
    code, out, _ = run(*argv, "--no-cache")
    assert "[cached]" not in out and "from the proof cache" not in out
    assert sorted(p.parent.parent.name for p in own_cache.rglob("*.pickle")) == ["proofs"]


def test_keys_ignore_places_and_comments(tmp_path: Path) -> None:
    system = _load(tmp_path)
    moved = _load(tmp_path / "moved", "// a comment that moves every line\n\n" + SPEC)
    p, q = system.properties[0], moved.properties[0]
    opts = Options(system.vcpus)
    assert str(p.span) != str(q.span)
    assert cache.property_key(system, system, p, opts, {}) == cache.property_key(moved, moved, q, opts, {})
    assert cache.property_key(system, system, p, opts, {}) != cache.property_key(system, system, p, replace(opts, depth=5), {})


def test_a_cached_trace_names_the_places_of_the_code_as_it_is_now(tmp_path: Path) -> None:
    """Lines added above the spec keep the key (places are not part of it), and the trace read
    from the cache names the handler where it is written now."""
    _check(_load(tmp_path), tmp_path / "c")
    moved = _load(tmp_path / "moved", "// two lines\n// above\n" + SPEC)
    r = _check(moved, tmp_path / "c")["b_never_three"]
    assert r.cached  # type: ignore[attr-defined]
    (step,) = r.verdict.trace.steps  # type: ignore[attr-defined]
    assert step.source == f"{tmp_path / 'moved/spec/small.gic'}:14:9"
