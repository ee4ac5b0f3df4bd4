"""Issue 11: the OpenAPI schema is the contract. Schemathesis runs every check it has
(server errors, undocumented statuses and content types, schema-valid requests refused,
schema-violating ones accepted, authentication ignored, ...) against a real server on
loopback, with API keys configured, over the session's own store and index. The rules
JSON Schema cannot state are listed, with why, in tests/schemathesis.toml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.apiserver import KEYS, KEYS_ENV, REPO, running_api

pytestmark = [pytest.mark.integration]

EXAMPLES_PER_OPERATION = 12


def test_schemathesis_finds_no_contract_violation(
    stack: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_api(tmp_path / "api.log", api_keys=KEYS_ENV, log_level="WARNING") as base:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(REPO / "tests" / "schemathesis.toml"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--header",
                f"X-API-Key: {KEYS['admin']}",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--phases",
                "examples,coverage,fuzzing",
                "--generation-deterministic",
                "--request-timeout",
                "30",
                "--max-failures",
                "20",
            ],
            cwd=tmp_path,  # schemathesis keeps its replay store there, not in the repo
            capture_output=True,
            text=True,
            timeout=600,
        )
    summary = run.stdout[run.stdout.rfind("SUMMARY") :] if "SUMMARY" in run.stdout else ""
    with capsys.disabled():
        print(f"\nschemathesis --checks all against {base}:\n{summary[-1500:]}")
    assert run.returncode == 0, run.stdout[-15000:] + run.stderr[-3000:]
