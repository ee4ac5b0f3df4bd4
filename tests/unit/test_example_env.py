"""infra/example.env names every setting, and nothing else."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "infra" / "example.env"


def test_example_env_lists_every_setting() -> None:
    names = {
        line.split("=", 1)[0]
        for line in EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert names == {f"NEWSFLOW_{field.upper()}" for field in Settings.model_fields}
