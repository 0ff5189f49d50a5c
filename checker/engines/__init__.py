"""Encoded system -> verdict: facts, one-step contracts, two-run properties, BMC, k-induction."""

from checker.engines.prove import Options, check_properties
from checker.smt.requests import Solver

__all__ = ["Options", "Solver", "check_properties"]
