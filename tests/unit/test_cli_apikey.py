"""`newsflow apikey new` prints a line that works when pasted into an env file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from shared.apikeys import hash_api_key
from shared.settings import Settings


def test_apikey_new_prints_the_key_and_a_line_ready_to_paste(tmp_path: Path) -> None:
    from services.cli.main import app

    result = CliRunner().invoke(app, ["apikey", "new", "--scope", "search", "--scope", "ingest"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    key, env_line = lines
    # Sourced by a shell, as docker compose env files and `set -a; . file` read it.
    env_file = tmp_path / "keys.env"
    env_file.write_text(env_line + "\n")
    script = f'set -a; . "{env_file}"; printf %s "$NEWSFLOW_API_KEYS"'
    value = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    settings = Settings(api_keys=json.loads(value))
    assert settings.api_keys == {hash_api_key(key): ["ingest", "search"]}
