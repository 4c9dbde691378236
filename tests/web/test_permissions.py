"""What a page offers (`can`) is decided in Python from the same role rules as the routes."""

from dataclasses import asdict, fields

import pytest

from tests.security.role_matrix import ROLE_MATRIX
from tracker.web.permissions import NEEDS, NOBODY, Can, can_for


def test_every_permission_names_the_least_role_of_the_route_it_leads_to():
    assert set(NEEDS) == {f.name for f in fields(Can)}
    for name, (role, route) in NEEDS.items():
        assert ROLE_MATRIX[route] == role, (name, route)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", set()),
        ("nurse", {"log_infusions", "record_weight", "record_score", "see_home_address"}),
        ("pharmacist", set(NEEDS) - {"admin"}),
        ("admin", set(NEEDS)),
    ],
)
def test_each_role_may_what_its_rank_allows(role, allowed):
    assert {name for name, yes in asdict(can_for(role)).items() if yes} == allowed


def test_nobody_and_an_unknown_role_may_do_nothing():
    assert can_for(None) == NOBODY
    assert can_for("intern") == NOBODY
    assert not any(asdict(NOBODY).values())
