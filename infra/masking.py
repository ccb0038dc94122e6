"""Customer numbers as people and logs may see them: one rule, used by the HTTP API (for roles
that may not see them), the channel adapters' log lines and errors, and the log processor.

`mask_number` keeps a number's last 4 characters and, when the number is long enough that at
least 4 stay hidden even so (a mobile, an ID number), its first 3 (a mobile's network, an ID
number's province); every other character becomes `*`, so the length shows. A number too
short to hide anything useful (under 8 characters) is hidden whole.

    13812345678          -> 138****5678
    310101198001011234   -> 310***********1234
    62345678             -> ****5678

`mask_name` keeps a person's name's first character (a Chinese surname) and hides the rest,
one `*` per character: `张伟` -> `张*`, `欧阳娜娜` -> `欧***`; a one-character name is hidden whole.
"""

from __future__ import annotations

import re

KEEP_LAST = 4
KEEP_FIRST = 3
_SHORT = 8  # under this, nothing is shown
_LONG = KEEP_FIRST + 4 + KEEP_LAST  # from here on the first 3 show too

# Mainland ID numbers (18 chars, last may be X), mobile numbers (+86 optional), and any other
# run of 7+ consecutive digits that may be a landline or account-like number (dates and times,
# with at most 4 digits in a row, stay readable).
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d{9})(?!\d)")
_DIGITS = re.compile(r"(?<!\d)\d{7,}(?!\d)")


def mask_number(number: str) -> str:
    """A phone or ID number with all but its last 4 (and, when long, first 3) characters
    hidden (module docstring)."""
    if len(number) < _SHORT:
        return "*" * len(number)
    first = KEEP_FIRST if len(number) >= _LONG else 0
    return number[:first] + "*" * (len(number) - first - KEEP_LAST) + number[-KEEP_LAST:]


def mask_recipient(recipient: str) -> str:
    """A notice's recipient: a number as `mask_number`; an email address keeps the first
    letter of its local part and its domain (`zhang.wei@example.com` -> `z***@example.com`)."""
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return mask_number(recipient)


def mask_text(text: str) -> str:
    """Every ID number, mobile number and run of 7 or more digits in free text, masked."""
    text = _ID.sub(lambda m: mask_number(m.group(0)), text)
    text = _MOBILE.sub(lambda m: m.group(1) + mask_number(m.group(2)), text)
    return _DIGITS.sub(lambda m: mask_number(m.group(0)), text)


def mask_name(name: str) -> str:
    """A person's name as a customer-facing page may show it (module docstring)."""
    name = name.strip()
    if len(name) < 2:
        return "*" * len(name)
    return name[0] + "".join(" " if ch.isspace() else "*" for ch in name[1:])
