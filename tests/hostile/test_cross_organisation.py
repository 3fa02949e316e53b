"""Every id-bearing URL, filled with the other organisation's ids, asked for by each role of
the first organisation: 404, as if the object did not exist, so ids cannot be probed. Every
action on such an object (a form's POST or a POST-only button) is posted to as each role
too: 404, and nothing of the other organisation changes.

The URLs and what each role may see come from the foundation's meta-test
(tests/test_url_permissions.py), which also checks what a POST from outside answers, so a
new action is posted to here the day its expectation is written; this adds the other
direction: insiders reaching out.
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


# URLs whose POST acts on an object of one organisation: an outsider's POST must get 404.
ACTIONS = sorted(
    name
    for name, expected in EXPECTATIONS.items()
    if expected.kwargs is not None and expected.post_by_outsider() == 404
)


def test_there_are_id_bearing_urls_to_check():
    assert len(ID_BEARING) >= 5


def test_post_only_actions_are_posted_to():
    post_only = {name for name, expected in EXPECTATIONS.items() if expected.outsider == 405}
    # Each of them answers a GET with 405; what it does to a POST decides whether it is here.
    assert {name for name in post_only if EXPECTATIONS[name].outsider_post == 404} <= set(ACTIONS)
    assert "nhsmail_check_now" in ACTIONS


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
@pytest.mark.parametrize("name", ACTIONS)
def test_posting_to_other_organisations_ids_changes_nothing(name, world, mirror_world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(mirror_world))
    before = other_organisation_rows(world.other_premises.organisation_id)
    for role in ROLES:
        if role == "portal_admin":
            continue
        response = sign_in(Client(), world.user(role)).post(url, {"confirm": "yes"})
        # Never a redirect that means "done", nor a form that says what was wrong with it.
        assert response.status_code == 404, f"POST {url} as {role}: {response.status_code}"
    assert other_organisation_rows(world.other_premises.organisation_id) == before
