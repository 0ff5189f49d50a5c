"""Inputs that would make a run succeed having checked nothing, or mean something else than they
say: each is refused with a usage error (exit 2) naming it, or an error in the input (exit 3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT, run

V1 = "examples/sgi-broadcast-v1/v1.overlay"
# A small proof, for the options a run would otherwise take without complaint.
SMALL = ("properties/sgi.prop", "--property", "broadcast_reaches_all_others", "--vcpus", "1..2", "-j", "1")
WHERE = "the model requires nr_irqs[4:0] == 0 (spec/common/spi.gic:14:1)"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the default spec, and the places messages give relative to it


# ---- --param: a value the spec excludes ---------------------------------------------------------


def test_a_param_value_the_where_clause_excludes_is_a_usage_error() -> None:
    code, out, err = run("prove", "--overlay", V1, *SMALL, "--param", "nr_irqs=65")
    assert (code, out, err) == (2, "", f"gicheck: error: --param nr_irqs=65: nr_irqs = 65 is not allowed: {WHERE}\n")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("nr_irqs=64..65", f"--param nr_irqs=64..65: nr_irqs = 65 is not allowed: {WHERE}"),
        ("nr_irqs=65..128", f"--param nr_irqs=65..128: nr_irqs = 65 is not allowed: {WHERE}"),
        (
            "nr_irqs=64..2000",
            "--param nr_irqs=64..2000: nr_irqs = 2000 is outside its range 64..1024 (spec/common/spi.gic:14:1)",
        ),
        ("nr_irqs=128..64", "--param nr_irqs=128..64: the range is empty"),
        ("nr=64", "--param nr: the model has no parameter 'nr' (parameters: nr_irqs)"),
    ],
    ids=["65-end", "65-start", "above", "empty", "unknown"],
)
def test_each_end_of_a_param_range_must_be_allowed(given: str, message: str) -> None:
    assert run("prove", *SMALL, "--param", given)[::2] == (2, f"gicheck: error: {message}\n")


def test_a_param_given_twice_is_a_usage_error() -> None:
    code, _, err = run("prove", *SMALL, "--param", "nr_irqs=64", "--param", "nr_irqs=128")
    assert (code, err) == (2, "gicheck: error: --param nr_irqs: given twice\n")


@pytest.mark.parametrize(
    ("given", "covers"),
    [("nr_irqs=64", "vCPUs 1..2 and nr_irqs = 64"), ("nr_irqs=64..128", "vCPUs 1..2 and every allowed nr_irqs in 64..128")],
)
def test_a_verdict_says_which_param_values_it_covers(given: str, covers: str) -> None:
    code, out, _ = run("prove", *SMALL, "--no-cache", "--param", given)
    line = next(ln for ln in out.splitlines() if "broadcast_reaches_all_others" in ln)
    assert code == 0 and line.startswith("  PROVED") and f"every count in {covers}  [" in line


def test_diff_refuses_a_param_value_the_spec_excludes() -> None:
    code, out, err = run("diff", V1, "--no-properties", "--vcpus", "1..2", "--param", "nr_irqs=65")
    assert (code, err) == (2, f"gicheck: error: --param nr_irqs=65: nr_irqs = 65 is not allowed: {WHERE}\n")
    assert "PROVED" not in out and "SAME" not in out


DEPENDENT = {
    "spec/a.gic": "param b : 1..8 where b <= nr_vcpus\nparam a : 1..8 where a <= b\n"
    "state x : bool = false\nmodel m { vcpus 1..4 }\n",
    "p.prop": "use model m\ninvariant never_x: !x\n",
}


@pytest.mark.parametrize(
    ("options", "refused"),
    [
        (["--param", "a=4"], None),  # with b = 4 and 4 vCPUs
        (["--param", "a=5"], "a = 5 is not allowed: the model requires a <= b"),  # b <= 4
        (["--param", "a=3", "--param", "b=2"], "a = 3 is not allowed: the model requires a <= b"),
        (["--param", "b=3", "--vcpus", "1..2"], "b = 3 is not allowed: the model requires b <= nr_vcpus"),
        (["--param", "a=2", "--vcpus", "1..2"], None),
        (["--param", "a=3", "--vcpus", "1..2"], "a = 3 is not allowed: the model requires a <= b"),
    ],
    ids=["a4", "a5", "a3-b2", "b3-2cpus", "a2-2cpus", "a3-2cpus"],
)
def test_a_where_clause_reading_other_params_and_the_vcpu_count(
    write_spec: Callable[[dict[str, str]], Path], options: list[str], refused: str | None
) -> None:
    d = write_spec(DEPENDENT)
    code, out, err = run("prove", "--spec", d / "spec", d / "p.prop", "-j", "1", "--depth", "1", *options)
    if refused is None:
        assert (code, err) == (0, "")
        assert "PROVED     never_x" in out
    else:
        name = refused.split()[0]
        line = 1 if name == "b" else 2
        given = next(o for o in options if o.startswith(f"{name}="))
        assert (code, err) == (2, f"gicheck: error: --param {given}: {refused} ({d / 'spec/a.gic'}:{line}:1)\n")


# ---- --property and runs that check nothing ----------------------------------------------------


def test_a_property_no_model_has_is_a_usage_error_with_the_nearest_names() -> None:
    code, out, err = run("prove", "--property", "broadcast_reaches_all_other", "--vcpus", "1..2", "-j", "1")
    assert (code, out) == (2, "")
    assert err == (
        "gicheck: error: --property broadcast_reaches_all_other: no such property in models gicv2, gicv3 "
        "(did you mean broadcast_ignores_targets, broadcast_reaches_all_others, filter1_reaches_all_others?)\n"
    )


def test_a_property_of_one_model_checks_that_model_only() -> None:
    code, out, err = run("prove", "properties/sgi.prop", "properties/gicv2-sgi.prop", *SMALL[1:])
    assert (code, err) == (0, "")
    assert "gicheck prove: model gicv3" in out and "1 property" in out
    assert "gicheck prove: model gicv2" in out and "0 properties" in out


def test_property_files_with_no_property_check_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.prop").write_text("use model gicv2\n")
    code, out, err = run("prove", tmp_path, "--vcpus", "1..2", "-j", "1")
    assert (code, out, err) == (
        2,
        "",
        "gicheck: error: nothing was checked: the property files give no property of model gicv2\n",
    )


def test_an_overlay_whose_model_has_no_property_files_checks_nothing() -> None:
    code, out, err = run("prove", "--overlay", V1, "properties/gicv2-sgi.prop", "--vcpus", "1..2", "-j", "1")
    assert (code, out, err) == (
        2,
        "",
        "gicheck: error: nothing was checked: the property files give no property of model gicv3\n",
    )


def test_every_model_skipped_checks_nothing() -> None:
    code, _, err = run("prove", "--vcpus", "300", "-j", "1")
    assert code == 2
    assert err.splitlines()[-1] == "gicheck: error: nothing was checked: every model was skipped"


# ---- numeric options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timeout", "nan", "argument --timeout: takes a finite number of seconds, not 'nan'"),
        ("--timeout", "inf", "argument --timeout: takes a finite number of seconds, not 'inf'"),
        ("--timeout", "-inf", "argument --timeout: takes a finite number of seconds, not '-inf'"),
        ("--timeout", "1e-9", "argument --timeout: 1e-9 seconds is less than the solver's 1 ms: give at least 0.001"),
        ("--timeout", "0", "argument --timeout: must be positive, not 0"),
        ("--timeout", "-1", "argument --timeout: must be positive, not -1"),
        ("--timeout", "1e300", "argument --timeout: 1e300 seconds is more than the solver takes: give at most 4294967"),
        ("--timeout", "x", "argument --timeout: takes a number of seconds, not 'x'"),
        ("--depth", "0", "argument --depth: must be at least 1, not 0"),
        ("--depth", "1.5", "argument --depth: takes a whole number, not '1.5'"),
        ("--jobs", "0", "argument --jobs/-j: must be at least 1, not 0"),
    ],
    ids=["nan", "inf", "-inf", "1e-9", "0", "-1", "1e300", "x", "depth0", "depth1.5", "jobs0"],
)
def test_numeric_options_are_checked_when_parsed(option: str, value: str, message: str) -> None:
    # the option after SMALL, whose -j 1 it overrides for --jobs
    assert run("prove", *SMALL, f"{option}={value}")[::2] == (2, f"gicheck: error: {message}\n")


def test_diff_and_conform_check_their_numeric_options_too() -> None:
    assert run("diff", V1, "--timeout", "nan")[::2] == (
        2,
        "gicheck: error: argument --timeout: takes a finite number of seconds, not 'nan'\n",
    )
    assert run("conform", "--target", "qemu", "--length", "0")[::2] == (
        2,
        "gicheck: error: argument --length: must be at least 1, not 0\n",
    )


def test_the_smallest_timeout_is_one_millisecond() -> None:
    code, out, _ = run("prove", *SMALL, "--timeout", "0.001")
    assert code in (0, 4)
    assert "broadcast_reaches_all_others" in out


# ---- --vcpus --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "--vcpus takes a count N or a range A..B, not ''"),
        ("0..0", "vCPU range 0..0 starts at 0: a VM has at least one vCPU"),
        ("3..1", "vCPU range 3..1 is empty"),
        ("abc", "--vcpus takes a count N or a range A..B, not 'abc'"),
    ],
    ids=["empty", "0..0", "3..1", "abc"],
)
def test_vcpus_that_name_no_count_are_usage_errors(value: str, message: str) -> None:
    assert run("prove", *SMALL[:3], "-j", "1", f"--vcpus={value}")[::2] == (2, f"gicheck: error: {message}\n")


# ---- the spec directory --------------------------------------------------------------------------


def test_a_spec_directory_with_no_model_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.gic").write_text("type sgi = 0..15\n")
    message = f"gicheck: error: no model found in {tmp_path}: no .gic file under it declares one\n"
    assert run("list", "--spec", tmp_path)[::2] == (2, message)
    assert run("prove", "--spec", tmp_path, "properties/sgi.prop")[::2] == (2, message)
    assert run("diff", tmp_path, tmp_path)[::2] == (2, message)
    assert run("list", "--spec", tmp_path / "nope")[::2] == (2, f"gicheck: error: --spec {tmp_path / 'nope'}: not a directory\n")


def _spec_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    for f in (ROOT / "spec").rglob("*.gic"):
        dest = spec / f.relative_to(ROOT / "spec")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(f.read_text())
    return spec


def _unreadable_message(directory: Path) -> str:
    return f"{directory}:1:1: error: cannot read directory: Permission denied\ngicheck: 1 error\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a directory whatever its mode")
def test_an_unreadable_spec_directory_is_an_error(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    (spec / "common").chmod(0)
    try:
        assert run("list", "--spec", spec)[::2] == (3, _unreadable_message(spec / "common"))
    finally:
        (spec / "common").chmod(0o755)


def test_a_directory_that_cannot_be_listed_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec_copy(tmp_path)
    props = tmp_path / "properties"
    (props / "more").mkdir(parents=True)
    (props / "sgi.prop").write_text((ROOT / "properties/sgi.prop").read_text())
    refused = {str(spec / "common"), str(props / "more")}
    scandir = os.scandir

    def listing(path: str) -> object:  # what chmod 000 does to a reader that is not root
        if str(path) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)
    assert run("list", "--spec", spec)[::2] == (3, _unreadable_message(spec / "common"))
    refused.remove(str(spec / "common"))
    code, _, err = run("prove", "--spec", spec, props, *SMALL[1:3], "--vcpus", "1", "-j", "1")
    assert (code, err) == (3, _unreadable_message(props / "more"))
