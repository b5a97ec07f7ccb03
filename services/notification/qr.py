"""The attendee code as a QR code (PNG), for the organisers' scanners at the entrance."""

import io

import segno

CONTENT_TYPE = "image/png"
FILENAME = "attendee-code.png"


def qr_png(code):
    """A PNG of a QR code holding exactly ``code``; the same code always gives the same bytes."""
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()
