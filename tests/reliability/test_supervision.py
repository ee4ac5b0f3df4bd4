"""A SIGKILLed worker of the local stack comes back by itself (supervisord), and `status` shows it.

Needs the whole local stack (`infra/local-stack.sh up`, not `--deps-only`): skipped when its
supervisord is not running, as in CI. It kills the stack's own enrich worker, so run it on a
stack of your own (`NEWSFLOW_STACK_DIR` and the `NEWSFLOW_STACK_*_PORT`s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import ROOT, wait_until

pytestmark = [pytest.mark.reliability]

STACK = ROOT / "infra" / "local-stack.sh"


def _stack_env() -> dict[str, str]:
    """The environment of the stack's own processes (no test namespace)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update({k: v for k, v in os.environ.items() if k.startswith("NEWSFLOW_STACK_")})
    out = subprocess.run(
        [str(STACK), "env"], env=env, capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            env[name] = value
    return env


def _supervisorctl(env: dict[str, str], *args: str) -> str:
    conf = Path(env["NEWSFLOW_STACK_DIR"]) / "supervisor" / "supervisord.conf"
    done = subprocess.run(
        ["supervisorctl", "-c", str(conf), *args], env=env, capture_output=True, text=True
    )
    return done.stdout.strip()


def _restarts(env: dict[str, str], program: str) -> int:
    status = subprocess.run(
        [str(STACK), "status"], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in status.splitlines() if x.startswith(f"{program} "))
    return int(line.split()[2])


def test_a_sigkilled_worker_is_back_within_ten_seconds() -> None:
    env = _stack_env()
    run = Path(env["NEWSFLOW_STACK_DIR"]) / "run" / "supervisord.pid"
    if not run.exists() or not _supervisorctl(env, "pid", "worker-enrich").isdigit():
        pytest.skip("needs the whole local stack under supervisord: `infra/local-stack.sh up`")
    before = int(_supervisorctl(env, "pid", "worker-enrich"))
    restarts = _restarts(env, "worker-enrich")

    os.kill(before, signal.SIGKILL)
    killed_at = time.monotonic()

    def back() -> bool:
        pid = _supervisorctl(env, "pid", "worker-enrich")
        return pid.isdigit() and int(pid) not in (0, before)

    wait_until(back, timeout=10, interval=0.2, message="the enrich worker did not come back")
    back_after = time.monotonic() - killed_at
    assert _restarts(env, "worker-enrich") == restarts + 1

    # Back means answering Celery's ping too, once its models are loaded.
    def answers() -> bool:
        shown = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "newsflow"), "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        workers = json.loads(shown.stdout or "{}").get("workers") or {}
        return bool(workers.get("enrich"))

    wait_until(answers, timeout=120, interval=1, message="the new enrich worker never answered")
    print(f"\n[supervision] enrich worker running again {back_after:.1f}s after SIGKILL")
