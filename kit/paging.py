"""Page cursors: the key of a page's last row, opaque to clients (base64url of its parts joined by "|")."""

import base64


def cursor(*parts):
    return base64.urlsafe_b64encode("|".join(str(part) for part in parts).encode()).decode()


def read(cursor, *kinds, invalid):
    """The parts of ``cursor``, each read by its kind: a type (or any function of the text), or a string
    the part must equal (a label, so a cursor of one listing is no use to another), which is left out of
    the answer. Anything else raises ``invalid``."""
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if len(parts) != len(kinds):
            raise ValueError(parts)
        values = []
        for kind, part in zip(kinds, parts, strict=True):
            if isinstance(kind, str):
                if part != kind:
                    raise ValueError(part)
            else:
                values.append(kind(part))
        return values
    except ValueError:
        raise invalid("this page cursor is not valid") from None
