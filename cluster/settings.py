"""Settings read from the environment: the only place agentrt looks at environment variables.

==========================  ===========================================================
variable                    meaning
==========================  ===========================================================
``RAY_ADDRESS``             Ray cluster to join (``auto``, ``ray://host:10001``, ...);
                            unset starts a local cluster
``AGENTRT_NAMESPACE``       Ray namespace of the runtime's named actors
``AGENTRT_DATA_DIR``        checkpoints, memory and the idempotency ledger
``OPENAI_BASE_URL``         an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, ...)
``OPENAI_API_KEY``          its key; setting either selects the endpoint over the
                            offline model
``AGENTRT_MODEL``           model name sent to the endpoint
``AGENTRT_MODEL_TIMEOUT_S`` time limit of one model request
``AGENTRT_PROMPT_USD_PER_1K`` price of 1000 prompt tokens (for cost and ``max_cost_usd``)
``AGENTRT_COMPLETION_USD_PER_1K`` price of 1000 completion tokens
``AGENTRT_TENANT``          default tenant of the client and the command line
``AGENTRT_USER``            default user of the client and the command line
``AGENTRT_API_KEYS``        JSON file of hashed HTTP API keys (see ``agentrt.cluster.http``)
``AGENTRT_SERVICE_RESOURCES`` JSON object of custom Ray resources that pin the memory and
                            supervisor actors to a node, e.g. ``{"agentrt_head": 0.01}``
==========================  ===========================================================
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from agentrt.actors.openai_backend.model import OpenAIModelConfig
from agentrt.contracts import ConfigError

__all__ = ["DEFAULT_NAMESPACE", "EnvSettings", "ModelSettings", "default_user", "settings_from_env"]

DEFAULT_NAMESPACE = "agentrt"

_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:@\-]+")


class ModelSettings(BaseModel):
    """Which chat model the specialists use, and what its tokens cost.

    This is the one description of a model backend: the environment reader builds it,
    ``RuntimeConfig(model="openai:gpt-4.1-mini")`` parses into it (see :meth:`from_spec`),
    and the runtime turns it into the chat model with :meth:`openai_config`.

    Attributes:
        kind: ``offline`` (the deterministic rule model, no network) or ``openai``
            (any OpenAI-compatible endpoint).
        base_url: Endpoint root such as ``http://127.0.0.1:8000/v1``; None means api.openai.com.
        api_key: The endpoint's key; local servers usually accept any value.
        model: Model name sent with every request.
        timeout_s: Time limit of one model request.
        max_retries: Retries of a request that failed in a way the endpoint may recover from.
        prompt_usd_per_1k: Price of 1000 prompt tokens.
        completion_usd_per_1k: Price of 1000 completion tokens.
        temperature: Sampling temperature; None leaves the endpoint's default.
        max_completion_tokens: Cap on reply tokens; None leaves the endpoint's default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["offline", "openai"] = "offline"
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = Field(default="offline", min_length=1, max_length=200)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=20)
    prompt_usd_per_1k: float = Field(default=0.0, ge=0)
    completion_usd_per_1k: float = Field(default=0.0, ge=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_completion_tokens: int | None = Field(default=None, ge=1)

    def from_spec(self, spec: str) -> ModelSettings:
        """These settings with the model a provider spec names: ``offline`` or ``openai:<model>``.

        The endpoint, key and prices stay those of ``self`` (usually read from the environment).

        Raises:
            ConfigError: The spec names no known provider.
        """
        provider, _, name = spec.partition(":")
        if provider == "offline" and not name:
            return self.model_copy(update={"kind": "offline", "model": "offline"})
        if provider == "openai" and name:
            return ModelSettings.model_validate(self.model_dump() | {"kind": "openai", "model": name})
        raise ConfigError(f"unknown model spec {spec!r}: use 'offline' or 'openai:<model name>'", field="model")

    def describe(self) -> str:
        """What the model is, without its key (for manifests and messages)."""
        return "offline" if self.kind == "offline" else f"openai:{self.model}@{self.base_url or 'api.openai.com'}"

    def openai_config(self) -> OpenAIModelConfig | None:
        """Return the endpoint configuration, or None for the offline model."""
        if self.kind == "offline":
            return None
        return OpenAIModelConfig(
            base_url=self.base_url,
            api_key=self.api_key or SecretStr("unused"),
            model=self.model,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            prompt_usd_per_1k=self.prompt_usd_per_1k,
            completion_usd_per_1k=self.completion_usd_per_1k,
            temperature=self.temperature,
            max_completion_tokens=self.max_completion_tokens,
        )


class EnvSettings(BaseModel):
    """What the environment says about where and how to run.

    ``address``, ``namespace``, ``data_dir`` and ``model`` carry the names of the
    matching ``RuntimeConfig`` fields, so a runtime configuration is built with
    ``RuntimeConfig(**settings.runtime_fields())``.

    Attributes:
        address: Ray cluster to join; None starts a local one.
        namespace: Ray namespace of the named actors.
        data_dir: Where checkpoints, memory and the write ledger live.
        model: The chat model.
        tenant: Default tenant of clients.
        user: Default user of clients.
        api_keys_file: JSON file of hashed HTTP API keys, if any.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = None
    namespace: str = Field(default=DEFAULT_NAMESPACE, min_length=1, max_length=64)
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".agentrt")
    model: ModelSettings = ModelSettings()
    tenant: str = "default"
    user: str = Field(default_factory=lambda: default_user())
    api_keys_file: Path | None = None
    service_resources: dict[str, float] = Field(default_factory=dict)

    def runtime_fields(self) -> dict[str, Any]:
        """The fields a ``RuntimeConfig`` takes from the environment."""
        return {
            "address": self.address,
            "namespace": self.namespace,
            "data_dir": self.data_dir,
            "model": self.model,
            "service_resources": self.service_resources,
        }


def default_user() -> str:
    """The login name, cut to the characters an id may hold (``user`` when there is none)."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        # No login name in containers without a passwd entry.
        name = ""
    cleaned = _ID_CHARS.sub("-", name).strip("-.:@_")[:64]
    return cleaned or "user"


def _model_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    base_url = environ.get("OPENAI_BASE_URL") or None
    api_key = environ.get("OPENAI_API_KEY") or None
    if base_url is None and api_key is None:
        return {"kind": "offline"}
    fields: dict[str, Any] = {"kind": "openai", "base_url": base_url, "api_key": api_key,
                              "model": environ.get("AGENTRT_MODEL") or "gpt-4o-mini"}
    optional = {"timeout_s": "AGENTRT_MODEL_TIMEOUT_S", "prompt_usd_per_1k": "AGENTRT_PROMPT_USD_PER_1K",
                "completion_usd_per_1k": "AGENTRT_COMPLETION_USD_PER_1K"}
    fields.update({name: environ[var] for name, var in optional.items() if environ.get(var)})
    return fields


def settings_from_env(environ: Mapping[str, str]) -> EnvSettings:
    """Read the settings from environment variables (pass ``os.environ``).

    Raises:
        ConfigError: A value is malformed; the message names the variable's field.
    """
    fields: dict[str, Any] = {"model": _model_from_env(environ)}
    plain = {"address": "RAY_ADDRESS", "namespace": "AGENTRT_NAMESPACE", "data_dir": "AGENTRT_DATA_DIR",
             "tenant": "AGENTRT_TENANT", "user": "AGENTRT_USER", "api_keys_file": "AGENTRT_API_KEYS"}
    fields.update({name: environ[var] for name, var in plain.items() if environ.get(var)})
    if "data_dir" in fields:
        fields["data_dir"] = Path(fields["data_dir"]).expanduser()
    if environ.get("AGENTRT_SERVICE_RESOURCES"):
        try:
            fields["service_resources"] = json.loads(environ["AGENTRT_SERVICE_RESOURCES"])
        except ValueError:
            raise ConfigError("AGENTRT_SERVICE_RESOURCES must be a JSON object", field="service_resources") from None
    try:
        return EnvSettings.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"invalid setting from the environment: {where}: {first['msg']}", field=where) from None
