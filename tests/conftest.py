"""Fixtures shared by every test, and the rule for tests that need real services:
on a developer's laptop without the service they skip with the reason; in CI
(CI=true) they never skip, and a missing service fails the run."""

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

from dicas_portal.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"

# Property-based tests (tests/security/test_fuzz_*.py): a few thousand examples in all by
# default; HYPOTHESIS_PROFILE=thorough for ten times as many.
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "default", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def postgres_missing_reason() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)"
    return None


def redis_missing_reason() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return "needs Redis: set CELERY_BROKER_URL=redis://… (CI does)"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"needs Redis at {url}: {error}"
    return None


SERVICE_CHECKS = {
    "postgres": [postgres_missing_reason],
    "redis": [redis_missing_reason],
    "worker": [postgres_missing_reason, redis_missing_reason],
}


def pytest_runtest_setup(item):
    for marker, checks in SERVICE_CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        for check in checks:
            reason = check()
            if reason is None:
                continue
            if IN_CI:
                pytest.fail(f"CI=true but the service is missing: {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture
def icaljs():
    """For tests that read calendars with ical.js (tests/calendar_clients.py): skips without
    Node or `npm ci` in tests/js, with the reason; fails in CI."""
    from tests.calendar_clients import icaljs_missing_reason

    reason = icaljs_missing_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but ical.js cannot run: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def celery_in_process(request):
    """Unit tests run tasks in-process; tests marked `worker` use the real one."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def meeting_changes_told_at_once(settings):
    """Meeting changes are told at once in tests, unless a test of the hold sets one."""
    settings.NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS = 0


@pytest.fixture
def test_database_url() -> str:
    """A DATABASE_URL for subprocesses that must see the test database."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Cast:
    """One person per role, and two working groups: A (the member's) and B."""

    def __init__(self):
        from tests.factories import MembershipFactory, UserFactory, WorkingGroupFactory

        self.group_a = WorkingGroupFactory(slug="ship-repair", name_en="Ship repair and maintenance",
                                           name_ja="艦船の補修・整備")
        self.group_b = WorkingGroupFactory(slug="missiles", name_en="Missile co-production", name_ja="ミサイル共同生産")
        self.industry = UserFactory(role="industry")
        self.outsider = UserFactory(role="official")
        self.member = UserFactory(role="official")
        self.cochair = UserFactory(role="cochair")
        self.secretariat = UserFactory(role="secretariat")
        MembershipFactory(working_group=self.group_a, person=self.member)

    def roles(self) -> dict:
        return {
            "anonymous": None, "industry": self.industry, "outsider": self.outsider,
            "member": self.member, "cochair": self.cochair, "secretariat": self.secretariat,
        }


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


@pytest.fixture(autouse=True)
def fresh_cache():
    """allauth counts sign-in failures, sign-ups and used TOTP codes in the cache, which
    outlives each test's database: every test starts with clean counts."""
    from django.core.cache import caches

    # Every alias: the default one, and those of rendered fragments and page frames (forums/cache.py).
    for alias in caches:
        caches[alias].clear()
    yield
    for alias in caches:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing a password properly takes a third of a second; tests make hundreds of people."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
