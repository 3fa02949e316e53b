"""Every form in the portal, filled with generated hostile values by each role allowed to see
it: never a server error, and nothing of another organisation changes.

Forms are found, not listed: each URL in the foundation's meta-test expectations is opened
as each role that gets 200 (and anonymously where that is allowed), and every <form> on the
page is read from the HTML and submitted as a browser would, with hypothesis choosing the
values. A form shared by many pages (one action, the same fields) is fuzzed once per role.

HOSTILE_EXAMPLES sets how many submissions each form gets per role (default 6); the values
are the same every run unless HOSTILE_RANDOM=1 asks for fresh ones (for exploring).
"""

import os
from collections import defaultdict

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROLES, sign_in
from tests.hostile.forms import forms_on
from tests.hostile.unrelated import other_organisation_rows
from tests.hostile.values import strategy_for
from tests.test_url_permissions import EXPECTATIONS

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "6"))
# Signing out ends the session the rest of the run needs; it has no fields to fuzz.
NOT_FUZZED = {"logout"}
_fuzzed = set()


def _fields_by_name(form):
    merged = {}
    for field in form.fields:
        if field.name in merged:
            known = merged[field.name]
            known.options = [*known.options, *field.options, field.value]
        else:
            merged[field.name] = field
    return merged


def _submit(client, form, values):
    if form.method == "post":
        return client.post(form.action, values)
    return client.get(form.action.split("?")[0], values)


def _fuzz(client, form, label):
    fields = _fields_by_name(form)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("HOSTILE_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries({name: strategy_for(f) for name, f in fields.items()}))
    def submit_hostile_values(values):
        response = _submit(client, form, values)
        assert response.status_code < 500, f"{label} answered {response.status_code}: {values!r}"

    submit_hostile_values()


def _who_may_open(expected):
    if expected.anonymous == 200:
        yield "anonymous"
    yield from (role for role in ROLES if role in expected.allowed)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_every_form_survives_hostile_input(name, world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(world) if expected.kwargs else None)
    before = other_organisation_rows(world.other_premises.organisation_id)
    fuzzed_here = defaultdict(list)
    for who in _who_may_open(expected):
        client = Client() if who == "anonymous" else sign_in(Client(), world.user(who))
        page = client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for form in forms_on(url, page.content.decode()):
            try:
                action_name = resolve(form.action.split("?")[0]).url_name
            except Resolver404:
                continue
            key = (who, action_name, form.method, form.field_names())
            if action_name in NOT_FUZZED or key in _fuzzed:
                continue
            _fuzzed.add(key)
            _fuzz(client, form, f"{form.method.upper()} {form.action} as {who} (from {url})")
            fuzzed_here[who].append(action_name)
            # A hostile value may have ended this user's session or membership: start afresh.
            client = Client() if who == "anonymous" else sign_in(Client(), world.user(who))
    assert other_organisation_rows(world.other_premises.organisation_id) == before
