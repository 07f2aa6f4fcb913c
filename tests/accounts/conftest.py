import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts sign-ups and confirmation e-mails per address in the cache, which
    outlives each test's database: start every test with a clean count."""
    cache.clear()
    yield
    cache.clear()
