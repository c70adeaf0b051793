"""Concrete tools the specialists use: sandboxed compute, SQL, retrieval, drafting, checks, logs, classification."""

__all__: list[str] = []
