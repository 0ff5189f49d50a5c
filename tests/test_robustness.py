"""No input, however broken, produces a traceback: mutated specs and properties give a SpecError
(exit 3) or check normally, never an internal error (LANGUAGE.md, "Errors")."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, run, write_tree

SPEC = (
    (ROOT / "spec/gicv3/sgi.gic").read_text()
    + (ROOT / "spec/common/irq.gic").read_text()
    + (ROOT / "spec/common/mpidr.gic").read_text()
)
SPEC = "\n".join(line for line in SPEC.splitlines() if not line.startswith("import ")) + "\nmodel gicv3 { vcpus 1..4 }\n"
PROPS = (
    (ROOT / "properties/sgi.prop").read_text() + "\n" + "\n".join((ROOT / "properties/mpidr.prop").read_text().splitlines()[4:])
)

TOKENS = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "::",
    "=",
    ":=",
    "'",
    ".",
    "..",
    ",",
    "->",
    "!",
    "~",
    "<<",
    "0x",
    "99999999999999999999",
    "vcpu",
    "bool",
    "bits(0)",
    "bits(70000)",
    "0..0",
    "5..1",
    "forall",
    "exists",
    "with",
    "return",
    "break",
    "layout",
    "state",
    "fn",
    "sysreg",
    "action",
    "model",
    "use",
    "import",
    '"x"',
    "/*",
    "*/",
    "///",
    "nr_vcpus",
    "true",
    "IRM",
    "pending'",
    "val.Nope",
    "self",
    "MPIDR()",
    "mpidr(1, 2)",
]


def mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        if kind == "insert":
            text = text[:pos] + " " + data.draw(st.sampled_from(TOKENS)) + " " + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 12)) :]
        else:
            end = pos + data.draw(st.integers(1, 8))
            text = text[:pos] + data.draw(st.sampled_from(TOKENS)) + text[end:]
    return text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), which=st.sampled_from(["spec", "props"]))
def test_mutated_input_never_crashes(tmp_path: Path, data: st.DataObject, which: str) -> None:
    spec = mutate(SPEC, data) if which == "spec" else SPEC
    props = mutate(PROPS, data) if which == "props" else PROPS
    write_tree(tmp_path, {"spec/model.gic": spec, "p.prop": props})
    code, _out, err = run(
        "prove", "--spec", tmp_path / "spec", tmp_path / "p.prop", "--vcpus", "2", "--depth", "1", "--timeout", "5"
    )
    assert code in (0, 1, 3, 4), err
    assert "internal error" not in err and "Traceback" not in err
    if code == 3:
        assert ": error: " in err
