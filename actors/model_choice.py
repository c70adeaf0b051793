"""Which chat model a deployment uses: the OpenAI-compatible backend when configured, else the offline model."""

from __future__ import annotations

from collections.abc import Mapping

from actors.offline_model import OfflineModel
from actors.openai_model import OpenAIChatModel, openai_config_from_env
from contracts import ChatModel

__all__ = ["chat_model_from_env"]


def chat_model_from_env(env: Mapping[str, str]) -> ChatModel:
    """Return an :class:`OpenAIChatModel` when ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set, else the offline model.

    The cluster layer calls this with ``os.environ``; nothing else in the package reads the environment.
    """
    config = openai_config_from_env(env)
    return OfflineModel() if config is None else OpenAIChatModel(config)
