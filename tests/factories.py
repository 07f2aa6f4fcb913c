import zoneinfo
from datetime import datetime, timedelta

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model
from django.utils import timezone

from forums.models import AgendaItem, Forum, Meeting, Registration
from forums.models import Minutes
from participants.models import Country, Organization, Profile
from participants.permissions import mfa_required
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
            ProfileFactory(user=user, role=extracted, mfa=False)  # the user's own `mfa` decides

    @factory.post_generation
    def mfa(user, create, extracted, **kwargs):
        """Officials, co-chairs and the secretariat cannot use the portal without a second
        factor (participants/mfa.py): they get an authenticator app unless `mfa=False`."""
        if create and extracted is not False and (extracted or mfa_required(user)):
            enrol_totp(user)


def enrol_totp(user, secret: str | None = None) -> str:
    """Gives `user` an authenticator app (TOTP) and returns its secret."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, at=None) -> str:
    """The code an authenticator app shows for `secret` now (or at `at`)."""
    moment = (at or timezone.now()).timestamp()
    return format_hotp_value(hotp_value(secret, int(moment) // 30))


def totp_secret_of(user) -> str:
    return decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    organization = factory.SubFactory(OrganizationFactory)
    # The cast works for organisations the portal has verified; tests of unverified people say so.
    verified_organization = factory.SelfAttribute("organization")
    role = Profile.Role.INDUSTRY

    @factory.post_generation
    def mfa(profile, create, extracted, **kwargs):
        if create and extracted is not False and mfa_required(profile.user):
            enrol_totp(profile.user)


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


def confirm_email(user):
    """allauth signs in only accounts whose address is confirmed (and adds MFA only then)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user
