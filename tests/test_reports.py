"""Reports for machines: JUnit XML against a JUnit schema CI systems read (tests/schemas/junit.xsd),
SARIF against the OASIS SARIF 2.1.0 JSON schema (tests/schemas/sarif-schema-2.1.0.json), the
JSON reports against their documented schemas (docs/schemas/); --output writes whole files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from referencing import Registry, Resource

from checker.render import json as render_json
from checker.render import junit, sarif
from tests.conftest import V1Run
from tests.helpers import ROOT, run

SCHEMAS = ROOT / "tests/schemas"
V1 = "examples/sgi-broadcast-v1/v1.overlay"


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd"))


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def report_validator(name: str) -> jsonschema.Draft202012Validator:
    docs = {n: json.loads((ROOT / f"docs/schemas/gicheck-{n}.schema.json").read_text()) for n in ("prove", "diff")}
    registry: Registry[Any] = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in docs.values())
    return jsonschema.Draft202012Validator(docs[name], registry=registry)


def test_junit_report_of_the_v1_counterexample(v1_run: V1Run, junit_schema: xmlschema.XMLSchema) -> None:
    text = junit.prove(v1_run.results, ["gicv3"])
    junit_schema.validate(text)
    root = ET.fromstring(text)
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "testsuites",
        "1",
        "1",
        "0",
        "0",
    )
    (case,) = root.iter("testcase")
    assert (case.get("name"), case.get("classname"), case.get("line")) == ("broadcast_reaches_all_others", "gicheck.gicv3", "12")
    assert case.get("file", "").endswith("properties/sgi.prop")
    failure = case.find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == (
        "violated",
        "VIOLATED: counterexample with 2 vCPUs, 1 step (replayed); minimal: no trace is shorter, and none of 1 step has fewer vCPUs",
    )
    assert "#1  vCPU 0 writes ICC_SGI1R_EL1 = 0x0000010000000000" in (failure.text or "")
    assert "pending'[1][0] = false" in (failure.text or "")


def test_the_junit_schema_rejects_what_ci_would(junit_schema: xmlschema.XMLSchema) -> None:
    assert not junit_schema.is_valid('<testsuites><testsuite name="s" tests="1"><testcase/></testsuite></testsuites>')
    assert not junit_schema.is_valid('<testsuites><testsuite name="s"><testcase name="c"/></testsuite></testsuites>')
    two = '<testsuites><testsuite name="s" tests="1"><testcase name="c"><failure/><error/></testcase></testsuite></testsuites>'
    assert not junit_schema.is_valid(two)


def test_sarif_report_points_at_the_property_and_the_handler(v1_run: V1Run, sarif_validator: jsonschema.Draft4Validator) -> None:
    doc = json.loads(sarif.prove(v1_run.results, ROOT))
    sarif_validator.validate(doc)
    (run_,) = doc["runs"]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["gicv3/broadcast_reaches_all_others"]
    at_property, at_handler = run_["results"]
    where = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in (at_property, at_handler)
    ]
    assert where == [("properties/sgi.prop", 12), ("examples/sgi-broadcast-v1/v1.overlay", 14)]
    assert {r["level"] for r in (at_property, at_handler)} == {"error"}
    assert at_property["message"]["text"].startswith(
        "broadcast_reaches_all_others: VIOLATED: counterexample with 2 vCPUs, 1 step"
    )
    flow = at_property["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [f["location"]["message"]["text"] for f in flow] == ["#1  vCPU 0 writes ICC_SGI1R_EL1 = 0x0000010000000000"]


def test_the_sarif_schema_is_the_real_one(sarif_validator: jsonschema.Draft4Validator) -> None:
    assert not sarif_validator.is_valid({"version": "2.1.0"})  # no runs
    assert not sarif_validator.is_valid({"version": "2.0.0", "runs": []})
    assert sarif_validator.is_valid({"version": "2.1.0", "runs": []})


def test_json_report_has_its_documented_shape(v1_run: V1Run) -> None:
    doc = json.loads(render_json.render(v1_run.results, {"models": [], "exit_code": 1}))
    report_validator("prove").validate(doc)
    assert (doc["format"], doc["format_version"]) == ("gicheck-prove", 1)
    (step,) = doc["results"][0]["verdict"]["trace"]["steps"]
    assert step["inputs"] == [["self", 0], ["val", 1 << 40]]
    assert not report_validator("prove").is_valid({**doc, "format_version": 2})


def test_diff_json_report_has_its_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    argv = ["diff", "examples/today-igroupr/igroupr.overlay", "--vcpus", "1..2", "--no-properties"]
    code, stdout, _ = run(*argv, "--action", "GICR_IGROUPR0.write", "--format", "json", "--output", out)
    assert stdout == ""
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == code
    report_validator("diff").validate(doc)
    assert (doc["format"], doc["format_version"]) == ("gicheck-diff", 1)
    assert [a["name"] for a in doc["models"][0]["actions"]] == ["GICR_IGROUPR0.write"]


def test_output_writes_the_report_to_a_file(tmp_path: Path, junit_schema: xmlschema.XMLSchema) -> None:
    out = tmp_path / "reports" / "gicheck.xml"
    argv = ["prove", "--overlay", V1, "properties/sgi.prop", "--vcpus", "1..2", "--property", "broadcast_reaches_all_others"]
    code, stdout, _ = run(*argv, "--format", "junit", "--output", out)
    assert (code, stdout) == (1, "")
    junit_schema.validate(str(out))
    assert [p.name for p in out.parent.iterdir()] == ["gicheck.xml"]
    code, _, err = run(*argv, "--format", "junit", "--output", tmp_path / "reports")
    assert (code, err) == (2, f"gicheck: error: --output {tmp_path / 'reports'}: a directory (give the report's file name)\n")


@pytest.mark.slow
def test_diff_junit_and_sarif_of_the_v1_patch(
    tmp_path: Path, junit_schema: xmlschema.XMLSchema, sarif_validator: jsonschema.Draft4Validator
) -> None:
    argv = ["diff", V1, "--vcpus", "1..2", "--property", "broadcast_reaches_all_others", "--action", "ICC_SGI1R_EL1.write"]
    code, text, _ = run(*argv, "--format", "junit", "--trace-out", tmp_path)
    assert code == 1
    junit_schema.validate(text)
    root = ET.fromstring(text)
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed == ["broadcast_reaches_all_others"]  # the overlay expects ICC_SGI1R_EL1.write to differ
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"new-gicv3-broadcast_reaches_all_others{s}" for s in (".c", ".dot", ".itf.json", ".vcd")
    ]
    code, text, _ = run(*argv, "--format", "sarif")
    doc = json.loads(text)
    sarif_validator.validate(doc)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["properties/sgi.prop", V1]
