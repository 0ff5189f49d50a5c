"""Memory-mapped frames and parameters: parsing, errors, decoding, verdicts and traces.

The spec is tests/specs/mmio (a distributor-like frame with every access kind, register arrays,
a parameter-bounded array and 64-bit split accesses; a per-vCPU frame), plus the shipped GICv3
redistributors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run, write_tree

from checker import interp, pipeline
from checker.results import Covered, Proved, Violated
from checker.smt.concrete import At, run_access
from checker.syntax import ast as A
from checker.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
MMIO = ROOT / "tests" / "specs" / "mmio"


def test_parse_frame_exact_ast() -> None:
    src = (
        "frame G[rd: vcpu] size 0x20000 stride 0x20000 split 64 upper-first {\n"
        "    /// doc\n"
        "    register R[n: 1..3] at 0x100 : bits(32) w1s widths 8, 32 where n < 2 {\n"
        "        on read(self: vcpu) { return 0 }\n"
        "    }\n"
        "    register Z at 0x10 : bits(32) raz/wi\n"
        "}\n"
    )
    f = parse(src, "x.gic")
    (frame,) = f.decls
    assert isinstance(frame, A.FrameDecl)
    assert (frame.name, frame.size, frame.stride, frame.split) == ("G", 0x20000, 0x20000, (64, "upper-first"))
    assert frame.index is not None and (frame.index.name, frame.index.type) == (
        "rd",
        A.NamedType("vcpu", A.Span("x.gic", 1, 13, 1, 17)),
    )
    r, z = frame.registers
    assert (r.name, r.offset, r.access, r.widths, r.doc) == ("R", 0x100, "w1s", (8, 32), "doc")
    assert r.index is not None and r.index.type == A.RangeType(1, 3, A.Span("x.gic", 3, 19, 3, 23))
    assert r.where == A.Binary(
        "<", A.Name("n", A.Span("x.gic", 3, 68, 3, 69)), A.IntLit(2, A.Span("x.gic", 3, 72, 3, 73)), A.Span("x.gic", 3, 68, 3, 73)
    )
    assert [h.kind for h in r.handlers] == ["read"]
    assert r.span == A.Span("x.gic", 3, 5, 5, 6)
    assert (z.name, z.offset, z.access, z.widths, z.where, z.handlers) == ("Z", 0x10, "raz/wi", (), None, ())


def test_parse_param() -> None:
    (p,) = parse("param nr_irqs : 64..1024 where nr_irqs[4:0] == 0\n", "p.gic").decls
    assert isinstance(p, A.ParamDecl)
    assert (p.name, p.type) == ("nr_irqs", A.RangeType(64, 1024, A.Span("p.gic", 1, 17, 1, 25)))
    assert isinstance(p.where, A.Binary) and p.where.op == "=="


# ---- errors -------------------------------------------------------------------------------------

_HEAD = "model m {\n    vcpus 1..4\n}\nstate s : bits(32) = 0\n"  # the frame starts on line 5


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "frame F size 0x100 {\n    register A at 0x0 : bits(32) raz/wi\n    register B at 0x2 : bits(16) raz/wi\n}\n",
            "model.gic:7:5: error: B (0x2..0x3) overlaps A (0x0..0x3)",
        ),
        (
            "frame F size 0x100 {\n    register A at 0x2 : bits(32) raz/wi\n}\n",
            "model.gic:6:5: error: A at 0x2 is not aligned to its width (4 bytes)",
        ),
        (
            "frame F size 0x100 {\n    register A[n: 0..99] at 0x0 : bits(32) raz/wi\n}\n",
            "model.gic:6:5: error: A ends at offset 0x190, past the end of frame F (size 0x100)",
        ),
        (
            "frame F size 0x100 {\n    register A at 0x0 : bits(32) raz/wi {\n        on read(self: vcpu) { return 1 }\n    }\n}\n",
            "model.gic:7:9: error: A is raz/wi: it takes no handlers: the kind defines both accesses",
        ),
        (
            "frame F size 0x100 {\n    register A at 0x0 : bits(32) w1s {\n        on write(self: vcpu, val: bits(32)) { s := val }\n    }\n}\n",
            "model.gic:6:5: error: A is w1s: it needs an 'on read' handler",
        ),
        (
            (
                "frame F size 0x100 split 64 upper-first {\n    register A at 0x0 : bits(64) read-write {\n"
                "        on read(self: vcpu) { return 0 }\n        on write(self: vcpu, val: bits(64)) { }\n    }\n}\n"
            ),
            "model.gic:6:5: error: A is a writable 64-bit register in frame F, which splits 64-bit accesses",
        ),
        ("frame F size 0x100 stride 0x1000 {\n}\n", "model.gic:5:1: error: only a per-vCPU frame has a stride"),
        (
            "frame F[rd: vcpu] size 0x100 stride 0x1800 {\n}\n",
            "model.gic:5:1: error: stride 0x1800 must be a power of two no smaller than the frame size 0x100",
        ),
        (
            "frame F size 0x100 {\n    register A[c: vcpu] at 0x0 : bits(32) raz/wi\n}\n",
            "model.gic:6:19: error: a register array is indexed by a range such as 0..31, not vcpu",
        ),
        (
            "frame F size 0x100 {\n    register A at 0x0 : bits(32) raz/wi widths 8, 48\n}\n",
            "model.gic:6:5: error: A cannot take 48-bit accesses",
        ),
        (
            "frame F size 0x100 {\n    register A[offset: 0..3] at 0x0 : bits(32) raz/wi\n}\n",
            "model.gic:6:15: error: 'offset' names a parameter of every frame access",
        ),
        (
            "frame F size 0x100 {\n    register A at 0x0 : bits(32) read-only {\n        on read(self: vcpu) { return t }\n    }\n}\n",
            "model.gic:7:38: error: unknown name 't'",
        ),
        ("param p : vcpu\n", "model.gic:5:11: error: parameter 'p' must range over numbers such as 64..1024"),
        ("param p : 1..8 where q\n", "model.gic:5:22: error: unknown name 'q'"),
        ("sysreg X : bits(64) w1s {\n}\n", "model.gic:5:1: error: w1s is an access kind of memory-mapped registers"),
    ],
)
def test_frame_errors(tmp_path: Path, body: str, message: str) -> None:
    write_tree(tmp_path, {"spec/model.gic": _HEAD + body})
    code, _out, err = run("list", "--spec", tmp_path / "spec")
    assert code == 3, err
    assert message in err, err
    assert "Traceback" not in err


def test_property_naming_unknown_register_lists_frames(tmp_path: Path) -> None:
    write_tree(tmp_path, {"p.prop": "use model mmio\nproperty x: after D_NOPE.write(self, val): true\n"})
    code, _out, err = run("prove", "--spec", MMIO, tmp_path / "p.prop")
    assert code == 3
    assert "p.prop:2:19: error: unknown register or action 'D_NOPE' in model mmio (known: D_CTLR, D_HI, D_ICEN," in err


def test_param_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run("prove", "--spec", MMIO, MMIO / "props.prop", "--param", "nr_irqs=300")
    assert (code, err) == (
        2,
        "gicheck: error: --param nr_irqs=300: nr_irqs = 300 is outside its range 64..256 (tests/specs/mmio/model.gic:10:1)\n",
    )
    code, _, err = run("prove", "--spec", MMIO, MMIO / "props.prop", "--param", "nr=64")
    assert (code, err) == (2, "gicheck: error: --param nr: the model has no parameter 'nr' (parameters: nr_irqs)\n")
    code, _, err = run("prove", "--spec", MMIO, MMIO / "props.prop", "--param", "nr_irqs")
    assert code == 2 and "--param takes NAME=V or NAME=A..B" in err


# ---- decoding, on concrete values, in the interpreter and in the Z3 encoding --------------------


def _system(n: int = 2):
    return pipeline.load_system(MMIO, "mmio", vcpus=(n, n))


def _both(system, n, state, action, args, params):
    it = interp.Interp(system, n, params)
    post, value = it.access(system.action(action), state, args)
    enabled, _z_post, z_value = run_access(system, At(n, state, params), action, args)
    assert enabled and value == z_value
    return post, value


def test_byte_write_merges_into_read_write_register() -> None:
    system = _system()
    it = interp.Interp(system, 2, {"nr_irqs": 64})
    state = it.reset()
    state["prio"] = state["prio"].set(1, 0x44332211)
    post, _ = _both(system, 2, state, "D.write", {"self": 0, "offset": 0x406, "width": 8, "val": 0xAB}, {"nr_irqs": 64})
    assert post["prio"].get(1) == 0x44AB2211
    _, value = _both(system, 2, post, "D.read", {"self": 1, "offset": 0x407, "width": 8}, {"nr_irqs": 64})
    assert value == 0x44


def test_word_beyond_nr_irqs_is_raz_wi() -> None:
    """D_PRIO[16] covers INTIDs 64..67: absent with 64 interrupts, present with 96."""
    system = _system()
    for nr, expect in ((64, 0), (96, 0x5A)):
        it = interp.Interp(system, 2, {"nr_irqs": nr})
        post, _ = _both(system, 2, it.reset(), "D.write", {"self": 0, "offset": 0x440, "width": 32, "val": 0x5A}, {"nr_irqs": nr})
        assert post["prio"].get(16) == expect
        _, value = _both(system, 2, post, "D.read", {"self": 0, "offset": 0x440, "width": 32}, {"nr_irqs": nr})
        assert value == expect


def test_split_64_bit_write_runs_upper_half_first(tmp_path: Path) -> None:
    system = _system()
    it = interp.Interp(system, 2, {"nr_irqs": 64})
    post, _ = _both(system, 2, it.reset(), "D.write", {"self": 0, "offset": 0x20, "width": 64, "val": 0}, {"nr_irqs": 64})
    assert post["order"] == 0x21  # D_HI (2) then D_LO (1)
    # the same frame declared lower-first
    text = (MMIO / "model.gic").read_text().replace("split 64 upper-first", "split 64 lower-first")
    write_tree(tmp_path, {"spec/model.gic": text})
    lower_first = pipeline.load_system(tmp_path / "spec", "mmio", vcpus=(2, 2))
    it2 = interp.Interp(lower_first, 2, {"nr_irqs": 64})
    post2, _ = _both(lower_first, 2, it2.reset(), "D.write", {"self": 0, "offset": 0x20, "width": 64, "val": 0}, {"nr_irqs": 64})
    assert post2["order"] == 0x12


@pytest.mark.parametrize(
    "offset,width,expect",
    [
        (0x14, 32, 0xFFFFFFFF),  # RAO/WI
        (0x10, 32, 0),  # RAZ/WI
        (0x04, 32, 64 // 32 - 1),  # D_TYPER with nr_irqs = 64
        (0x04, 8, 0),  # a width the register does not take
        (0x06, 16, 0),
        (0x30, 32, 0),  # no register
        (0xF00, 32, 0),  # write-only reads zero
        (0x20, 64, 0),  # D_HI << 32 | D_LO (order is 0)
    ],
)
def test_reads(offset: int, width: int, expect: int) -> None:
    system = _system()
    it = interp.Interp(system, 2, {"nr_irqs": 64})
    _, value = _both(system, 2, it.reset(), "D.read", {"self": 0, "offset": offset, "width": width}, {"nr_irqs": 64})
    assert value == expect


def test_per_vcpu_frame_decodes_the_vcpu() -> None:
    system = _system(3)
    it = interp.Interp(system, 3, {"nr_irqs": 64})
    _, value = _both(system, 3, it.reset(), "R.read", {"self": 0, "offset": 0x2000, "width": 32}, {"nr_irqs": 64})
    assert value == 2
    with pytest.raises(interp.Blocked):  # past the last vCPU's frame: not an access to this frame
        it.access(system.action("R.read"), it.reset(), {"self": 0, "offset": 0x3000, "width": 32})


# ---- verdicts and traces ------------------------------------------------------------------------


def _results(prop_file: Path, spec: Path = MMIO, model: str = "mmio", vcpus=(1, 8)):
    from checker.engines import Options, check_properties

    system = pipeline.load_system(spec, model, property_files=[prop_file], vcpus=vcpus)
    return {r.name: r for r in check_properties(system, Options(system.vcpus))}


def test_mmio_verdicts() -> None:
    res = _results(MMIO / "props.prop")
    proved = {
        "isen_sets",
        "absent_word_ignored",
        "prio_byte_write",
        "prio_byte_read",
        "misaligned_raz",
        "narrow_ctlr_raz",
        "hole_reads_zero",
        "ones_read_ones",
        "split_upper_first",
        "typer_counts",
        "r_id",
        "send_reads_zero",
    }
    assert {n for n, r in res.items() if isinstance(r.verdict, Proved)} == proved
    assert {n for n, r in res.items() if isinstance(r.verdict, Violated)} == {"absent_word_ignored_wrong", "nobody_sent"}
    assert isinstance(res["high_spi_enabled"].verdict, Covered)
    assert res["isen_sets"].params == (("nr_irqs", 64, 256),)


def test_trace_shows_the_frame_access_and_the_parameter() -> None:
    code, out, err = run(
        "prove", "--spec", MMIO, MMIO / "props.prop", "--vcpus", "1..8", "--property", "absent_word_ignored_wrong"
    )
    assert (code, err) == (1, "")
    assert "  with 1 vCPU, nr_irqs = 256 (0x100), from reset:\n    #1  vCPU 0 writes D_ISEN[7] (+0x011c), 32 bits = " in out
    assert "          spi_on[224]: false -> true\n" in out or "spi_on[2" in out


def test_invariant_trace_is_a_frame_access() -> None:
    """The solver steps through the register's handler; the trace shown is the frame access at
    its offset, replayed by the interpreter."""
    res = _results(MMIO / "props.prop")
    t = res["nobody_sent"].verdict.trace  # type: ignore[union-attr]
    (step,) = t.steps
    assert (step.action, step.target, step.vcpu) == ("D.write", "D_SEND (+0x0f00)", 0)
    assert [c.location for c in step.changes] == ["sent[0]"]
    assert t.params == (("nr_irqs", t.params[0][1]),)


def test_json_has_params() -> None:
    import json

    code, out, _ = run(
        "prove",
        "--spec",
        MMIO,
        MMIO / "props.prop",
        "--vcpus",
        "2",
        "--param",
        "nr_irqs=128",
        "--property",
        "typer_counts",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["models"][0]["params"] == {"nr_irqs": [128, 128]}
    assert data["results"][0]["params"] == [["nr_irqs", 128, 128]]


def test_list_shows_frames_and_params() -> None:
    code, out, _ = run("list", "--spec", MMIO)
    assert code == 0
    assert "  param nr_irqs: 64..256   tests/specs/mmio/model.gic:10:1\n" in out
    assert "  frame D: 0x1000 bytes, 64-bit accesses split upper-first" in out
    assert "    0x0104..0x011f    D_ISEN[n: 1..7]                w1s        bits(32), 32-bit" in out
    assert "    0x0400..0x04ff    D_PRIO[n: 0..63]               read-write bits(32), 8/32-bit" in out
    assert "  frame R: 0x100 bytes per vCPU [rd], stride 0x1000" in out
