"""Training: the `fit` loop, its `History`, early stopping (section 9.3.1), error rates and reports."""
from .history import History
from .loop import TrainingDiverged, evaluate, fit
from .metrics import binary_error, classification_error
from .report import format_table, markdown_table, plot_history

__all__ = ["fit", "evaluate", "TrainingDiverged", "History", "classification_error",
           "binary_error", "format_table", "markdown_table", "plot_history"]
