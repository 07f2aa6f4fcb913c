"""QR codes for check-in, drawn as inline SVG on the server: no script, no image request."""

import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def checkin_qr_svg(code: str) -> SafeString:
    """The check-in code as a QR code a phone or a door scanner reads.

    Dark on white whatever the page's background (scanners need the contrast), with the
    quiet zone of four modules the standard asks for, and a title for screen readers.
    """
    qr = segno.make(code, error="m", micro=False)
    svg = qr.svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="checkin-qr",
        title=_("QR code of check-in code %(code)s") % {"code": code},
    )
    # segno writes the markup itself and escapes the title: safe to put in the page as is.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
