"""Evidence files (R-IN-9) as they come in and go out (docs/input.md): the type decided from
the content, never from the caller's word; the name made safe; how a download is served.

The type: `filetype` reads the magic numbers of binary formats; a file with none is plain
text only if it decodes (UTF-8, or GB18030 as Chinese Windows writes it) to text without
control characters and is not markup (HTML, XML, SVG). Evidence may have only the types of
`EVIDENCE_TYPES` (the settings may narrow them, never widen them): no executables, no HTML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

import filetype

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Every type evidence can ever have, each one its content can be recognised as.
EVIDENCE_TYPES = frozenset(
    {PDF, JPEG, PNG, TEXT, "audio/mpeg", "audio/mp4", "audio/wav", DOCX, XLSX}
)
# Served with their own type (nothing a browser would run); every other one as a download of
# application/octet-stream.
INLINE_SAFE = frozenset({PDF, JPEG, PNG, TEXT})
OCTET_STREAM = "application/octet-stream"

# Other names of the same types, as clients and `filetype` spell them.
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
}
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f")
_MARKUP = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|body|script|iframe|svg|\?xml|meta|a\s)",
    re.IGNORECASE,
)

MAX_NAME_BYTES = 255
# Bidirectional controls: they make `invoice\u202efdp.exe` read as `invoiceexe.pdf`.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Windows device names, with or without an extension (`CON`, `con.txt`, `LPT1.pdf`).
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)


class Unacceptable(ValueError):
    """A file or name refused: `status` (415: a type evidence may not have; 422: content or
    name wrong) and what to say, naming the field."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def canonical(media_type: str) -> str:
    """A media type without parameters, lower case, under its usual name."""
    bare = media_type.split(";")[0].strip().lower()
    return _ALIASES.get(bare, bare)


def detect(content: bytes) -> str | None:
    """The type the content is, or None when it is none evidence can have a name for."""
    found = filetype.guess(content)
    if found is not None:
        return canonical(found.mime)
    return TEXT if _plain_text(content) else None


def _plain_text(content: bytes) -> bool:
    if _MARKUP.match(content[:512]):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(
            unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS_ALLOWED for ch in text
        )
    return False


def allowed_type(declared: str, allowed: Iterable[str]) -> str:
    """The declared type (`Content-Type`), or `Unacceptable` (415) unless evidence may have
    it (one of `EVIDENCE_TYPES` that `allowed`, the settings, name too)."""
    permitted = sorted(EVIDENCE_TYPES.intersection(canonical(t) for t in allowed))
    media_type = canonical(declared)
    if media_type not in permitted:
        raise Unacceptable(
            415,
            f"Content-Type: R-IN-9: evidence of type {media_type or '(none)'!r} is not "
            f"accepted; allowed: {', '.join(permitted)}",
        )
    return media_type


def checked_type(declared: str, content: bytes, allowed: Iterable[str]) -> str:
    """The upload's type: the declared one when evidence may have it (415 otherwise) and the
    content is of it (422 otherwise)."""
    media_type = allowed_type(declared, allowed)
    found = detect(content)
    if found != media_type:
        what = f"a {found} file" if found else "of no type evidence may have"
        raise Unacceptable(422, f"Content-Type: says {media_type}, but the content is {what}")
    return media_type


def safe_filename(name: str) -> str:
    """The name normalised to Unicode NFC, or `Unacceptable` (422) when it holds a
    bidirectional or other control character, a path (`/`, `\\`, `..`), a Windows device
    name, or more than 255 bytes of UTF-8."""
    normal = unicodedata.normalize("NFC", name)

    def refuse(why: str) -> Unacceptable:
        return Unacceptable(422, f"filename: {why}")

    if not normal.strip():
        raise refuse("is empty")
    if any(ch in _BIDI for ch in normal):
        raise refuse("may not hold bidirectional control characters")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in normal):
        raise refuse("may not hold control characters or line breaks")
    if "/" in normal or "\\" in normal or ".." in normal:
        raise refuse("is a name, not a path: no '/', '\\' or '..'")
    if normal.split(".")[0].strip().upper() in _RESERVED:
        raise refuse("may not be a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)")
    if len(normal.encode()) > MAX_NAME_BYTES:
        raise refuse(f"may be at most {MAX_NAME_BYTES} bytes of UTF-8")
    return normal


def served_type(media_type: str) -> str:
    """The type a download is served as: its own if inline-safe, else octet-stream."""
    found = canonical(media_type)
    return found if found in INLINE_SAFE else OCTET_STREAM


def content_disposition(filename: str) -> str:
    """`attachment` with the name for every client (RFC 6266, RFC 5987): an ASCII fallback
    with anything else replaced by `_`, and the name itself percent-encoded in UTF-8."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
