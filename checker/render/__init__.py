"""Verdicts and traces -> text and JSON."""
