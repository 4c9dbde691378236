"""A vial's GS1 DataMatrix as a keyboard-wedge scanner types it, read with biip.

The scanner types the GS1 element string: raw (`0109506000134352...` with the GS character
after a variable-length field such as the lot), sometimes after the symbology identifier
(`]d2`), or in the human-readable form `(01)...(17)...(10)...`. What the nurse's form needs is
the product's GTIN (AI 01), the lot (AI 10) and the expiry (AI 17).

A product's GTIN as an admin types it from the pack (`gtin_14`) is checked by the same
library and kept as 14 digits, the form the scanner's AI 01 gives.
"""

from dataclasses import dataclass
from datetime import date

import biip
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

MAX_SCAN_CHARS = 200
GTIN_LENGTHS = (8, 12, 13, 14)


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


class GtinError(ValueError):
    """A typed GTIN that is not one; `message` says why, naming the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def gtin_14(text: str) -> str:
    """A GTIN-8, -12, -13 or -14 as typed (spaces allowed between digit groups), checked
    (length, digits, GS1 check digit) and padded to the 14 digits a vial's code carries;
    GtinError in plain words if it is not one."""
    digits = "".join(text.split())
    if not digits:
        raise GtinError("GTIN is empty: type the 8, 12, 13 or 14 digits under the barcode.")
    if not digits.isdigit():
        raise GtinError("GTIN must be digits only (spaces between groups are fine).")
    if len(digits) not in GTIN_LENGTHS:
        raise GtinError(f"GTIN must be 8, 12, 13 or 14 digits; this has {len(digits)}.")
    if not digits.strip("0"):
        raise GtinError(f"GTIN {digits} is all zeros: no product has it.")
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise GtinError(
            f"GTIN {digits} has a wrong check digit: the last digit should be {expected}. "
            "Check the number on the pack."
        )
    try:
        return Gtin.parse(digits).as_gtin_14()
    except biip.ParseError as exc:  # nothing the checks above let through, but say so
        raise GtinError(f"GTIN {digits} is not valid: {exc}") from exc
