"""Which cache the portal uses: local memory by default, Redis shared by every process
when CACHE_URL (or REDIS_CACHE_URL) is set."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from tests.factories import MeetingFactory
from tests.production import PORTAL_VARIABLES, production_variables

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = production_variables()
SHOW = ("import django, json; django.setup(); from django.conf import settings; print(json.dumps({"
        "'backends': {alias: config['BACKEND'] for alias, config in settings.CACHES.items()},"
        "'location': settings.CACHES['default'].get('LOCATION'), 'sessions': settings.SESSION_ENGINE}))")


def settings_with(**variables: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"CACHE_URL", "REDIS_CACHE_URL", *PORTAL_VARIABLES}}
    environment.update(DJANGO_SETTINGS_MODULE="dicas_portal.settings", **variables)
    return subprocess.run([sys.executable, "-c", SHOW], cwd=PROJECT, env=environment, capture_output=True,
                          text=True, timeout=120)


def shown(**variables: str) -> dict:
    result = settings_with(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_embedded_default_keeps_its_cache_in_memory():
    found = shown()
    assert found["backends"]["default"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["backends"]["fragments"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["sessions"] == "django.contrib.sessions.backends.db"


def test_production_with_a_cache_url_shares_redis_between_processes():
    for name in ("CACHE_URL", "REDIS_CACHE_URL"):
        found = shown(**PRODUCTION, **{name: "redis://127.0.0.1:6379/3"})
        assert found["backends"]["default"] == found["backends"]["fragments"] == "dicas_portal.redis_cache.RedisCache"
        assert found["location"] == "redis://127.0.0.1:6379/3"
        # Django's cached_db, read in the same round trip as the generations (forums/cache.py).
        assert found["sessions"] == "dicas_portal.session_store"
        # Signed-in people's account rows (password hashes) stay in each process.
        assert found["backends"]["local"] == found["backends"]["fragments_local"] == (
            found["backends"]["signed_in_local"]) == "django.core.cache.backends.locmem.LocMemCache"


def test_production_without_a_shared_cache_keeps_no_fragment():
    """Each process would keep its own copy, and miss the changes another process made."""
    found = shown(**PRODUCTION)
    assert found["backends"]["fragments"] == "django.core.cache.backends.dummy.DummyCache"
    assert found["sessions"] == "django.contrib.sessions.backends.db"


def test_a_cache_url_that_is_not_redis_is_refused_naming_it():
    result = settings_with(**PRODUCTION, CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0 and "CACHE_URL" in result.stderr


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_pages_are_cached_and_a_change_shows_at_once(client, settings):
    """The same rules on Redis as on local memory: numbers that count (INCR), values that
    come back as they went in, one client per connection pool."""
    url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/13"
    redis_cache = {"BACKEND": "dicas_portal.redis_cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "dicas-test"}
    with override_settings(CACHES={**settings.CACHES, "fragments": redis_cache}):
        fragments = caches["fragments"]
        fragments.clear()
        assert fragments._cache.get_client() is fragments._cache.get_client()
        meeting = MeetingFactory(title_en="Plenary on Redis")
        assert "Plenary on Redis" in client.get("/meetings/").content.decode()
        with CaptureQueriesContext(connection) as again:
            assert "Plenary on Redis" in client.get("/meetings/").content.decode()
        assert len(again) == 0
        meeting.title_en = "Plenary renamed on Redis"
        meeting.save()
        assert "Plenary renamed on Redis" in client.get("/meetings/").content.decode()
        fragments.clear()
