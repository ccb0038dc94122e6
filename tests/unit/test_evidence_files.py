"""R-IN-9: an evidence file's type is what its content is, its name is safe, and a download
is served so that no browser runs it (infra/evidence_files.py, docs/input.md)."""

from __future__ import annotations

import io
import zipfile

import pytest

from infra.config import Settings
from infra.evidence_files import (
    DOCX,
    OCTET_STREAM,
    Unacceptable,
    checked_type,
    content_disposition,
    detect,
    safe_filename,
    served_type,
)

ALLOWED = Settings().evidence_media_types
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(20)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64) + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01" + bytes(60)


def docx() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return data.getvalue()


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (JPEG, "image/jpg; name=x"),  # another name of the type, with a parameter
        ("客户来信：理赔未付。\r\n第二行\t完。".encode(), "text/plain"),
        ("客户来信".encode("gb18030"), "text/plain; charset=gb18030"),
        (docx(), DOCX),
    ],
)
def test_r_in_9_a_file_of_the_type_it_declares_is_taken(content: bytes, declared: str) -> None:
    assert checked_type(declared, content, ALLOWED) == declared.split(";")[0].replace("jpg", "jpeg")


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (HTML, "application/pdf"),
        (HTML, "image/png"),
        (HTML, "text/plain"),  # markup is not plain text
        (b"\n  <svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>", "text/plain"),
        (MZ, "text/plain"),
        (ELF, "text/plain"),
        (PNG, "application/pdf"),
        (b"plain words", "image/jpeg"),
        (b"text with an escape \x1b[31m", "text/plain"),
    ],
)
def test_r_in_9_content_that_is_not_what_it_declares_is_refused_naming_the_field(
    content: bytes, declared: str
) -> None:
    with pytest.raises(Unacceptable) as refused:
        checked_type(declared, content, ALLOWED)
    assert refused.value.status == 422 and refused.value.detail.startswith("Content-Type:")


@pytest.mark.parametrize(
    "declared", ["text/html", "application/x-msdownload", "image/svg+xml", "", "application/zip"]
)
def test_r_in_9_types_evidence_may_not_have_are_refused(declared: str) -> None:
    with pytest.raises(Unacceptable) as refused:
        checked_type(declared, HTML, [*ALLOWED, "text/html", "application/zip"])
    assert refused.value.status == 415  # settings may narrow the list, never widen it


def test_an_executable_is_recognised_as_one() -> None:
    assert detect(MZ) == "application/x-msdownload"


@pytest.mark.parametrize(
    "name",
    [
        "invoice\u202efdp.exe",  # right-to-left override: shows as invoiceexe.pdf
        "a\u2066b.pdf",
        "a\u200fb.pdf",
        "../etc/passwd",
        "..",
        "a/b.pdf",
        "a\\b.pdf",
        "CON",
        "con.txt",
        "LPT1.pdf",
        "Com9 .txt",
        "nul.tar.gz",
        "line\nbreak.txt",
        "tab\t.txt",
        "bell\x07.txt",
        "   ",
        "照" * 86 + ".pdf",  # 262 bytes of UTF-8
    ],
)
def test_r_in_9_unsafe_names_are_refused_naming_the_field(name: str) -> None:
    with pytest.raises(Unacceptable) as refused:
        safe_filename(name)
    assert refused.value.status == 422 and refused.value.detail.startswith("filename:")


def test_r_in_9_names_are_normalised_to_nfc_and_otherwise_kept() -> None:
    assert safe_filename("cafe\u0301.pdf") == "caf\u00e9.pdf"
    assert safe_filename("理赔 申请书 (2).pdf") == "理赔 申请书 (2).pdf"
    assert safe_filename("CONTRACT.pdf") == "CONTRACT.pdf"  # only the device names themselves
    assert safe_filename("照" * 80 + ".pdf") == "照" * 80 + ".pdf"  # 244 bytes


def test_downloads_carry_a_safe_disposition_and_type() -> None:
    header = content_disposition('理赔 "final"; a.pdf')
    assert header == (
        "attachment; filename=\"__ _final__ a.pdf\"; filename*=UTF-8''"
        "%E7%90%86%E8%B5%94%20%22final%22%3B%20a.pdf"
    )
    assert "\r" not in content_disposition("a\r\nSet-Cookie: x.pdf")
    assert served_type("application/pdf") == "application/pdf"
    assert served_type("text/plain; charset=utf-8") == "text/plain"
    assert served_type("text/html") == OCTET_STREAM
    assert served_type("audio/mpeg") == OCTET_STREAM
