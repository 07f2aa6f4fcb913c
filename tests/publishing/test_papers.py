"""Papers: the secretariat uploads PDF, Office documents and images only (by extension AND
by content), within the size limit, under a cleaned name; downloads pass the marking's
clearance, come as attachments, and every download of a non-public paper is audited."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from forums.models import Document, ForumCountry, Meeting
from forums.services import papers as paper_services
from notifications.models import Dispatch
from participants.models import Country
from tests.factories import MeetingFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.publishing.conftest import sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office_file(main_folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{main_folder}/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def post_paper(client, meeting, name="minutes.pdf", content=PDF, **fields):
    data = {"title": "Draft terms of reference", "language": "en", "marking": "official_use_only",
            "file": upload(name, content), **fields}
    return client.post(reverse("forums:paper_upload_meeting", args=[meeting.pk]), data)


# Uploading -------------------------------------------------------------------------------


def test_the_secretariat_uploads_a_pdf_to_a_meeting(client, cast, plenary, media_root):
    response = post_paper(sign_in(client, cast.secretariat), plenary, name="Terms of Reference 議事録.pdf")
    assert response.status_code == 302
    paper = Document.objects.get()
    assert (paper.meeting, paper.forum_id, paper.marking, paper.uploaded_by) == (
        plenary, plenary.forum_id, "official_use_only", cast.secretariat)
    stored = Path(paper.file.path)
    assert stored.is_relative_to(Path(media_root) / "papers")
    assert stored.name == "Terms_of_Reference_議事録.pdf" and stored.read_bytes() == PDF
    [dispatch] = Dispatch.objects.filter(event=Dispatch.Event.PAPER_ADDED)
    assert dispatch.target == paper and dispatch.audience == Dispatch.Audience.MEETING_VIEWERS


def test_the_secretariat_uploads_to_a_working_group_and_the_group_page_lists_it(client, cast, media_root):
    sign_in(client, cast.secretariat)
    url = reverse("forums:paper_upload_group", args=[cast.group_a.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Shipyard capacity", "language": "ja", "marking": "export_controlled",
                                 "file": upload("capacity.docx", office_file("word"))})
    assert response["Location"] == reverse("working_groups:detail", args=[cast.group_a.slug])
    paper = Document.objects.get()
    assert paper.working_group == cast.group_a and paper.meeting is None
    assert "Shipyard capacity" in client.get(response["Location"]).content.decode()
    assert Dispatch.objects.get(event=Dispatch.Event.PAPER_ADDED).audience == Dispatch.Audience.GROUP_MEMBERS


@pytest.mark.parametrize(("name", "content"), [
    ("report.pdf", PDF),
    ("photo.PNG", PNG),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
    ("chart.gif", b"GIF89a" + b"\x00" * 16),
    ("slides.pptx", office_file("ppt")),
    ("budget.xlsx", office_file("xl")),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16),
])
def test_allowed_kinds_are_accepted(cast, plenary, media_root, name, content):
    paper = paper_services.add_paper(by=cast.secretariat, upload=upload(name, content), title="A paper",
                                     language="en", marking="public", meeting=plenary)
    assert paper.pk and paper.file.name.startswith(f"papers/{plenary.forum_id}/")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("tool.exe", b"MZ\x90\x00" + b"\x00" * 16, "This kind of file is not accepted."),
    ("page.html", b"<html><script>alert(1)</script></html>", "This kind of file is not accepted."),
    ("drawing.svg", b"<svg onload=alert(1)></svg>", "This kind of file is not accepted."),
    ("no-extension", PDF, "This kind of file is not accepted."),
    ("disguised.pdf", b"<html><script>alert(1)</script></html>", "The file's content is not a .pdf file"),
    ("disguised.png", PDF, "The file's content is not a .png file"),
    ("fake.docx", b"PK\x03\x04 not really a zip", "The file's content is not a .docx file"),
    ("wrong-part.docx", office_file("xl"), "The file's content is not a .docx file"),
])
def test_a_wrong_kind_of_file_is_refused_and_nothing_is_stored(client, cast, plenary, media_root, name, content, message):
    response = post_paper(sign_in(client, cast.secretariat), plenary, name=name, content=content)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Document.objects.exists()
    assert not (Path(media_root) / "papers").exists() or not any((Path(media_root) / "papers").rglob("*.*"))


def test_an_oversized_file_is_refused_and_the_limit_is_a_setting(client, cast, plenary, media_root, settings):
    settings.PAPERS_MAX_UPLOAD_BYTES = 1024
    response = post_paper(sign_in(client, cast.secretariat), plenary, content=PDF + b"\x00" * 2048)
    assert response.status_code == 400
    assert "The file is too large" in response.content.decode()
    assert not Document.objects.exists()
    assert post_paper(client, plenary, content=PDF).status_code == 302  # under the limit


def test_the_default_limit_is_25_megabytes():
    from dicas_portal import settings as portal_settings

    assert portal_settings.PAPERS_MAX_UPLOAD_BYTES == 25 * 1024 * 1024


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\evil.pdf",
    "/etc/cron.d/evil.pdf",
    "....//....//evil.pdf",
    ".hidden.pdf",
    "evil\x00.pdf",
])
def test_a_path_traversal_filename_is_cleaned_and_stays_in_the_papers_folder(cast, plenary, media_root, name):
    paper = paper_services.add_paper(by=cast.secretariat, upload=upload(name, PDF), title="A paper",
                                     language="en", marking="public", meeting=plenary)
    stored = Path(paper.file.path).resolve()
    assert stored.is_relative_to((Path(media_root) / "papers").resolve())
    base = paper.file.name.rsplit("/", 1)[-1]
    assert ".." not in paper.file.name and "\\" not in base and not base.startswith(".") and "\x00" not in base
    assert base.endswith(".pdf")


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\me\\Report 2024.PDF", "Report_2024.pdf"),
    ("議事録 第1回.docx", "議事録_第1回.docx"),
    ("<script>.pdf", "script.pdf"),
    ("...pdf", "paper.pdf"),
    ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
])
def test_filenames_are_cleaned(raw, clean):
    assert paper_services.clean_filename(raw) == clean


@pytest.mark.parametrize("role", ["anonymous", "industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_uploads(client, cast, plenary, media_root, role):
    plenary.visibility = Meeting.Visibility.PUBLIC
    plenary.save()
    sign_in(client, cast.roles()[role])
    assert client.get(reverse("forums:paper_upload_meeting", args=[plenary.pk])).status_code == 403
    response = post_paper(client, plenary)
    assert response.status_code == 403 and "Only the secretariat adds papers." in response.content.decode()
    assert client.post(reverse("forums:paper_upload_group", args=[cast.group_a.slug]), {}).status_code == 403
    assert not Document.objects.exists()
    with pytest.raises(PermissionDenied):
        paper_services.add_paper(by=cast.roles()[role], upload=upload("a.pdf", PDF), title="x", language="en",
                                 marking="public", meeting=plenary)


def test_uploading_to_what_one_may_not_see_or_what_does_not_exist_answers_404(client, cast, group_meeting, media_root):
    sign_in(client, cast.outsider)
    assert post_paper(client, group_meeting).status_code == 404
    assert sign_in(client, cast.secretariat).get(reverse("forums:paper_upload_group", args=["nope"])).status_code == 404


def test_the_upload_page_refuses_the_wrong_method(client, cast, plenary):
    sign_in(client, cast.secretariat)
    assert client.put(reverse("forums:paper_upload_meeting", args=[plenary.pk])).status_code == 405
    assert client.delete(reverse("forums:paper_upload_group", args=[cast.group_a.slug])).status_code == 405


def test_an_invalid_marking_is_refused_by_the_service(cast, plenary, media_root):
    with pytest.raises(ValidationError):
        paper_services.add_paper(by=cast.secretariat, upload=upload("a.pdf", PDF), title="x", language="en",
                                 marking="top_secret", meeting=plenary)
    assert not Document.objects.exists()


# Downloading -----------------------------------------------------------------------------


@pytest.fixture
def member_country(cast):
    """Japan is a member of the forum; the cast's people work for Japanese organisations."""
    forum = cast.group_a.forum
    ForumCountry.objects.create(forum=forum, country=Country.objects.get(code="JP"),
                                standing=ForumCountry.Standing.MEMBER)
    return forum


def paper(cast, *, marking: str, meeting=None, group=None) -> Document:
    return paper_services.add_paper(by=cast.secretariat, upload=upload("paper.pdf", PDF), title=f"{marking} paper",
                                    language="en", marking=marking, meeting=meeting, working_group=group)


def download(client, document):
    return client.get(reverse("forums:download_paper", args=[document.pk]))


# Who may download each marking of a working group's paper (group A; the member is in it).
GROUP_PAPER_CLEARANCE = {
    "public": {"anonymous", "industry", "outsider", "member", "cochair", "secretariat"},
    "official_use_only": {"member", "cochair", "secretariat"},
    "export_controlled": {"member", "secretariat"},
}


@pytest.mark.parametrize("marking", list(GROUP_PAPER_CLEARANCE))
@pytest.mark.parametrize("role", ["anonymous", "industry", "outsider", "member", "cochair", "secretariat"])
def test_a_group_paper_downloads_only_with_the_markings_clearance(client, cast, member_country, media_root, marking, role):
    document = paper(cast, marking=marking, group=cast.group_a)
    response = download(sign_in(client, cast.roles()[role]), document)
    if role not in GROUP_PAPER_CLEARANCE[marking]:
        assert response.status_code == 404
    elif marking == "export_controlled":
        # Cleared, but the handling rule comes first (tests/publishing/test_handling.py).
        assert response["Location"] == reverse("forums:paper_handling", args=[document.pk])
    else:
        assert response.status_code == 200


def test_export_controlled_needs_a_member_country_too(client, cast, member_country, media_root):
    australia = Country.objects.create(code="AU", name_en="Australia")
    ForumCountry.objects.create(forum=member_country, country=australia, standing=ForumCountry.Standing.OBSERVER)
    observer = UserFactory(role="official")
    observer.profile.organization = observer.profile.verified_organization = OrganizationFactory(country=australia)
    observer.profile.save()
    MembershipFactory(working_group=cast.group_a, person=observer)
    document = paper(cast, marking="export_controlled", group=cast.group_a)
    assert download(sign_in(client, observer), document).status_code == 404
    paper_services.acknowledge_handling(document=document, by=cast.member)
    assert download(sign_in(client, cast.member), document).status_code == 200


def test_a_plenary_paper_for_official_use_goes_to_government_people_only(client, cast, member_country, media_root):
    public_plenary = MeetingFactory(visibility=Meeting.Visibility.PUBLIC)
    document = paper(cast, marking="official_use_only", meeting=public_plenary)
    assert download(client, document).status_code == 404
    assert download(sign_in(client, cast.industry), document).status_code == 404
    assert download(sign_in(client, cast.outsider), document).status_code == 200


def test_a_cleared_download_is_an_attachment_and_is_audited(client, cast, member_country, media_root):
    document = paper(cast, marking="export_controlled", group=cast.group_a)
    paper_services.acknowledge_handling(document=document, by=cast.member)
    response = download(sign_in(client, cast.member), document)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="paper.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.PAPER_DOWNLOADED)
    assert (event.actor, event.action, event.target, event.ip) == (
        cast.member, AuditEvent.Action.PAPER_DOWNLOADED, document, "127.0.0.1")
    assert event.detail == {"marking": "export_controlled"}


def test_a_japanese_filename_is_sent_encoded(client, cast, plenary, media_root):
    document = paper_services.add_paper(by=cast.secretariat, upload=upload("議事録.pdf", PDF), title="議事録",
                                        language="ja", marking="public", meeting=plenary)
    response = download(sign_in(client, cast.outsider), document)
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E8%AD%B0%E4%BA%8B%E9%8C%B2.pdf"


def test_a_refused_or_public_download_is_not_audited(client, cast, member_country, media_root):
    secret = paper(cast, marking="export_controlled", group=cast.group_a)
    public = paper(cast, marking="public", group=cast.group_a)
    assert download(sign_in(client, cast.outsider), secret).status_code == 404
    assert download(client, public).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PAPER_DOWNLOADED).exists()


def test_the_download_refuses_the_wrong_method(client, cast, member_country, media_root):
    document = paper(cast, marking="public", group=cast.group_a)
    assert client.post(reverse("forums:download_paper", args=[document.pk])).status_code == 405


def test_the_meeting_page_lists_only_the_papers_one_may_open(client, cast, member_country, group_meeting, media_root):
    paper(cast, marking="public", meeting=group_meeting)
    paper(cast, marking="export_controlled", meeting=group_meeting)
    member_page = sign_in(client, cast.member).get(group_meeting.get_absolute_url()).content.decode()
    assert "public paper" in member_page and "export_controlled paper" in member_page
    cochair_page = sign_in(client, cast.cochair).get(group_meeting.get_absolute_url()).content.decode()
    assert "public paper" in cochair_page and "export_controlled paper" not in cochair_page


# Penetration test, finding 7 ---------------------------------------------------------------


def opendocument(mimetype_member: bytes, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype_member, compress_type=compression)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def test_an_opendocument_that_inflates_beyond_the_limit_is_refused(client, cast, plenary, media_root, settings):
    settings.PAPERS_MAX_UNPACKED_BYTES = 1024 * 1024
    # 8 MB of spaces after the right mimetype: a few kilobytes on the wire.
    bomb = opendocument(b"application/vnd.oasis.opendocument.text" + b" " * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024

    with pytest.raises(ValidationError) as refused:
        paper_services.add_paper(by=cast.secretariat, upload=upload("bomb.odt", bomb), title="x", language="en",
                                 marking="public", meeting=plenary)

    assert "unpacks" in " ".join(refused.value.messages)
    assert not Document.objects.exists()


def test_an_office_file_that_inflates_beyond_the_limit_is_refused(cast, plenary, media_root, settings):
    settings.PAPERS_MAX_UNPACKED_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<document/>" + b" " * (8 * 1024 * 1024))

    with pytest.raises(ValidationError):
        paper_services.add_paper(by=cast.secretariat, upload=upload("bomb.docx", buffer.getvalue()), title="x",
                                 language="en", marking="public", meeting=plenary)


def test_a_real_opendocument_within_the_limit_is_accepted(cast, plenary, media_root):
    document = opendocument(b"application/vnd.oasis.opendocument.text", compression=zipfile.ZIP_STORED)
    paper = paper_services.add_paper(by=cast.secretariat, upload=upload("terms.odt", document), title="Terms",
                                     language="en", marking="public", meeting=plenary)
    assert paper.file.name.endswith(".odt")


@pytest.mark.parametrize("marking", ["official_use_only", "export_controlled"])
def test_a_marked_paper_is_never_kept_by_a_browser_or_proxy_cache(client, cast, member_country, media_root, marking):
    document = paper(cast, marking=marking, group=cast.group_a)
    paper_services.acknowledge_handling(document=document, by=cast.member)  # the export-control rule, read

    response = download(sign_in(client, cast.member), document)

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
