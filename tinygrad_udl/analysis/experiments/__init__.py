"""The book's analysis experiments as sweeps: one module per chapter, each with `SWEEPS`.

Every run function takes plain parameters (with `seed`) and returns a dict of plain results, so
that it can run on any worker and be stored as JSON (`tinygrad_udl.sweep`).
"""
