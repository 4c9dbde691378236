"""A vial's GS1 DataMatrix as a keyboard-wedge scanner types it: GTIN, lot and expiry."""

from datetime import date

import pytest

from tracker.formats.gs1 import GtinError, ScanError, gtin_14, read_vial_scan

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


@pytest.mark.parametrize(
    "typed,kept",
    [
        ("09506000134352", "09506000134352"),  # GTIN-14
        ("9506000134352", "09506000134352"),  # GTIN-13, as under an EAN barcode
        ("9 506000 134352", "09506000134352"),  # with the spaces printed on the pack
        ("614141000036", "00614141000036"),  # GTIN-12 (UPC-A)
        ("96385074", "00000096385074"),  # GTIN-8
    ],
)
def test_a_typed_gtin_is_checked_and_kept_as_14_digits(typed, kept):
    assert gtin_14(typed) == kept


@pytest.mark.parametrize(
    "typed,words",
    [
        ("", "GTIN is empty"),
        ("95O6000134352", "GTIN must be digits only"),  # a letter O
        ("1234567", "GTIN must be 8, 12, 13 or 14 digits; this has 7"),
        ("123456789012345", "this has 15"),
        ("9506000134353", "wrong check digit: the last digit should be 2"),
        ("00000000", "all zeros"),
    ],
)
def test_a_typed_number_that_is_no_gtin_is_refused_in_words(typed, words):
    with pytest.raises(GtinError) as refused:
        gtin_14(typed)
    assert words in refused.value.message
