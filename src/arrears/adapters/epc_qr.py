"""The EPC payment QR code ("GiroCode", EPC069-12): a SEPA credit transfer a banking app reads
with the payee, IBAN, amount and remittance text filled in. Drawn by segno as SVG."""

from __future__ import annotations

import io
from decimal import Decimal

from segno import helpers

MAX_NAME = 70  # characters of the payee's name the standard allows
MAX_TEXT = 140  # characters of remittance text
MAX_AMOUNT = Decimal("999999999.99")


def epc_qr_svg(name: str, iban: str, amount: Decimal, text: str) -> bytes | None:
    """The QR code as an SVG document, or None when the transfer cannot be encoded (no payee name,
    an amount out of the standard's range 0.01 to 999,999,999.99 EUR)."""
    name = " ".join(name.split())[:MAX_NAME]
    text = " ".join(text.split())[:MAX_TEXT]
    if not name or not Decimal("0.01") <= amount <= MAX_AMOUNT:
        return None
    try:
        code = helpers.make_epc_qr(name=name, iban=iban, amount=amount, text=text or None)
    except ValueError:
        return None
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, xmldecl=False, svgclass="epc-qr")
    return out.getvalue()
