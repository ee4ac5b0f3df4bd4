"""infra/example.env documents each setting with its real default (not only its name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "infra" / "example.env"
# Documented as a path relative to the repository, where the code computes an absolute one.
NOT_LITERAL = {"database_url", "stack_dir"}  # paths inside the checkout


def _documented() -> dict[str, str]:
    values = {}
    for line in EXAMPLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.split("=", 1)
        value = re.sub(r"\s+#.*$", "", value).strip()  # an inline comment
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[name] = value
    return values


def test_example_env_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"NEWSFLOW_{name.upper()}", raising=False)
    defaults = Settings()
    for name, value in _documented().items():
        monkeypatch.setenv(name, value)
    documented = Settings()
    differ = {
        name: (getattr(defaults, name), getattr(documented, name))
        for name in Settings.model_fields
        if name not in NOT_LITERAL and getattr(defaults, name) != getattr(documented, name)
    }
    assert differ == {}, "infra/example.env and shared/settings.py disagree (default, documented)"
