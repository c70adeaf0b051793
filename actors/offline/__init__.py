"""The offline model: a deterministic, rule-based stand-in for a language model, and how plans are worded for it."""

from __future__ import annotations

from agentrt.actors.offline.briefing import brief
from agentrt.actors.offline.model import OFFLINE_LABEL, OFFLINE_MODEL_NAME, OfflineModel

__all__ = ["OFFLINE_LABEL", "OFFLINE_MODEL_NAME", "OfflineModel", "brief"]
