"""agentrt specialists."""

__all__: list[str] = []
