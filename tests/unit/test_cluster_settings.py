"""Settings come from the environment, typed, with secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cluster.settings import DEFAULT_NAMESPACE, settings_from_env
from agentrt.contracts import ConfigError


def test_no_endpoint_means_the_offline_model_and_a_local_cluster() -> None:
    settings = settings_from_env({"AGENTRT_DATA_DIR": "/srv/agentrt"})
    assert settings.model.kind == "offline" and settings.model.openai_config() is None
    assert settings.address is None and settings.namespace == DEFAULT_NAMESPACE
    assert settings.runtime_fields() == {"address": None, "namespace": DEFAULT_NAMESPACE,
                                         "data_dir": Path("/srv/agentrt"), "model": settings.model,
                                         "service_resources": {}}


def test_service_resources_pin_the_runtime_services() -> None:
    settings = settings_from_env({"AGENTRT_SERVICE_RESOURCES": '{"agentrt_head": 0.01}'})
    assert settings.runtime_fields()["service_resources"] == {"agentrt_head": 0.01}
    with pytest.raises(ConfigError, match="AGENTRT_SERVICE_RESOURCES"):
        settings_from_env({"AGENTRT_SERVICE_RESOURCES": "not json"})


def test_an_endpoint_selects_the_openai_compatible_model_and_hides_its_key() -> None:
    settings = settings_from_env({
        "RAY_ADDRESS": "auto", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "OPENAI_API_KEY": "sk-live-123456",
        "AGENTRT_MODEL": "qwen2.5-7b", "AGENTRT_MODEL_TIMEOUT_S": "12.5",
    })
    assert settings.address == "auto"
    model = settings.model
    assert (model.kind, model.base_url, model.model, model.timeout_s) == ("openai", "http://127.0.0.1:8000/v1",
                                                                          "qwen2.5-7b", 12.5)
    assert "sk-live-123456" not in repr(settings) and "sk-live-123456" not in settings.model_dump_json()
    config = model.openai_config()
    assert config is not None and config.api_key.get_secret_value() == "sk-live-123456"


def test_data_dir_tenant_and_user_come_from_the_environment() -> None:
    settings = settings_from_env({"AGENTRT_DATA_DIR": "~/agentrt-data", "AGENTRT_TENANT": "acme",
                                  "AGENTRT_USER": "ann", "AGENTRT_API_KEYS": "/etc/agentrt/keys.json"})
    assert settings.data_dir == Path.home() / "agentrt-data"
    assert (settings.tenant, settings.user) == ("acme", "ann")
    assert settings.api_keys_file == Path("/etc/agentrt/keys.json")


def test_a_malformed_value_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_env({"OPENAI_API_KEY": "k", "AGENTRT_MODEL_TIMEOUT_S": "soon"})
    assert info.value.detail("field") == "model.timeout_s"


def test_prices_and_model_spec_reach_the_chat_model_config() -> None:
    settings = settings_from_env({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "AGENTRT_MODEL": "llama3",
                                  "AGENTRT_PROMPT_USD_PER_1K": "0.5", "AGENTRT_COMPLETION_USD_PER_1K": "1.5"})
    config = settings.model.openai_config()
    assert config is not None and (config.model, config.prompt_usd_per_1k, config.completion_usd_per_1k) == (
        "llama3", 0.5, 1.5)
    other = settings.model.from_spec("openai:gpt-4.1-mini")
    assert (other.model, other.base_url, other.prompt_usd_per_1k) == ("gpt-4.1-mini", "http://127.0.0.1:9/v1", 0.5)
    assert settings.model.from_spec("offline").openai_config() is None
    with pytest.raises(ConfigError, match="unknown model spec"):
        settings.model.from_spec("anthropic:claude")
    with pytest.raises(ConfigError) as info:
        settings_from_env({"OPENAI_API_KEY": "k", "AGENTRT_PROMPT_USD_PER_1K": "cheap"})
    assert info.value.detail("field") == "model.prompt_usd_per_1k"
