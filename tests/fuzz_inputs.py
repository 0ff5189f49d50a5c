"""The fuzz test's inputs: Hypothesis strategies that make a `fuzz.Case` of each `fuzz.Kind`, by
mutating shipped files (spec, properties, overlays, run scripts, ITF traces) or from nothing
(token soups, random text, random option values)."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz import ROOT, Case, Kind
from tests.helpers import SMALL_SPEC

INPUTS = ROOT / "tests/fuzz-inputs"

SPEC = (
    (ROOT / "spec/gicv3/sgi.gic").read_text()
    + (ROOT / "spec/common/irq.gic").read_text()
    + (ROOT / "spec/common/mpidr.gic").read_text()
)
SPEC = "\n".join(line for line in SPEC.splitlines() if not line.startswith("import ")) + "\nmodel gicv3 { vcpus 1..4 }\n"
PROPS = (
    (ROOT / "properties/sgi.prop").read_text() + "\n" + "\n".join((ROOT / "properties/mpidr.prop").read_text().splitlines()[4:])
)
SMALL_PROPS = (INPUTS / "small.prop").read_text()
OVERLAYS = sorted((ROOT / "examples").glob("*/*.overlay"))
SCRIPTS = sorted((ROOT / "examples/run").glob("*.run"))
TRACES = sorted(INPUTS.glob("*.itf.json"))
# the child runs in the case's directory: the shipped spec is named
SHIPPED = str(ROOT / "spec")
# a property each overlay's model has, so that prove --overlay checks something
OVERLAY_PROPERTY = ("properties/sgi.prop", "broadcast_reaches_all_others")

TOKENS = [
    *"{}()[]:=',.!~<>+-*/&|^@#$;%?\\\"",
    "::",
    ":=",
    "..",
    "->",
    "<<",
    ">>",
    "==",
    "0x",
    "0b",
    "0",
    "1",
    "64",
    "99999999999999999999",
    "0xffffffffffffffffffffffffffffffff",
    "vcpu",
    "bool",
    "bits(0)",
    "bits(64)",
    "bits(70000)",
    "0..0",
    "5..1",
    "0..99999999999",
    "forall",
    "exists",
    "with",
    "return",
    "break",
    "continue",
    "if",
    "else",
    "for",
    "in",
    "var",
    "let",
    "layout",
    "type",
    "const",
    "param",
    "state",
    "fn",
    "sysreg",
    "register",
    "frame",
    "action",
    "model",
    "use",
    "import",
    "overlay for model gicv3",
    "replace",
    "add",
    "expect different",
    "expect broken",
    "relate",
    "refines",
    "requires",
    "where",
    "invariant",
    "property",
    "fact",
    "cover",
    "after",
    "reachable",
    '"x"',
    '"../../etc/passwd"',
    '"/dev/zero"',
    "/*",
    "*/",
    "//",
    "///",
    "nr_vcpus",
    "nr_irqs",
    "true",
    "false",
    "IRM",
    "pending'",
    "pending[0][0]",
    "val.Nope",
    "self",
    "MPIDR()",
    "mpidr(1, 2)",
    "\t",
    "\n",
    "\x00",
    "\u00e9",
    "\ufeff",
    "\udcff",  # written as the byte 0xff: a file that is not UTF-8
    "\udcc3(",  # the bytes 0xc3 0x28: a lead byte and no continuation byte
]

# a number of more digits than int() converts (4300)
HUGE = "9" * 5000

# the words of gicheck run scripts (docs/run.md), besides TOKENS
SCRIPT_TOKENS = [
    "cpu",
    "cpu 0",
    "cpu 99999",
    "read",
    "write",
    "read8",
    "write16",
    "read32",
    "write64",
    "expect",
    "GICD_CTLR",
    "GICD_ISENABLER1",
    "GICR[1]+0x0008",
    "GICR[0].GICR_TYPER",
    "ICC_IAR1_EL1",
    "ICC_SGI1R_EL1",
    "raise_spi 40",
    "lower_spi intid=40",
    "acknowledge 1 27",
    "vcpus 0",
    "vcpus 99999",
    "param nr_irqs=1",
    "model gicv2",
    "EnableGrp1=1",
    "INTID=99",
    "0b_1",
    "1_000",
]


def mutations(text: str, tokens: list[str]) -> st.SearchStrategy[str]:
    """The text with one to four edits: a token in, a slice out or replaced, a slice copied
    elsewhere, or a token repeated (deep nesting, long numbers)."""

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        out = text
        for _ in range(draw(st.integers(1, 4))):
            pos = draw(st.integers(0, len(out)))
            end = pos + draw(st.integers(1, 40))
            token = draw(st.sampled_from(tokens))
            match draw(st.integers(0, 4)):
                case 0:
                    out = out[:pos] + " " + token + " " + out[pos:]
                case 1:
                    out = out[:pos] + out[end:]
                case 2:
                    out = out[:pos] + token + out[end:]
                case 3:
                    at = draw(st.integers(0, len(out)))
                    out = out[:at] + out[pos:end] + out[at:]
                case _:
                    out = out[:pos] + token * draw(st.integers(2, 3000)) + out[pos:]
        return out

    return edit()


def soups(tokens: list[str]) -> st.SearchStrategy[str]:
    """Text from nothing: tokens in any order, or any characters."""
    words = st.one_of(st.sampled_from(tokens), st.from_regex(r"[A-Za-z_][A-Za-z0-9_']{0,8}", fullmatch=True))
    return st.one_of(st.lists(words, max_size=60).map(" ".join), st.text(max_size=200))


def _prove_small(props: str, spec: str = SMALL_SPEC) -> Case:
    return Case(
        Kind.PROPS,
        ("prove", "--spec", "{dir}/spec", "{dir}/p.prop", "--vcpus", "1..2", "--depth", "2", "--timeout", "5", "-j", "1"),
        (("spec/model.gic", spec), ("p.prop", props)),
    )


def _test_spec(name: str) -> tuple[str, str]:
    """One of tests/specs/: its model and its properties (a fact, for those with none)."""
    d = ROOT / "tests/specs" / name
    props = d / "props.prop"
    return (d / "model.gic").read_text(), props.read_text() if props.exists() else "use model gicv3\nfact t: true\n"


# the specs whose text the spec kind mutates, with their properties: the SGI part of the shipped
# GICv3 spec, and the small ones of tests/specs/ (frames, loops, every kind of branch)
SPECS = [(SPEC, PROPS), *(_test_spec(n) for n in ("engines", "mmio", "transfer", "loops", "branches"))]


def spec_cases() -> st.SearchStrategy[Case]:
    """A spec mutated, or its properties, proved."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        spec, props = draw(st.sampled_from(SPECS))
        if draw(st.integers(0, 3)) > 0:
            spec = draw(mutations(spec, TOKENS))
        else:
            props = draw(mutations(props, TOKENS))
        argv = ("prove", "--spec", "{dir}/spec", "{dir}/p.prop", "--vcpus", "1..2", "--depth", "1", "--timeout", "5", "-j", "1")
        return Case(Kind.SPEC, argv, (("spec/model.gic", spec), ("p.prop", props)))

    return case()


def props_cases() -> st.SearchStrategy[Case]:
    """The shipped SGI and MPIDR properties mutated, on that spec; the small spec's, on it."""
    big = mutations(PROPS, TOKENS).map(
        lambda props: Case(
            Kind.PROPS,
            ("prove", "--spec", "{dir}/spec", "{dir}/p.prop", "--vcpus", "2", "--depth", "1", "--timeout", "5", "-j", "1"),
            (("spec/model.gic", SPEC), ("p.prop", props)),
        )
    )
    return st.one_of(big, mutations(SMALL_PROPS, TOKENS).map(_prove_small))


def _overlay_argv(command: int, action: str) -> tuple[str, ...]:
    match command:
        case 0:
            return ("list", "--spec", SHIPPED, "--overlay", "{dir}/x.overlay")
        case 1:
            prop, name = OVERLAY_PROPERTY
            return (
                *("prove", "--spec", SHIPPED, "--overlay", "{dir}/x.overlay", str(ROOT / prop), "--property", name),
                *("--vcpus", "1..2", "--depth", "1", "--timeout", "5", "-j", "1", "--vacuity", "none"),
            )
        case _:
            return (
                *("diff", SHIPPED, "{dir}/x.overlay", "--no-properties", "--action", action),
                *("--vcpus", "1..2", "--depth", "1", "--timeout", "5"),
            )


def overlay_cases() -> st.SearchStrategy[Case]:
    """A shipped overlay mutated, then listed, proved with or diffed against the shipped spec."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        text = draw(st.sampled_from(OVERLAYS)).read_text()
        text = draw(mutations(text, TOKENS))
        argv = _overlay_argv(draw(st.integers(0, 2)), draw(st.sampled_from(["ICC_SGI1R_EL1.write", "GICD.write", "nope"])))
        return Case(Kind.OVERLAY, argv, (("x.overlay", text),))

    return case()


def script_cases() -> st.SearchStrategy[Case]:
    """A shipped gicheck run script mutated, run on the shipped spec."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        text = draw(mutations(draw(st.sampled_from(SCRIPTS)).read_text(), SCRIPT_TOKENS + TOKENS))
        extra = draw(st.sampled_from([(), ("--format", "json"), ("--vcpus", "2"), ("--vcpus", "0"), ("--param", "nr_irqs=99")]))
        return Case(Kind.SCRIPT, ("run", "{dir}/s.run", "--spec", SHIPPED, *extra), (("s.run", text),))

    return case()


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True),
        st.text(max_size=10),
        st.integers(-(2**70), 2**70).map(lambda n: {"#bigint": str(n)}),
        st.text(max_size=6).map(lambda s: {"#bigint": s}),
        st.just({"#bigint": HUGE}),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
        max_leaves=8,
    )


def _json_edit(draw: st.DrawFn, doc: Any) -> Any:
    """One edit at a place drawn by walking down from the top: a value replaced, a key or an
    element gone, an element doubled."""
    parent: Any = None
    key: Any = None
    node = doc
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 5)) > 0:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return draw(_json_values())
    match draw(st.integers(0, 2)):
        case 0:
            parent[key] = draw(_json_values())
        case 1:
            del parent[key]
        case _:
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(node))
            else:
                parent[draw(st.text(max_size=6))] = copy.deepcopy(node)
    return doc


def trace_cases() -> st.SearchStrategy[Case]:
    """An ITF trace of the small spec, its JSON edited or its text mutated, replayed."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        path = draw(st.sampled_from(TRACES))
        if draw(st.booleans()):
            doc = json.loads(path.read_text())
            for _ in range(draw(st.integers(1, 3))):
                doc = _json_edit(draw, doc)
            text = json.dumps(doc, allow_nan=True)
        else:
            extra = ['{"#bigint":"-1"}', "[]", "{}", "null", '"#map"', '{"#map":[[true,', HUGE, f'{{"#bigint":"{HUGE}"}}']
            text = draw(mutations(path.read_text(), TOKENS + extra))
        files = (("t.itf.json", text), ("spec/model.gic", SMALL_SPEC), ("properties/p.prop", SMALL_PROPS))
        return Case(Kind.TRACE, ("replay", "{dir}/t.itf.json", "--spec", "{dir}/spec"), files)

    return case()


def soup_cases() -> st.SearchStrategy[Case]:
    """Token soups and random text as a spec, a property file, an overlay, a script or a trace."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        where = draw(st.integers(0, 4))
        text = draw(soups(SCRIPT_TOKENS + TOKENS if where == 3 else TOKENS))
        match where:
            case 0:
                return Case(
                    Kind.SOUP, _prove_small(SMALL_PROPS, spec=text).argv, (("spec/model.gic", text), ("p.prop", SMALL_PROPS))
                )
            case 1:
                return Case(Kind.SOUP, _prove_small(text).argv, _prove_small(text).files)
            case 2:
                return Case(Kind.SOUP, ("list", "--spec", SHIPPED, "--overlay", "{dir}/x.overlay"), (("x.overlay", text),))
            case 3:
                return Case(Kind.SOUP, ("run", "{dir}/s.run", "--spec", SHIPPED), (("s.run", text),))
            case _:
                files = (("t.itf.json", text), ("spec/model.gic", SMALL_SPEC))
                return Case(Kind.SOUP, ("replay", "{dir}/t.itf.json", "--spec", "{dir}/spec"), files)

    return case()


# ---- command lines ---------------------------------------------------------------------------

_ANY = st.one_of(
    st.sampled_from(["", "-", "--", " ", "-1", "0", "1e999", "nan", "inf", "0x10", "1..", "..", "\x00", "é", "--help=x"]),
    st.text(max_size=8),
)
_COUNTS = st.one_of(st.sampled_from(["0", "1", "2", "3", "-1", "4096", "99999999999999999999", "1.5", "0x2", HUGE]), _ANY)
_VCPUS = st.one_of(
    st.sampled_from(["1", "2", "1..2", "2..1", "0", "0..2", "1..99999999", "513", "1 .. 2", "a..b", "1..2..3", "02", HUGE]),
    st.sampled_from(["1..", ""]).map(lambda s: s + HUGE),
    _ANY,
)
_PARAMS = st.one_of(
    st.sampled_from(["nr_irqs=64", "nr_irqs=1..2", "nr_irqs=99999999999999999999", "nope=1", "=", "nr_irqs=", "nr_vcpus=2"]),
    st.sampled_from(["nr_irqs=010", "nr_irqs=0x40", "nr_irqs=0X", f"nr_irqs={HUGE}", f"nr_irqs=64..{HUGE}", f"nr_irqs=0x{HUGE}"]),
    _ANY,
)
_SECONDS = st.one_of(st.sampled_from(["0", "0.0001", "0.001", "5", "-1", "1e309", "nan", "inf", "1e-9"]), _ANY)
_PATHS = st.sampled_from(
    [
        *("{dir}/out", "{dir}", "{dir}/p.prop", "{dir}/spec", "{dir}/spec/model.gic", "{dir}/none/deeper/x"),
        *("{dir}/p.prop/x", "", ".", "{dir}/\udcff/out", "{dir}/p\udcff.prop"),
    ]
)
# option -> its values; prove's and diff's (check options) first, then the other commands'
_OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--vcpus": _VCPUS,
    "--param": _PARAMS,
    "--depth": _COUNTS,
    "--timeout": _SECONDS,
    "--format": st.one_of(st.sampled_from(["text", "json", "junit", "sarif", "c", "xml"]), _ANY),
    "--output": _PATHS,
    "--trace-out": _PATHS,
    "--property": st.one_of(st.sampled_from(["not_two", "sends_to_self", "nope"]), _ANY),
    "--memory": st.one_of(st.sampled_from(["0", "1", "64", "8192", "99999999999"]), _ANY),
    "--search-time": _SECONDS,
    "--vacuity": st.one_of(st.sampled_from(["none", "any-state", "reachable"]), _ANY),
    "--jobs": st.sampled_from(["1", "2", "0", "-1", "x"]),
    "--spec": _PATHS,
    "--overlay": st.one_of(_PATHS, st.just(str(OVERLAYS[0]))),
    "--model": st.one_of(st.sampled_from(["gicv3", "gicv2", "nope"]), _ANY),
    "--action": st.one_of(st.sampled_from(["ICC_SGI1R_EL1.write", "nope"]), _ANY),
    "--expect": _ANY,
    "--expect-broken": _ANY,
    "--properties": _PATHS,
    "--rev": st.sampled_from(["HEAD..HEAD", "nope..HEAD", "..", "HEAD"]),
    "--scheduler": st.one_of(st.sampled_from(["nowhere", "foo://x:1", "tcp://[::1", "ucx://h:1", "tcp://h"]), _ANY),
    "--solver": st.one_of(st.sampled_from(["z3", "cvc5"]), _ANY),
}
_FLAGS = ["--cti", "--strict", "--quiet", "--no-cache", "--no-properties", "--debug", "--help", "-v"]
_COMMANDS = {
    "prove": (
        ["{dir}/p.prop"],
        [
            "--vcpus",
            "--param",
            "--depth",
            "--timeout",
            "--format",
            "--output",
            "--trace-out",
            "--property",
            "--memory",
            "--search-time",
            "--vacuity",
            "--jobs",
            "--spec",
            "--overlay",
            "--scheduler",
            "--solver",
        ],
    ),
    "diff": (
        ["{dir}/spec", "{dir}/spec"],
        [
            "--vcpus",
            "--depth",
            "--timeout",
            "--format",
            "--output",
            "--model",
            "--action",
            "--expect",
            "--expect-broken",
            "--properties",
            "--rev",
        ],
    ),
    "run": (["{dir}/s.run"], ["--vcpus", "--param", "--format", "--spec", "--model"]),
    "replay": (["{dir}/t.itf.json"], ["--spec", "--overlay"]),
    "list": ([], ["--spec", "--overlay"]),
}


def args_cases() -> st.SearchStrategy[Case]:
    """A command on the small spec and its files, with random options and values, positional
    arguments left out or doubled, and now and then a word of junk."""

    @st.composite
    def case(draw: st.DrawFn) -> Case:
        command = draw(st.sampled_from(sorted(_COMMANDS)))
        positional, options = _COMMANDS[command]
        # the property file also under a name that is not UTF-8 (the byte 0xff)
        other = [p.replace("p.prop", "p\udcff.prop") for p in positional]
        argv = [command, *draw(st.sampled_from([positional, [], positional * 2, ["{dir}/missing"], other]))]
        if command != "diff" and draw(st.integers(0, 3)) > 0:
            argv += ["--spec", "{dir}/spec"]
        for option in draw(st.lists(st.sampled_from(options), max_size=5)):
            value = draw(_OPTIONS[option])
            argv += draw(st.sampled_from([[option, value], [f"{option}={value}"], [option]]))
        argv += draw(st.lists(st.sampled_from(_FLAGS), max_size=2))
        if draw(st.integers(0, 4)) == 0:
            argv.insert(draw(st.integers(0, len(argv))), draw(_ANY))
        if command in ("prove", "diff") and not any(a.startswith("--timeout") for a in argv):
            argv += ["--timeout", "5"]
        if command == "prove" and not any(a.startswith(("--jobs", "-j")) for a in argv):
            argv += ["-j", "1"]
        files = (
            ("spec/model.gic", SMALL_SPEC),
            ("p.prop", SMALL_PROPS),
            ("p\udcff.prop", SMALL_PROPS),
            ("s.run", "vcpus 2\ncpu 0 write ICC_SGI1R_EL1 TargetList=1 INTID=1\n"),
            ("t.itf.json", TRACES[0].read_text()),
        )
        # now and then the whole program: what only its exit shows (a finalizer's traceback)
        return Case(Kind.ARGS, tuple(argv), files, program=draw(st.integers(0, 3)) == 0)

    return case()


STRATEGIES: dict[Kind, st.SearchStrategy[Case]] = {
    Kind.SPEC: spec_cases(),
    Kind.PROPS: props_cases(),
    Kind.OVERLAY: overlay_cases(),
    Kind.TRACE: trace_cases(),
    Kind.SCRIPT: script_cases(),
    Kind.ARGS: args_cases(),
    Kind.SOUP: soup_cases(),
}
