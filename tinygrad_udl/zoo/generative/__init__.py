"""Generative models of chapters 14-18, one sub-package per chapter."""
