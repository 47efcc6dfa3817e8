"""Settings from the environment, with embedded defaults."""

from __future__ import annotations

import pytest

from core.config import Settings


def test_defaults_are_the_embedded_mode():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/flowker.db"
    assert settings.is_embedded_broker and settings.api_keys == () and not settings.allow_private_networks


def test_values_are_read_from_the_environment():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://u@h/db", "BROKER_URL": "redis://h:6379/0",
        "FLOWKER_API_KEYS": " a, b ,", "FLOWKER_ALLOW_PRIVATE_NETWORKS": "true", "FLOWKER_WORKER_THREADS": "4",
    })
    assert settings.database_url == "postgresql://u@h/db" and not settings.is_embedded_broker
    assert settings.api_keys == ("a", "b") and settings.allow_private_networks and settings.worker_threads == 4


def test_a_bad_number_names_the_variable():
    with pytest.raises(ValueError, match="FLOWKER_LEASE_SECONDS"):
        Settings.from_env({"FLOWKER_LEASE_SECONDS": "soon"})
