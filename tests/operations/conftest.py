"""The integration tests' broker fixture (an emptied Redis database of the test's broker)."""

from tests.integration.conftest import clean_broker, free_port

__all__ = ["clean_broker", "free_port"]
