"""Every id-bearing URL, filled with the other organisation's ids, asked for by each role of
the first organisation: 404, as if the object did not exist, so ids cannot be probed.

The URLs and what each role may see come from the foundation's meta-test
(tests/test_url_permissions.py); this adds the other direction: insiders reaching out.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import ROLES, sign_in
from tests.hostile.unrelated import other_organisation_rows
from tests.test_url_permissions import EXPECTATIONS, assert_status

# URLs naming an object of one organisation: the ones an outsider must get 404 from.
ID_BEARING = sorted(
    name
    for name, expected in EXPECTATIONS.items()
    if expected.kwargs is not None and expected.outsider == 404
)


def test_there_are_id_bearing_urls_to_check():
    assert len(ID_BEARING) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("name", ID_BEARING)
def test_other_organisations_ids_answer_404(name, world, mirror_world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(mirror_world))
    for role in ROLES:
        response = sign_in(Client(), world.user(role)).get(url)
        if role == "portal_admin":
            # The LPC or RA team run every organisation: they see it as their own.
            wanted = 200 if role in expected.allowed else expected.denied
        else:
            wanted = 404
        assert_status(response, wanted, f"{url} (another organisation's) as {role}")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ID_BEARING)
def test_posting_to_other_organisations_ids_changes_nothing(name, world, mirror_world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(mirror_world))
    before = other_organisation_rows(world.other_premises.organisation_id)
    for role in ROLES:
        if role == "portal_admin":
            continue
        response = sign_in(Client(), world.user(role)).post(url, {"confirm": "yes"})
        # 405 where the view takes no POST at all; never a redirect that means "done".
        assert response.status_code in {404, 405}, f"POST {url} as {role}: {response.status_code}"
    assert other_organisation_rows(world.other_premises.organisation_id) == before
