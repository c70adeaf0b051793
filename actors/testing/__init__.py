"""Test doubles: a chat model that replays a script of replies and records what it was asked."""

from __future__ import annotations

from agentrt.actors.testing.scripted import ScriptedModel, ScriptedRequest, call

__all__ = ["ScriptedModel", "ScriptedRequest", "call"]
