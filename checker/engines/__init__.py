"""Encoded system -> verdict: facts, one-step contracts, two-run properties, BMC, k-induction."""

from checker.engines.prove import Options, check_properties

__all__ = ["Options", "check_properties"]
