"""Optimisation passes over a recorded program (placeholder: identity)."""
from __future__ import annotations


def optimize(program, spec, values):
    return program
