"""Fixtures of the regression tests of the penetration test's findings (issue 13)."""

import pytest

from forums.models import ForumCountry
from tests.factories import CountryFactory


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def countries(cast):
    """The forum's standing: Japan and the United States members, Australia an observer."""
    forum = cast.group_a.forum
    japan = CountryFactory(code="JP")
    us = CountryFactory(code="US", name_en="United States", name_ja="米国")
    australia = CountryFactory(code="AU", name_en="Australia", name_ja="オーストラリア")
    for country, standing in ((japan, "member"), (us, "member"), (australia, "observer")):
        ForumCountry.objects.create(forum=forum, country=country, standing=standing)
    return {"JP": japan, "US": us, "AU": australia}
