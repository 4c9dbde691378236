"""One MRN however it is typed; one person however their name is cased."""

from datetime import date

import pytest

from tracker.rules.identity import mrn_key, same_person


@pytest.mark.parametrize(
    "typed", ["BAD65252", "bad65252", "BAD65252.", " Bad-652/52 ", "bad_65.252"]
)
def test_an_mrn_typed_many_ways_is_one_mrn(typed):
    assert mrn_key(typed) == "bad65252"


def test_different_mrns_stay_different():
    assert mrn_key("BAD65252") != mrn_key("BAD65253")


def test_same_person_compares_names_without_case_or_spaces_and_the_birth_date():
    born = date(1970, 5, 1)
    assert same_person(("Ada", "Byron", born), (" ada ", "BYRON", born))
    assert not same_person(("Ada", "Byron", born), ("Ada", "Byron", date(1970, 5, 2)))
    assert not same_person(("Ada", "Byron", born), ("Ava", "Byron", born))
