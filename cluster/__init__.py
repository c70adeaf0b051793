"""agentrt cluster."""

__all__: list[str] = []
