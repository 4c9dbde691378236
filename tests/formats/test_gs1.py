"""A vial's GS1 DataMatrix as a keyboard-wedge scanner types it: GTIN, lot and expiry."""

from datetime import date

import pytest

from tracker.formats.gs1 import ScanError, read_vial_scan

EXPECTED = ("09506000134352", "LOT123", date(2027, 12, 31))


@pytest.mark.parametrize(
    "text",
    [
        "(01)09506000134352(17)271231(10)LOT123",  # the human-readable form
        "010950600013435217271231" + "10LOT123",  # the raw element string
        "]d2010950600013435210LOT123\x1d17271231",  # symbology id, a GS separator after the lot
        "  (01)09506000134352(17)271231(10)LOT123\n",
    ],
)
def test_gtin_lot_and_expiry_are_read(text):
    scan = read_vial_scan(text)
    assert (scan.gtin, scan.lot_number, scan.expires_on) == EXPECTED


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "empty"),
        ("hello", "not a GS1"),
        ("(01)09506000134353(10)X", "is not valid"),
        ("(10)LOT9", "no GTIN"),
        ("x" * 201, "too long"),
    ],
)
def test_what_cannot_be_read_is_said(text, words):
    with pytest.raises(ScanError) as refused:
        read_vial_scan(text)
    assert words in refused.value.message
