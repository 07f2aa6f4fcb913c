"""A roundtable open for registration at a frozen "now", and people from companies to fill it."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine

from forums.models import Meeting
from tests.factories import MeetingFactory, OrganizationFactory, UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# 10:00 in Tokyo on 1 March 2030: registration opened a week ago and closes in three weeks.
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def roundtable_for(**overrides) -> Meeting:
    values = {
        "kind": Meeting.Kind.ROUNDTABLE,
        "title_en": "Industry roundtable: co-sustainment at Japanese shipyards",
        "title_ja": "産業界ラウンドテーブル：日本の造船所における共同維持整備",
        "starts_at": NOW + timedelta(days=30),
        "ends_at": NOW + timedelta(days=30, hours=3),
        "registration_opens_at": NOW - timedelta(days=7),
        "registration_closes_at": NOW + timedelta(days=21),
        "capacity": 25,
        "seats_per_organization": 2,
        "visibility": Meeting.Visibility.PUBLIC,
    }
    values.update(overrides)
    return MeetingFactory(**values)


@pytest.fixture
def roundtable(db, frozen_now) -> Meeting:
    return roundtable_for()


def industry_rep(organization=None, **profile):
    """An industry representative with a complete profile, from `organization` (a new company if None)."""
    person = UserFactory(role="industry")
    person.profile.organization = organization or OrganizationFactory()
    person.profile.verified_organization = person.profile.organization  # as if the secretariat approved it
    for name, value in profile.items():
        setattr(person.profile, name, value)
    person.profile.save()
    return person

