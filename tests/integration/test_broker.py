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
