"""Traces that leave the terminal: trace files (ITF JSON, VCD, DOT) and `gicheck replay`.

A `results.Trace` keeps each step's changes only; the writers here run it again in the
interpreter (run.py) to have every state in full. docs/traces.md describes the formats.
"""
