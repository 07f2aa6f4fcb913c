from django import template

from ..qr import checkin_qr_svg

register = template.Library()


@register.filter
def qr_svg(code: str):
    """{{ registration.checkin_code|qr_svg }}: the code as an inline SVG QR code."""
    return checkin_qr_svg(code) if code else ""
