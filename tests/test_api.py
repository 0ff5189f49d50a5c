"""checker.api: models, machines, accesses by name and by offset, environment actions, the
values a read the spec leaves open may return, and every argument it refuses (with the part of
the call it is about; never a bare KeyError)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import api
from checker.results import Change, Choice
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def v3() -> api.Model:
    return api.load_model("gicv3", ROOT / "spec")


@pytest.fixture(scope="module")
def v2() -> api.Model:
    return api.load_model("gicv2", ROOT / "spec")


def _refused(call: object, *args: object, **kwargs: object) -> api.ApiError:
    with pytest.raises(api.ApiError) as e:
        call(*args, **kwargs)  # type: ignore[operator]
    return e.value


def test_models_and_their_errors(tmp_path: Path) -> None:
    assert api.models(ROOT / "spec") == ("gicv2", "gicv3")
    e = _refused(api.load_model, "gicv4", ROOT / "spec")
    assert (e.part, e.message) == (api.Part.MODEL, f"no model gicv4 in {ROOT / 'spec'} (models: gicv2, gicv3)")
    e = _refused(api.load_model, None, ROOT / "spec")
    assert e.message == "the spec has models gicv2, gicv3: name one"
    e = _refused(api.load_model, "gicv3", tmp_path / "nowhere")
    assert (e.part, e.message) == (api.Part.SPEC, f"spec directory {tmp_path / 'nowhere'}: not a directory")


def test_machine_arguments(v3: api.Model) -> None:
    assert (v3.vcpus.lo, v3.vcpus.hi) == (1, 255)
    assert v3.machine(2).params == {"nr_irqs": 64}  # the lowest value the spec allows
    assert v3.machine(2, {"nr_irqs": 1024}).params == {"nr_irqs": 1024}
    e = _refused(v3.machine, 0)
    assert (e.part, e.message) == (api.Part.VCPUS, "model gicv3 allows 1..255 vCPUs, not 0")
    e = _refused(v3.machine, 256)
    assert e.message == "model gicv3 allows 1..255 vCPUs, not 256"
    e = _refused(v3.machine, 2, {"nr_irqs": 100})
    assert (e.part, e.detail) == (api.Part.PARAM, "nr_irqs")
    assert e.message == "nr_irqs = 100 is not allowed: the model requires nr_irqs[4:0] == 0 (spec/common/spi.gic:14:1)"
    e = _refused(v3.machine, 2, {"nr_irqs": 2048})
    assert e.message == "nr_irqs = 2048 is outside its range 64..1024 (spec/common/spi.gic:14:1)"
    e = _refused(v3.machine, 2, {"nr_spis": 64})
    assert e.message == "model gicv3 has no parameter nr_spis (parameters: nr_irqs)"


def test_access_by_name_by_element_and_by_offset(v3: api.Model) -> None:
    m = v3.machine(2)
    out = m.write(0, "GICD_CTLR", {"EnableGrp1": 1})
    assert (out.step.target, out.step.changes) == ("GICD_CTLR (+0x0000)", (Change("dist_enabled", False, True),))
    out = m.write(1, "GICD_IPRIORITYR3", 0xA0, width=8)  # an element of GICD_IPRIORITYR0_7, by a trailing number
    assert out.step.target == "GICD_IPRIORITYR0_7[3] (+0x040c)"
    assert out.notes == ("GICD_IPRIORITYR0_7 takes 32-bit accesses: an 8-bit access reads as zero and ignores writes",)
    out = m.write(1, "GICD_IPRIORITYR[9]", 0xA0A0)
    assert (out.step.target, out.step.changes) == ("GICD_IPRIORITYR[9] (+0x0424)", (Change("priority_shared[9]", 0, 0xA0A0),))
    out = m.read(0, "GICR_TYPER")  # the accessing vCPU's own redistributor
    assert out.step.target == "GICR[0].GICR_TYPER (+0x0008)"
    out = m.read(0, api.Reg("GICR_TYPER", rd=1))
    assert (out.step.target, out.value) == ("GICR[1].GICR_TYPER (+0x20008)", 0x1_0000_0110)
    assert m.read(0, api.At("GICR", 0x20008), width=64).value == 0x1_0000_0110
    assert m.read(0, api.At("GICR", 0x8, rd=1), width=32).value == 0x110
    out = m.read(0, "GICD_CTLR", width=8)
    assert (out.value, out.notes) == (0, ("GICD_CTLR takes 32-bit accesses: an 8-bit access reads as zero and ignores writes",))
    assert m.state()["dist_enabled"] is True


@pytest.mark.parametrize(
    ("call", "part", "detail", "message"),
    [
        (lambda m: m.read(2, "GICD_CTLR"), api.Part.CPU, None, "vCPU 2 does not exist: the machine has 2 vCPUs (0..1)"),
        (lambda m: m.read(-1, "GICD_CTLR"), api.Part.CPU, None, "vCPU -1 does not exist: the machine has 2 vCPUs (0..1)"),
        (
            lambda m: m.read(0, "GICD_ISENABLR1"),
            api.Part.REGISTER,
            None,
            "model gicv3 has no register GICD_ISENABLR1 (did you mean GICD_ISENABLER1?)",
        ),
        (
            lambda m: m.read(0, "GICD_ISENABLER"),
            api.Part.INDEX,
            None,
            "GICD_ISENABLER is an array: name an element, GICD_ISENABLER<n> or GICD_ISENABLER[n], n in 1..31",
        ),
        (
            lambda m: m.read(0, "GICD_ISENABLER32"),
            api.Part.INDEX,
            None,
            "GICD_ISENABLER has no element 32 (elements: GICD_ISENABLER[1..31])",
        ),
        (lambda m: m.read(0, api.Reg("GICD_CTLR", 1)), api.Part.INDEX, None, "GICD_CTLR is not an array: it takes no index"),
        (
            lambda m: m.read(0, api.Reg("GICR_TYPER", rd=2)),
            api.Part.RD,
            None,
            "GICR[2] does not exist: the machine has 2 vCPUs (0..1)",
        ),
        (
            lambda m: m.read(0, api.Reg("GICD_CTLR", rd=1)),
            api.Part.RD,
            None,
            "GICD is one frame for the whole VM: it takes no [vCPU]",
        ),
        (lambda m: m.read(0, api.Reg("GICD_CTLR", frame="GICR")), api.Part.FRAME, None, "GICD_CTLR is in frame GICD, not GICR"),
        (
            lambda m: m.read(0, api.At("GICX", 0), width=32),
            api.Part.FRAME,
            None,
            "model gicv3 has no frame GICX (did you mean GICR?) (frames: GICD, GICR)",
        ),
        (
            lambda m: m.read(0, api.At("GICD", 0x10000), width=32),
            api.Part.OFFSET,
            None,
            "GICD+0x10000 is outside the frame (0x10000 bytes)",
        ),
        (
            lambda m: m.read(0, api.At("GICR", 0x40008), width=32),
            api.Part.OFFSET,
            None,
            "GICR+0x40008 is in GICR[2], and the machine has 2 vCPUs",
        ),
        (
            lambda m: m.read(0, api.At("GICR", 0x20000, rd=0), width=32),
            api.Part.OFFSET,
            None,
            "GICR[0]+0x20000 is outside the frame (0x20000 bytes)",
        ),
        (
            lambda m: m.read(0, api.At("GICD", 0xFFFC), width=64),
            api.Part.WIDTH,
            None,
            "a 64-bit access at GICD+0xfffc runs past the end of the frame",
        ),
        (
            lambda m: m.read(0, api.At("GICD", 0)),
            api.Part.WIDTH,
            None,
            "an access by offset needs its width (read32, write32, ...): GICD has no default",
        ),
        (lambda m: m.read(0, "GICD_CTLR", width=24), api.Part.WIDTH, None, "an access is 8, 16, 32 or 64 bits wide, not 24"),
        (
            lambda m: m.read(0, "ICC_IAR1_EL1", width=32),
            api.Part.WIDTH,
            None,
            "ICC_IAR1_EL1 is a 64-bit system register: it is read and written whole",
        ),
        (
            lambda m: m.write(0, "ICC_IAR1_EL1", 0),
            api.Part.REGISTER,
            None,
            "ICC_IAR1_EL1 is read-only: the spec has no write of it",
        ),
        (
            lambda m: m.read(0, "ICC_SGI1R_EL1"),
            api.Part.REGISTER,
            None,
            "ICC_SGI1R_EL1 is write-only: the spec has no read of it",
        ),
        (lambda m: m.write(0, "GICD_CTLR", 1 << 32), api.Part.VALUE, None, "0x100000000 does not fit in 32 bits"),
        (lambda m: m.write(0, "GICD_CTLR", 0x100, width=8), api.Part.VALUE, None, "0x100 does not fit in 8 bits"),
        (lambda m: m.write(0, "GICD_CTLR", -1), api.Part.VALUE, None, "a value is a non-negative integer, not -1"),
        (
            lambda m: m.write(0, "ICC_SGI1R_EL1", {"IRM": 2}),
            api.Part.VALUE,
            "IRM",
            "IRM is bits [40:40] of SGI1R: 2 does not fit in 1 bit",
        ),
        (
            lambda m: m.write(0, "ICC_SGI1R_EL1", {"INTD": 1}),
            api.Part.VALUE,
            "INTD",
            "SGI1R has no field INTD (did you mean INTID?) (fields: TargetList, Aff1, INTID, Aff2, IRM, RS, Aff3)",
        ),
        (
            lambda m: m.write(0, "GICD_ISENABLER1", {"X": 1}),
            api.Part.VALUE,
            None,
            "a bits(32) value has no fields: give a number",
        ),
        (
            lambda m: m.read(0, "ICC_IAR1_EL1", expect=1 << 64),
            api.Part.EXPECT,
            None,
            "0x10000000000000000 does not fit in 64 bits",
        ),
        (
            lambda m: m.act("raise_spx", 40),
            api.Part.ACTION,
            None,
            "model gicv3 has no environment action raise_spx (did you mean raise_spi?) (actions: acknowledge, acknowledge_spi, lower_spi, raise_spi)",
        ),
        (lambda m: m.act("raise_spi"), api.Part.ACTION, None, "raise_spi(intid: spi): no value for intid"),
        (lambda m: m.act("raise_spi", 40, 41), api.Part.ARGUMENT, None, "raise_spi(intid: spi) takes 1 argument"),
        (lambda m: m.act("raise_spi", 5), api.Part.ARGUMENT, "intid", "intid = 5 is outside spi (32..1019)"),
        (lambda m: m.act("raise_spi", line=40), api.Part.ARGUMENT, "line", "raise_spi(intid: spi) has no parameter line"),
        (lambda m: m.act("raise_spi", 40, intid=40), api.Part.ARGUMENT, "intid", "intid is given twice"),
        (lambda m: m.act("acknowledge", 2, 3), api.Part.ARGUMENT, "self", "self = 2: the machine has 2 vCPUs (0..1)"),
    ],
)
def test_every_bad_argument_is_refused_with_its_part(
    v3: api.Model, call: object, part: api.Part, detail: str | None, message: str
) -> None:
    m = v3.machine(2)
    before = m.state()
    e = _refused(call, m)
    assert isinstance(e, api.ArgumentError)
    assert (e.part, e.detail, e.message) == (part, detail, message)
    assert m.state() == before


def test_iar_may_return_any_takeable_interrupt_the_script_names(v3: api.Model) -> None:
    m = v3.machine(3)
    m.write(0, "GICD_CTLR", {"EnableGrp1": 1})
    m.write(0, "ICC_SGI1R_EL1", {"IRM": 1, "INTID": 3})
    m.write(0, "ICC_SGI1R_EL1", {"IRM": 1, "INTID": 5})
    allowed = (Choice(3, "acknowledge(self=1, intid=3)"), Choice(5, "acknowledge(self=1, intid=5)"))
    out = m.read(1, "ICC_IAR1_EL1")  # the handler's own answer: the lowest
    assert (out.value, out.allowed, out.own) == (3, allowed, None)
    taken = (Change("active_priority[1]", False, True),)
    assert out.step.changes == (Change("pending[1][3]", True, False), Change("active[1][3]", False, True), *taken)
    out = m.read(2, "ICC_IAR1_EL1", expect=5)  # another the spec allows: its action's step
    assert (out.value, out.own) == (5, 3)
    taken = (Change("active_priority[2]", False, True),)
    assert out.step.changes == (Change("pending[2][5]", True, False), Change("active[2][5]", False, True), *taken)
    before = m.state()
    with pytest.raises(api.NotAllowed) as e:  # SGI 3 waits for vCPU 2's EOI: one at a time
        m.read(2, "ICC_IAR1_EL1", expect=3)
    assert e.value.message == "the spec does not allow ICC_IAR1_EL1 to read 0x3 here (it allows 0x3ff)"
    assert e.value.allowed == (Choice(1023, "no refines case applies"),)
    assert m.state() == before
    m.write(2, "ICC_EOIR1_EL1", {"INTID": 5})
    with pytest.raises(api.NotAllowed) as e:
        m.read(2, "ICC_IAR1_EL1", expect=4)
    assert e.value.message == "the spec does not allow ICC_IAR1_EL1 to read 0x4 here (it allows 0x3)"
    assert e.value.allowed == (Choice(3, "acknowledge(self=2, intid=3)"),)
    out = m.read(0, "ICC_IAR1_EL1", expect={"INTID": 1023})
    assert (out.value, out.allowed) == (1023, (Choice(1023, "no refines case applies"),))


def test_gicv2_iar_names_the_source_it_takes(v2: api.Model) -> None:
    m = v2.machine(3)
    m.write(0, "GICD_CTLR", {"Enable": 1})
    m.write(0, "GICD_SGIR", {"SGIINTID": 1, "CPUTargetList": 0b100})
    m.write(1, "GICD_SGIR", {"SGIINTID": 1, "CPUTargetList": 0b100})
    out = m.read(2, "GICC_IAR", expect={"ACKINTID": 1, "CPUID": 1})
    assert out.allowed == (
        Choice(0x001, "acknowledge_sgi(self=2, intid=1, source=0)"),
        Choice(0x401, "acknowledge_sgi(self=2, intid=1, source=1)"),
    )
    assert (out.value, out.own, out.step.target) == (0x401, 0x001, "GICC_IAR (+0x000c)")
    assert m.state()["sgi_source[2][1]"] == 0b001


def test_a_read_the_spec_fixes_checks_its_expected_value(v3: api.Model) -> None:
    m = v3.machine(1, {"nr_irqs": 128})
    out = m.read(0, "GICD_TYPER", expect={"ITLinesNumber": 3, "IDbits": 9})
    assert (out.value, out.allowed) == (0x480003, ())
    with pytest.raises(api.NotAllowed) as e:
        m.read(0, api.At("GICD", 0x4), width=32, expect=3)
    assert e.value.message == "GICD_TYPER reads 0x480003 here, not 0x3"
    assert e.value.allowed == (Choice(0x480003, "GICD.read"),)


def test_an_action_not_enabled_says_which_condition_is_false(v3: api.Model) -> None:
    m = v3.machine(1)
    with pytest.raises(api.NotEnabled) as e:
        m.act("raise_spi", intid=100)
    assert e.value.message == (
        "raise_spi(intid=100) is not enabled here: its requires intid < nr_irqs is false, nr_irqs = 64 (spec/common/spi.gic:60:1)"
    )
    with pytest.raises(api.NotEnabled) as e:
        m.act("acknowledge", 0, 3)
    assert e.value.message.startswith("acknowledge(self=0, intid=3) is not enabled here: its requires dist_enabled is false")


_NAMES = st.sampled_from(
    ["GICD_CTLR", "GICD_ISENABLER1", "GICR_TYPER", "ICC_IAR1_EL1", "ICC_SGI1R_EL1", "GICD_IROUTER40", "NOPE", "GICD_ISENABLER"]
)
_TARGETS = st.one_of(
    _NAMES,
    st.builds(api.Reg, _NAMES, st.none() | st.integers(-2, 40), st.none() | st.integers(-1, 3)),
    st.builds(api.At, st.sampled_from(["GICD", "GICR", "GICC"]), st.integers(-1, 0x50000), st.none() | st.integers(-1, 3)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cpu=st.integers(-1, 3),
    target=_TARGETS,
    width=st.none() | st.sampled_from([0, 8, 16, 32, 64, 128]),
    value=st.none()
    | st.integers(-1, 1 << 65)
    | st.dictionaries(st.sampled_from(["INTID", "IRM", "Aff0", "X"]), st.integers(-1, 300), max_size=2),
)
def test_any_arguments_run_or_raise_an_api_error(
    v3: api.Model, cpu: int, target: api.Target, width: int | None, value: object
) -> None:
    """Whatever a caller passes, the answer is an Outcome or an ApiError, never another exception."""
    m = v3.machine(2, {"nr_irqs": 64})
    try:
        if value is None:
            m.read(cpu, target, width=width)
        else:
            m.write(cpu, target, value, width=width)  # type: ignore[arg-type]
    except api.ApiError:
        pass
