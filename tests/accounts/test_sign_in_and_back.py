"""A signed-out reader who follows a link (from an e-mail, typically) to something not
public is asked to sign in, in their language, and brought back to it; a meeting they may
not see and one that does not exist are answered alike, so the answer tells nothing."""

import re
from urllib.parse import quote

import pytest

from django.core.files.base import ContentFile

from forums.models import Document, Meeting
from tests.factories import MeetingFactory, confirm_email, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
CHALLENGE = "/accounts/2fa/authenticate/"


@pytest.fixture
def members_only(cast) -> Meeting:
    return MeetingFactory(forum=cast.group_a.forum, working_group=cast.group_a,
                          visibility=Meeting.Visibility.GROUP_MEMBERS, title_en="Ship repair: session for members",
                          title_ja="艦船の補修・整備：部会員の会合")


def test_a_signed_out_reader_signs_in_and_lands_on_the_members_only_meeting(client, cast, members_only):
    member = confirm_email(cast.member)
    url = members_only.get_absolute_url()

    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
    sign_in_url = f"/accounts/login/?next={quote(url)}"
    assert response.status_code == 302 and response["Location"] == sign_in_url

    sign_in_page = client.get(sign_in_url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in sign_in_page
    assert "ログインしてください" in sign_in_page  # why they are here, in their language
    assert "艦船の補修・整備：部会員の会合" not in sign_in_page

    signed = client.post(sign_in_url, {"login": member.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ja")
    assert signed.status_code == 302 and signed["Location"] == CHALLENGE
    second_factor = client.post(CHALLENGE, {"code": totp_code(totp_secret_of(member))})
    assert second_factor.status_code == 302 and second_factor["Location"] == url
    meeting_page = client.get(url)
    assert meeting_page.status_code == 200 and "Ship repair: session for members" in meeting_page.content.decode()


def test_a_hidden_meeting_and_a_missing_one_are_answered_alike(client, members_only):
    missing_id = Meeting.objects.order_by("-pk").first().pk + 1000

    def answer_and_sign_in_page(meeting_id: int) -> tuple[int, str, str]:
        response = client.get(f"/meetings/{meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
        page = client.get(response["Location"]).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)  # a new token each time
        def without_id(text: str) -> str:
            return text.replace(f"/meetings/{meeting_id}/", "/meetings/ID/").replace(
                f"%2Fmeetings%2F{meeting_id}%2F", "%2Fmeetings%2FID%2F")

        return response.status_code, without_id(response["Location"]), without_id(page)

    hidden = answer_and_sign_in_page(members_only.pk)
    assert hidden[0] == 302
    assert hidden == answer_and_sign_in_page(missing_id)


def test_signed_in_someone_who_may_not_see_it_gets_the_same_404_as_for_a_missing_one(client, cast, members_only):
    client.force_login(cast.outsider)
    hidden = client.get(members_only.get_absolute_url())
    missing = client.get("/meetings/999999/")
    assert hidden.status_code == missing.status_code == 404


def test_a_signed_out_reader_of_a_members_paper_is_offered_to_sign_in_and_come_back(client, cast, members_only,
                                                                                   settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    paper = Document(forum=members_only.forum, working_group=cast.group_a, title="Dock survey",
                     marking=Document.Marking.OFFICIAL_USE_ONLY)
    paper.file.save("survey.pdf", ContentFile(b"%PDF-1.4 restricted"), save=True)
    hidden = client.get(f"/papers/{paper.pk}/download/", HTTP_ACCEPT_LANGUAGE="ja")
    missing = client.get("/papers/999999/download/", HTTP_ACCEPT_LANGUAGE="ja")
    assert hidden.status_code == missing.status_code == 404
    page = hidden.content.decode()
    assert "ページが見つかりません" in page
    assert f'href="/accounts/login/?next=/papers/{paper.pk}/download/"' in page
