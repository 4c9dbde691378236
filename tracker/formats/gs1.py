"""A vial's GS1 DataMatrix as a keyboard-wedge scanner types it, read with biip.

The scanner types the GS1 element string: raw (`0109506000134352...` with the GS character
after a variable-length field such as the lot), sometimes after the symbology identifier
(`]d2`), or in the human-readable form `(01)...(17)...(10)...`. What the nurse's form needs is
the product's GTIN (AI 01), the lot (AI 10) and the expiry (AI 17).
"""

from dataclasses import dataclass
from datetime import date

import biip
from biip.gs1_messages import GS1Message

MAX_SCAN_CHARS = 200


class ScanError(ValueError):
    """A scan that cannot be read as a vial's GS1 code; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class VialScan:
    """What a vial's code says: its GTIN (14 digits), lot and expiry where given."""

    gtin: str
    lot_number: str | None
    expires_on: date | None


def read_vial_scan(text: str) -> VialScan:
    """The GTIN, lot and expiry in a scanned GS1 element string, or ScanError."""
    text = text.strip()
    if not text:
        raise ScanError("the scan is empty: scan the code on the vial")
    if len(text) > MAX_SCAN_CHARS:
        raise ScanError(f"the scan is too long (over {MAX_SCAN_CHARS} characters)")
    message = _message(text)
    gtin = message.element_strings.get(ai="01")
    if gtin is not None and gtin.gtin is None:
        raise ScanError(
            f"the GTIN {gtin.value} in the scan is not valid ({gtin.gtin_error}): scan it again"
        )
    if gtin is None:
        raise ScanError(
            "the scan has no GTIN (01): scan the vial's DataMatrix, not a label of its own"
        )
    lot = message.element_strings.get(ai="10")
    expiry = message.element_strings.get(ai="17")
    return VialScan(
        gtin=gtin.gtin.as_gtin_14() if gtin.gtin is not None else gtin.value,
        lot_number=lot.value if lot else None,
        expires_on=expiry.date if expiry else None,
    )


def _message(text: str) -> GS1Message:
    try:
        if text.startswith("("):
            return GS1Message.parse_hri(text)
        result = biip.parse(text)
    except biip.ParseError as exc:
        raise ScanError(f"not a GS1 code biip can read: {exc}") from exc
    if result.gs1_message is None:
        raise ScanError(
            f"not a GS1 code biip can read: {result.gs1_message_error or 'no GS1 element string'}"
        )
    return result.gs1_message
