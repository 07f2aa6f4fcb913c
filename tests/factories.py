import zoneinfo
from datetime import datetime, timedelta

import factory
from django.contrib.auth import get_user_model

from forums.models import AgendaItem, Forum, Meeting, Registration
from forums.models import Minutes
from participants.models import Country, Organization, Profile
from working_groups.models import ActionItem, Membership, WorkingGroup

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ["code"]

    code = "JP"
    name_en = "Japan"
    name_ja = "日本"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Shipyard {n} K.K.")
    kind = Organization.Kind.INDUSTRY
    country = factory.SubFactory(CountryFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}@example.org")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            ProfileFactory(user=user, role=extracted)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    organization = factory.SubFactory(OrganizationFactory)
    role = Profile.Role.INDUSTRY


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum
        django_get_or_create = ["acronym"]

    acronym = "DICAS"
    name = "Forum on Defense Industrial Cooperation, Acquisition, and Sustainment"


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingGroup

    forum = factory.SubFactory(ForumFactory)
    slug = factory.Sequence(lambda n: f"group-{n}")
    name_en = factory.Sequence(lambda n: f"Working group {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    working_group = factory.SubFactory(WorkingGroupFactory)
    person = factory.SubFactory(UserFactory)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    forum = factory.SubFactory(ForumFactory)
    kind = Meeting.Kind.PLENARY
    title_en = factory.Sequence(lambda n: f"Meeting {n}")
    starts_at = factory.LazyFunction(lambda: datetime.now(TOKYO).replace(microsecond=0) + timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + timedelta(hours=3))
    time_zone = "Asia/Tokyo"
    status = Meeting.Status.SCHEDULED
    visibility = Meeting.Visibility.PUBLIC


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    position = factory.Sequence(lambda n: n + 1)
    title_en = factory.Sequence(lambda n: f"Item {n}")
    duration_minutes = 30


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    person = factory.SubFactory(UserFactory)


class MinutesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Minutes

    meeting = factory.SubFactory(MeetingFactory)
    version = 1
    body = "## Summary\n\nThe group agreed the next steps."
    status = Minutes.Status.DRAFT


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    working_group = factory.SubFactory(WorkingGroupFactory)
    text = factory.Sequence(lambda n: f"Circulate the list of candidate shipyards ({n})")
    owner_person = factory.SubFactory(UserFactory, role="official")
    due_on = factory.LazyFunction(lambda: datetime.now(TOKYO).date() + timedelta(days=14))
