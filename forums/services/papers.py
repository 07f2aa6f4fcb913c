"""Adding papers to a meeting or a working group. One function per action, keyword-only,
one transaction each.

A paper is stored only when its name ends in an allowed extension AND its first bytes are
what that kind of file starts with: a renamed script or HTML page is refused even when
called "report.pdf". Downloads go through forums.views.download_paper, never a media URL.
"""

import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event
from notifications.models import Dispatch
from notifications.services import record_dispatch
from working_groups.models import WorkingGroup

from ..models import Document, Meeting
from ..permissions import can_upload_paper

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word, Excel and PowerPoint before 2007
ZIP_SIGNATURE = b"PK\x03\x04"
HEAD_BYTES = 16
LONGEST_NAME = 120


def _zip_member_check(required_prefix: str) -> Callable[[bytes, File], bool]:
    """An Office Open XML file is a zip holding [Content_Types].xml and its main part's folder."""

    def check(head: bytes, upload: File) -> bool:
        if not head.startswith(ZIP_SIGNATURE):
            return False
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, EOFError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and any(name.startswith(required_prefix) for name in names)

    return check


def _opendocument_check(mimetype: str) -> Callable[[bytes, File], bool]:
    """An OpenDocument file is a zip whose first member, "mimetype", names its kind."""

    def check(head: bytes, upload: File) -> bool:
        if not head.startswith(ZIP_SIGNATURE):
            return False
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive, archive.open("mimetype") as member:
                # A few bytes only: the member may claim to be small and be a bomb.
                return member.read(len(mimetype) + 8).decode("ascii", "replace").strip() == mimetype
        except (zipfile.BadZipFile, KeyError, OSError, EOFError):
            return False
        finally:
            upload.seek(0)

    return check


# A zip with more members than this is no paper (a document has tens, a deck hundreds).
MAX_ZIP_MEMBERS = 10_000


def unpacked_size_problem(upload: File) -> str | None:
    """Why a zip-based paper (Office, OpenDocument) is refused before anything reads into
    it, or None. The bound is on the sizes the archive declares; Python's zipfile never
    inflates a member beyond its declared size, so a lying archive gains nothing."""
    limit = settings.PAPERS_MAX_UNPACKED_BYTES
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return None  # not a zip at all: the content check says what is wrong
    finally:
        upload.seek(0)
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > limit:
        return _("The file unpacks to %(size)s; the most the portal accepts is %(limit)s.") % {
            "size": filesizeformat(unpacked), "limit": filesizeformat(limit)}
    return None


def _starts_with(*signatures: bytes) -> Callable[[bytes, File], bool]:
    return lambda head, upload: any(head.startswith(signature) for signature in signatures)


def _webp(head: bytes, upload: File) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


@dataclass(frozen=True)
class PaperType:
    content_type: str
    matches: Callable[[bytes, File], bool]


ALLOWED_TYPES: dict[str, PaperType] = {
    "pdf": PaperType("application/pdf", _starts_with(b"%PDF-")),
    "docx": PaperType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip_member_check("word/")
    ),
    "xlsx": PaperType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip_member_check("xl/")),
    "pptx": PaperType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", _zip_member_check("ppt/")
    ),
    "doc": PaperType("application/msword", _starts_with(OLE2_SIGNATURE)),
    "xls": PaperType("application/vnd.ms-excel", _starts_with(OLE2_SIGNATURE)),
    "ppt": PaperType("application/vnd.ms-powerpoint", _starts_with(OLE2_SIGNATURE)),
    "odt": PaperType("application/vnd.oasis.opendocument.text", _opendocument_check("application/vnd.oasis.opendocument.text")),
    "ods": PaperType(
        "application/vnd.oasis.opendocument.spreadsheet", _opendocument_check("application/vnd.oasis.opendocument.spreadsheet")
    ),
    "odp": PaperType(
        "application/vnd.oasis.opendocument.presentation",
        _opendocument_check("application/vnd.oasis.opendocument.presentation"),
    ),
    "png": PaperType("image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    "jpg": PaperType("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "jpeg": PaperType("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "gif": PaperType("image/gif", _starts_with(b"GIF87a", b"GIF89a")),
    "webp": PaperType("image/webp", _webp),
}
# SVG is deliberately absent: it is a document that can carry scripts.


def clean_filename(name: str) -> str:
    """A safe base name: no folders (either slash), no control or odd characters, no
    leading dot, at most LONGEST_NAME characters with the extension kept. Japanese letters stay."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(character for character in name if unicodedata.category(character)[0] != "C")
    name = re.sub(r"\s+", "_", name.strip())
    name = re.sub(r"[^\w.\-]", "", name)  # \w is Unicode-aware: 議事録.pdf keeps its name
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    # No leading dot (hidden files), no run of dots anywhere in what is left.
    stem = re.sub(r"\.{2,}", ".", stem).lstrip(".-_")
    extension = extension.lower()
    stem = stem[: LONGEST_NAME - len(extension) - 1] or "paper"
    return f"{stem}.{extension}" if extension else stem


def extension_of(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def content_type_for(name: str) -> str:
    paper_type = ALLOWED_TYPES.get(extension_of(name))
    return paper_type.content_type if paper_type else "application/octet-stream"


def check_upload(upload: File) -> str:
    """Returns the cleaned file name, or raises ValidationError saying what is wrong."""
    limit = settings.PAPERS_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s); the most the portal accepts is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    name = clean_filename(upload.name)
    paper_type = ALLOWED_TYPES.get(extension_of(name))
    if paper_type is None:
        raise ValidationError(
            _("This kind of file is not accepted. Upload a PDF, an Office document or an image (%(kinds)s).")
            % {"kinds": ", ".join(sorted(ALLOWED_TYPES))},
            code="wrong_type",
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if head.startswith(ZIP_SIGNATURE) and (problem := unpacked_size_problem(upload)):
        raise ValidationError(problem, code="too_large_unpacked")
    if not paper_type.matches(head, upload):
        raise ValidationError(
            _("The file's content is not a .%(extension)s file, whatever its name says.") % {"extension": extension_of(name)},
            code="content_mismatch",
        )
    return name


def add_paper(
    *,
    by,
    upload: File,
    title: str,
    language: str,
    marking: str,
    meeting: Meeting | None = None,
    working_group: WorkingGroup | None = None,
    releasable_to: list[str] | tuple[str, ...] = (),
) -> Document:
    """Stores a paper for a meeting or a working group (exactly one of them).

    Side effects: the file in the default storage under papers/<forum>/, one Document row,
    and a PAPER_ADDED Dispatch (to the meeting's viewers or the group's members; whoever
    is told must still pass the marking's clearance to download it).
    Raises PermissionDenied (not the secretariat) or ValidationError (type, content, size,
    marking or missing fields). `releasable_to`: ISO codes of the countries of a REL TO marking.
    """
    if not can_upload_paper(by):
        raise PermissionDenied(_("Only the secretariat adds papers."))
    if (meeting is None) == (working_group is None):
        raise ValueError("add_paper() needs a meeting or a working group, not both")
    name = check_upload(upload)
    forum_id = meeting.forum_id if meeting is not None else working_group.forum_id
    document = Document(
        forum_id=forum_id,
        meeting=meeting,
        working_group=working_group,
        title=title,
        language=language,
        marking=marking,
        releasable_to=sorted(set(releasable_to)),
        uploaded_by=by,
    )
    document.full_clean(exclude=["file"])
    document.file.save(name, File(upload, name=name), save=False)
    try:
        with transaction.atomic():
            document.save()
            record_dispatch(
                event=Dispatch.Event.PAPER_ADDED,
                target=document,
                audience=Dispatch.Audience.MEETING_VIEWERS if meeting is not None else Dispatch.Audience.GROUP_MEMBERS,
                context={
                    "meeting_id": meeting.pk if meeting is not None else None,
                    "working_group_id": working_group.pk if working_group is not None else None,
                    "marking": marking,
                },
            )
            record_event(actor=by, action=AuditEvent.Action.PAPER_ADDED, target=document,
                         detail={"marking": marking, "file": document.file.name})
    except Exception:
        # No row points at the stored file: remove it rather than leave an orphan behind.
        document.file.delete(save=False)
        raise
    return document


def acknowledge_handling(*, document: Document, by) -> None:
    """The person acknowledges the handling rule of an export-controlled paper, before its
    first download. Side effects: one audit event (the record the download checks)."""
    with transaction.atomic():
        record_event(actor=by, action=AuditEvent.Action.HANDLING_ACKNOWLEDGED, target=document,
                     detail={"marking": document.marking, "releasable_to": list(document.releasable_to)})
