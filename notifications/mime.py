"""The bytes of a notice as they go over SMTP, assembled without the e-mail package.

Why: folding and encoding every header of every message with `email.generator` costs
about a millisecond a message, more than the SMTP exchange with a local relay; a fan-out
to thousands spends its time there. The parts that are the same for every recipient of
one language and zone (the subject, the bodies around the name and the unsubscribe link)
are rendered once by NoticeRenderer; this module only joins them, encoding what varies.

The result is the MIME tree Django's EmailMultiAlternatives makes: multipart/alternative
(text/plain, text/html), inside multipart/mixed when a calendar invitation is attached.
Bodies go as 8bit UTF-8 (every SMTP server of the last thirty years takes them, and
Django sends them the same way); a body with a line too long for 8bit (over 998 bytes)
makes `assemble` return None and the caller use Django's own encoder instead.
"""

import base64
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate

from django.core.mail.message import sanitize_address

CRLF = b"\r\n"
LINE_LIMIT = 998  # RFC 5322 2.1.1, without the CRLF
FOLD_AT = 78  # RFC 5322 2.1.1: lines SHOULD be no longer


# Control characters (CR, LF, NUL, TAB…, category C*) have no place in a header's text:
# a CR or LF there ends the header and starts one the sender chose (header injection).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_text(value: str) -> str:
    """The value with every control character (line breaks included) made a space: what
    goes into a header line can never end it."""
    return _CONTROL.sub(" ", value)


def encoded_header(name: str, value: str) -> bytes:
    """One header line, RFC 2047-encoded when not ASCII, folded as the e-mail package does.
    Line breaks in `value` are spaces here: only this function's own folding breaks a line."""
    value = header_text(value)
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=chr(13) + chr(10))}".encode("ascii")
    line = f"{name}: {value}"
    if len(line) > FOLD_AT and " " not in value:
        # One long word (an address in angle brackets): on a line of its own.
        return f"{name}:\r\n {value}".encode("ascii")
    return line.encode("ascii")


# What a display name may hold unquoted (RFC 5322 atext, and spaces between words).
PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")


def format_address(display_name: str, address: str) -> str:
    """'Name <address>' for a header, as Django's sanitize_address writes it, without
    going through the e-mail package's parser for the common case (an ASCII address)."""
    display_name, address = header_text(display_name), header_text(address)
    if not address.isascii():
        return sanitize_address((display_name, address), "utf-8")
    if not display_name:
        return address
    if not display_name.isascii():
        name = Header(display_name, "utf-8").encode()
    elif PLAIN_NAME.fullmatch(display_name):
        name = display_name
    else:
        name = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def address_header(name: str, value: str) -> bytes:
    return f"{name}: {header_text(value)}".encode("ascii")


TOO_LONG = re.compile(rb"[^\n]{%d}" % (LINE_LIMIT + 1))


def _body(text: str) -> bytes | None:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    if TOO_LONG.search(data):
        return None
    return data.replace(b"\n", CRLF)


@dataclass(frozen=True)
class Attachment:
    content_type: str  # with its parameters, e.g. 'text/calendar; charset="utf-8"; method=REQUEST'
    filename: str
    data: bytes


class Writer:
    """Assembles messages sharing a sender and subject; built once per language and zone."""

    def __init__(self, *, sender: str, subject: str, headers: dict[str, str]):
        self.boundary = "===============" + secrets.token_hex(12) + "=="
        self.mixed_boundary = "===============" + secrets.token_hex(12) + "=="
        # The lines every message of the group carries, encoded once.
        self.constant = CRLF.join(
            [encoded_header("Subject", subject), address_header("From", sanitize_address(sender, "utf-8")),
             b"MIME-Version: 1.0"]
            + [encoded_header(name, value) for name, value in headers.items()]
        )

    def assemble(self, *, to: tuple[str, str], headers: dict[str, str], text: str, html: str,
                 attachment: Attachment | None = None) -> bytes | None:
        """The whole message, or None when a body cannot go as 8bit (see the module).

        `to` is (display name, address).
        """
        text_bytes, html_bytes = _body(text), _body(html)
        if text_bytes is None or html_bytes is None:
            return None
        if self.boundary.encode() in text_bytes + html_bytes:
            return None  # never in practice (random); Django's encoder picks another
        alternative = CRLF.join([
            f"--{self.boundary}".encode(),
            b'Content-Type: text/plain; charset="utf-8"',
            b"Content-Transfer-Encoding: 8bit",
            b"",
            text_bytes,
            f"--{self.boundary}".encode(),
            b'Content-Type: text/html; charset="utf-8"',
            b"Content-Transfer-Encoding: 8bit",
            b"",
            html_bytes,
            f"--{self.boundary}--".encode(),
            b"",
        ])
        alternative_type = f'Content-Type: multipart/alternative; boundary="{self.boundary}"'.encode()
        top = [address_header("To", format_address(*to)), f"Date: {formatdate()}".encode()]
        top += [encoded_header(name, value) for name, value in headers.items()]
        top.append(self.constant)
        if attachment is None:
            return CRLF.join([*top, alternative_type, b"", alternative])
        encoded = base64.encodebytes(attachment.data).replace(b"\n", CRLF).rstrip(CRLF)
        return CRLF.join([
            *top,
            f'Content-Type: multipart/mixed; boundary="{self.mixed_boundary}"'.encode(),
            b"",
            f"--{self.mixed_boundary}".encode(),
            alternative_type,
            b"",
            alternative,
            f"--{self.mixed_boundary}".encode(),
            f"Content-Type: {attachment.content_type}".encode(),
            b"Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; filename="{attachment.filename}"'.encode(),
            b"",
            encoded,
            f"--{self.mixed_boundary}--".encode(),
            b"",
        ])
