"""Issue 9: PostgreSQL restarted while clients post articles. The API (a real server on
loopback) answers 503 with `Retry-After` and a `reason` while the store is away, never a
500, and accepts articles again once it is back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.apiserver import running_api
from tests.reliability.chaos import Stack, synthetic_article

pytestmark = [pytest.mark.reliability]


@pytest.mark.usefixtures("clean_store")
def test_postgresql_restart_while_posting_gives_503_with_retry_after(
    local_stack: Stack, tmp_path: Path
) -> None:
    answers: list[tuple[int, str | None, str]] = []
    stop = threading.Event()

    def post(base: str, seed: int) -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                response = client.post(f"{base}/v1/articles", json=synthetic_article(n, seed))
                answers.append(
                    (response.status_code, response.headers.get("retry-after"), response.text)
                )
                time.sleep(0.02)

    with running_api(tmp_path / "api.log", log_level="WARNING") as base:
        posters = [threading.Thread(target=post, args=(base, seed)) for seed in (901, 902)]
        for poster in posters:
            poster.start()
        try:
            while sum(status == 202 for status, _, _ in answers) < 10:
                time.sleep(0.1)
            local_stack.restart("postgres")
            restarted = len(answers)
            deadline = time.monotonic() + 60
            while not any(s == 202 for s, _, _ in answers[restarted:]):
                assert time.monotonic() < deadline, "no article accepted after the restart"
                time.sleep(0.1)
        finally:
            stop.set()
            for poster in posters:
                poster.join()
    statuses = [status for status, _, _ in answers]
    unavailable = [(retry, text) for status, retry, text in answers if status == 503]
    print(f"\n{len(answers)} posts around a PostgreSQL restart: "
          f"{statuses.count(202)} accepted, {len(unavailable)} answered 503")  # fmt: skip
    assert all(status in (202, 503) for status in statuses), sorted(set(statuses))
    assert unavailable, "the restart did not reach the API (no 503 seen)"
    for retry_after, text in unavailable:
        assert retry_after
        assert int(retry_after) > 0
        assert '"reason":"store_unavailable"' in text.replace(" ", ""), text
