"""The broker connection on the real Redis: every command of a channel goes through one
redis-py client (kombu would build one per command), and a channel whose connection pool was
replaced (what kombu does after a connection error) gets a client on the new pool."""

from __future__ import annotations

import pytest

from shared.celery_app import RedisTransport, app
from shared.settings import get_settings

pytestmark = [pytest.mark.integration]


def test_one_client_per_pool_sends_every_command(stack: dict[str, str]) -> None:
    queue = get_settings().queue_name("broker-test")
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, RedisTransport)
        channel = connection.default_channel
        channel.queue_declare(queue, auto_delete=False)
        try:
            producer = connection.Producer(channel)
            producer.publish({"n": 1}, routing_key=queue, exchange="", serializer="json")
            with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
                assert first is second
            message = channel.basic_get(queue, no_ack=False)
            assert message is not None
            assert message.decode() == {"n": 1}
            message.ack()

            old = first
            channel._disconnect_pools()  # as after a connection error
            producer.publish({"n": 2}, routing_key=queue, exchange="", serializer="json")
            with channel.conn_or_acquire() as client:
                assert client is not old
                assert client.connection_pool is channel.pool
            message = channel.basic_get(queue, no_ack=True)
            assert message is not None
            assert message.decode() == {"n": 2}
        finally:
            channel.queue_delete(queue)


def test_one_list_per_queue_whatever_the_priority(stack: dict[str, str]) -> None:
    # Queue depth (shared/queues.py) reads one Redis list per queue, and a look at an empty
    # queue (each lone article's gather) costs one RPOP: a message sent with a priority
    # must land in that same list, not in a list of its own that neither would see.
    queue = get_settings().queue_name("broker-priority-test")
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        channel.queue_declare(queue, auto_delete=False)
        try:
            producer = connection.Producer(channel)
            for priority in (0, 5, 9):
                producer.publish(
                    {"priority": priority},
                    routing_key=queue,
                    exchange="",
                    serializer="json",
                    priority=priority,
                )
            with channel.conn_or_acquire() as client:
                assert client.llen(queue) == 3
                assert list(client.scan_iter(f"{queue}*")) == [queue.encode()]
            got = [channel.basic_get(queue, no_ack=True) for _ in range(4)]
            assert [m.decode()["priority"] for m in got[:3] if m is not None] == [0, 5, 9]
            assert got[3] is None
        finally:
            channel.queue_delete(queue)
