"""What the regression tests of the penetration test's findings (issue 13) share: people of a
given organisation, an export-controlled paper, the profile form as a person posts it (the
fixtures are in tests/security/conftest.py)."""

from django.core.files.base import ContentFile
from django.urls import reverse

from forums.models import Document
from participants.models import Organization
from tests.factories import ProfileFactory, UserFactory


def signed_in(client, someone):
    client.force_login(someone)
    return client


def person(role: str, organization: Organization):
    """Someone of `organisation` as the portal knew them before the test's change."""
    return ProfileFactory(user=UserFactory(), role=role, organization=organization).user


def export_controlled_paper(cast, group) -> Document:
    document = Document(forum=group.forum, working_group=group, title="Dry-dock drawings",
                        marking=Document.Marking.EXPORT_CONTROLLED)
    document.file.save("drawings.pdf", ContentFile(b"%PDF-1.4 drawings"), save=True)
    return document


def download(client, document):
    return client.get(reverse("forums:download_paper", args=[document.pk]))


def profile_form(person, **changes) -> dict:
    profile = person.profile
    data = {"full_name": profile.full_name or "Someone", "full_name_ja": "", "job_title": "",
            "preferred_language": "en", "time_zone": "Asia/Tokyo", "organization": "", "new_organization": "",
            "country": ""}
    data.update({key: "" if value is None else value for key, value in changes.items()})
    return data


