"""agentrt supervisor."""

__all__: list[str] = []
