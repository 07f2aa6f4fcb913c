"""The Redis broker transport, with celery 5.7.0 / kombu 5.7.0's exit on a broker restart avoided.

On a lost broker connection the worker's consumer first collects the connection (kombu
sets the transport's client to None), then closes it. With acks_late and a task running,
the Redis channel's first close is cut short by its pending BRPOP, so the second close
restores the unacknowledged task through the collected client, and the task's late
acknowledgement, once it finishes, goes through it too: AttributeError ("'NoneType'
object has no attribute 'hostname'", in `Channel._connparams`), which celery treats as
unrecoverable, and the worker exits with status 1. The same AttributeError after a
collect is celery/kombu#582; workers stopping after a Redis reset, celery/celery#10205;
the close after the collect came with the fix of celery/celery#9705. PyPI has no newer
celery or kombu than 5.7.0 (December 2026), so the fix is ours, here.

A channel whose connection was collected answers with the connection error it is: the
close ignores it, a late acknowledgement logs "Couldn't ack", and the consumer
reconnects as after any other outage. The task is not acknowledged: Redis gives it again
after the visibility timeout if it kept it, and the outbox sweep re-queues the work in
any case (every task may run twice). The reproduction is
`tests/integration/test_broker_restart.py`; systemd restarts a worker that stops for any
other reason (`deploy/`).
"""

from kombu.transport import redis as kombu_redis
from redis import exceptions as redis_errors


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise redis_errors.ConnectionError("the broker connection of this channel was closed after an outage")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
