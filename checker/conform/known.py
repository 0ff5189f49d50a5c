"""Declared differences between a conformance target and KVM's vgic (conform/qemu.toml), each
with its reason and source. A disagreement they cover is counted and reported, not failed.

    [[difference]]
    id = "qemu-gicd-iidr"
    gic = [3]                # the GIC versions it applies to (default: both)
    register = "GICD_IIDR"   # a register as `gicheck list` names it (an array: every element)
    bits = 0xffffffff        # the bits that may differ (default: any)
    width = 8                # only accesses of this width (default: any)
    reason = "..."
    source = "QEMU hw/intc/arm_gicv3_dist.c: gicd_readl, GICD_IIDR; ..."

    [[avoid]]                # accesses the generator never makes: they reconfigure the target
    gic = [3]                # into a state KVM does not have, and every later read would differ
    register = "GICR_WAKER"
    access = "write"         # default: reads and writes
    width = 8                # only accesses of this width (default: any)
    mask = 0x3               # only writes whose value, masked, equals `match` (default: every
    match = 0x2              # write; needs access = "write"; any width)
    per_byte = true          # mask and match apply to each byte: a write any of whose bytes
                             # matches is avoided (mask within 0xff, match not 0)
    clear = 0xffff           # instead of mask/match: writes are made with these bits clear
    reason = "..."
    source = "..."
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from checker.diagnostics import Diagnostic, SpecError
from checker.span import Span


@dataclass(frozen=True)
class Known:
    id: str
    register: str
    gic: tuple[int, ...]
    bits: int | None
    reason: str
    source: str
    write: bool | None = None  # avoid entries: the direction never generated
    width: int | None = None
    mask: int | None = None  # avoid entries: only writes with value & mask == match
    match: int | None = None
    per_byte: bool = False  # mask and match apply to each byte of the value
    clear: int | None = None  # avoid entries: bits never set in a write


@dataclass(frozen=True)
class Avoidance:
    """What the generator never makes on one GIC version: access kinds (register, is write,
    width or None), writes by value (register, mask, match), bits never set (register -> bits)."""

    kinds: frozenset[tuple[str, bool, int | None]] = frozenset()
    values: tuple[tuple[str, int, int], ...] = ()
    cleared: tuple[tuple[str, int], ...] = ()


NOTHING_AVOIDED = Avoidance()


@dataclass(frozen=True)
class KnownFile:
    path: str
    differences: tuple[Known, ...]
    avoid: tuple[Known, ...]

    def covering(self, gic: int, register: str, width: int | None, diff: int | None) -> Known | None:
        """The declared difference of `register` (accessed at `width`, None: its own) on this
        GIC version whose bits cover `diff` (None: a data abort, covered only by an entry
        without `bits`)."""
        for k in self.differences:
            bits_ok = k.bits is None or (diff is not None and diff & ~k.bits == 0)
            if gic in k.gic and k.register == register and k.width in (None, width) and bits_ok:
                return k
        return None

    def avoided(self, gic: int) -> set[tuple[str, bool, int | None]]:
        """The (register, is write, width) access kinds never generated on this GIC version
        (entries without a value condition; width None: every width)."""
        return {
            (k.register, w, k.width)
            for k in self.avoid
            if gic in k.gic and k.mask is None and k.clear is None
            for w in ((k.write,) if k.write is not None else (False, True))
        }

    def avoidance(self, gic: int) -> Avoidance:
        return Avoidance(frozenset(self.avoided(gic)), self.avoided_values(gic), tuple(sorted(self.cleared(gic).items())))

    def cleared(self, gic: int) -> dict[str, int]:
        """The bits never set in a write, by register, on this GIC version."""
        out: dict[str, int] = {}
        for k in self.avoid:
            if gic in k.gic and k.clear is not None:
                out[k.register] = out.get(k.register, 0) | k.clear
        return out

    def avoided_values(self, gic: int) -> tuple[tuple[str, int, int], ...]:
        """The (register, mask, match) of the writes never generated on this GIC version: those
        whose value & mask == match."""
        out = []
        for k in self.avoid:
            if gic in k.gic and k.mask is not None:
                shifts = range(0, 64, 8) if k.per_byte else (0,)
                out += [(k.register, k.mask << s, (k.match or 0) << s) for s in shifts]
        return tuple(out)


_KEYS = {"id", "gic", "register", "bits", "width", "reason", "source", "access", "mask", "match", "per_byte", "clear"}


def _entry(path: str, table: dict[str, object], n: int, avoid: bool) -> Known:
    kind = "avoid" if avoid else "difference"

    def bad(message: str) -> SpecError:
        return SpecError([Diagnostic(f"[[{kind}]] {n}: {message}", Span(path, 1, 1, 1, 1))])

    extra = sorted(set(table) - _KEYS)
    if extra:
        raise bad(f"unknown key {extra[0]} (keys: {', '.join(sorted(_KEYS))})")
    for key in ("register", "reason", "source", *(() if avoid else ("id",))):
        if not isinstance(table.get(key), str) or not table[key]:
            raise bad(f"'{key}' is required, a non-empty string")
    gic = table.get("gic", [2, 3])
    if not isinstance(gic, list) or not gic or any(g not in (2, 3) for g in gic):
        raise bad("'gic' is a list of 2 and 3")
    bits = table.get("bits")
    if bits is not None and (not isinstance(bits, int) or bits <= 0):
        raise bad("'bits' is a positive integer mask")
    width = table.get("width")
    if width not in (None, 8, 16, 32, 64):
        raise bad("'width' is 8, 16, 32 or 64")
    direction = table.get("access")
    if direction not in (None, "read", "write"):
        raise bad('\'access\' is "read" or "write"')
    values = _value_fields(table, avoid and direction == "write", bad)
    write = None if direction is None else direction == "write"
    text = (str(table["register"]), tuple(gic), bits, str(table["reason"]), str(table["source"]))
    return Known(str(table.get("id") or f"avoid-{n}"), *text, write, width, *values)


def _value_fields(
    table: dict[str, object], writes: bool, bad: Callable[[str], SpecError]
) -> tuple[int | None, int | None, bool, int | None]:
    """An [[avoid]]'s conditions on the value written: mask, match, per_byte, clear."""
    mask, match = table.get("mask"), table.get("match")
    if mask is not None or match is not None:
        if not writes:
            raise bad("'mask' and 'match' select writes: an [[avoid]] with access = \"write\"")
        if not isinstance(mask, int) or mask <= 0 or not isinstance(match, int) or match < 0 or match & ~mask:
            raise bad("'mask' is a positive integer and 'match' an integer within it")
    per_byte = table.get("per_byte", False)
    if not isinstance(per_byte, bool) or (per_byte and (not isinstance(mask, int) or mask > 0xFF or not match)):
        raise bad("'per_byte' is true or false; with true, 'mask' fits in a byte and 'match' is not 0")
    clear = table.get("clear")
    if clear is not None and (not writes or mask is not None or not isinstance(clear, int) or clear <= 0):
        raise bad("'clear' is a positive bit mask of an [[avoid]] with access = \"write\" and no mask")
    return mask, match, per_byte, clear


def load_known(path: Path) -> KnownFile:
    """The declared differences of a file; a malformed file is a SpecError at its place."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:  # as a spec file's (syntax/parser.py)
        raise SpecError([Diagnostic(f"cannot read file: {err}", Span(str(path), 1, 1, 1, 1), quote=False)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        raise SpecError([Diagnostic(str(e).split(" (at line")[0], Span(str(path), line, col, line, col + 1))]) from None
    except ValueError:  # tomllib's int() of a decimal number of more than 4300 digits
        raise SpecError([Diagnostic("a number of more than 4300 digits", Span(str(path), 1, 1, 1, 1), quote=False)]) from None
    except RecursionError:  # tomllib recurses into arrays and inline tables
        raise SpecError([Diagnostic("arrays or tables nested too deeply", Span(str(path), 1, 1, 1, 1), quote=False)]) from None
    extra = sorted(set(data) - {"difference", "avoid"})
    if extra:
        raise SpecError(
            [
                Diagnostic(
                    f"unknown table {extra[0]}: the file has [[difference]] and [[avoid]] entries", Span(str(path), 1, 1, 1, 1)
                )
            ]
        )
    diffs = tuple(_entry(str(path), t, n, False) for n, t in enumerate(data.get("difference", []), 1))
    avoid = tuple(_entry(str(path), t, n, True) for n, t in enumerate(data.get("avoid", []), 1))
    return KnownFile(str(path), diffs, avoid)
