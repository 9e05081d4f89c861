"""The engine: the graph core, the table of derivative rules, `Value` and `Tensor`."""
