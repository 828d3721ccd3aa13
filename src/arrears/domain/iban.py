"""International bank account numbers (ISO 13616) of the SEPA countries: finding one in free text
(the bank-transfer instructions) and checking it, for the EPC payment QR code ("GiroCode"), which
is for SEPA credit transfers only."""

from __future__ import annotations

import re

# The length of an IBAN in each SEPA country (EPC409-09, the scheme's countries and territories).
SEPA_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "VA": 22,
}  # fmt: skip
_START = re.compile(r"(?<![A-Z0-9])([A-Z]{2})[0-9]{2}")
_BODY = re.compile(r"[A-Z0-9]+")


def is_iban(text: str) -> bool:
    """Whether `text` (spaces allowed, any case) is the IBAN of a SEPA country: its country's
    length, letters and digits only, and the ISO 7064 mod 97-10 check (the number read with
    A=10 … Z=35, its first four characters moved to the end, leaves 1)."""
    compact = text.replace(" ", "").upper()
    if len(compact) != SEPA_LENGTHS.get(compact[:2], -1) or not _BODY.fullmatch(compact):
        return False
    if not compact[2:4].isdigit():
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def find_iban(text: str) -> str | None:
    """The first valid SEPA IBAN written in `text` (in groups of four or in one piece, any case),
    in its compact form (DE89370400440532013000); None when there is none."""
    upper = text.upper()
    for start in _START.finditer(upper):
        length = SEPA_LENGTHS.get(start.group(1))
        if length is None:
            continue
        taken: list[str] = []
        position = start.start()
        while position < len(upper) and len(taken) < length:
            ch = upper[position]
            if ch.isascii() and ch.isalnum():
                taken.append(ch)
            elif ch != " " or position + 1 >= len(upper) or upper[position + 1] == " ":
                break  # one space between groups at most
            position += 1
        candidate = "".join(taken)
        after = upper[position : position + 1]
        if len(candidate) == length and not (after.isascii() and after.isalnum()) and is_iban(candidate):
            return candidate
    return None
