"""Every form in the portal, filled with generated hostile values by each role that sees it:
never a server error, every submission reaches the form (it answers with a redirect or
with that form again and its errors, never a 404, 403 or 405 that means it went nowhere),
and nothing of another organisation changes.

One case per form, named by the URL it submits to (FORMS). Each case builds the state its
form appears in (an open request for a claim button, a valid link for setting a password,
a signed-in person not yet past two-factor), opens the page the form is on, finds the form
in the HTML, asserts it is there for each role listed, and submits it as a browser would,
with hypothesis choosing the values. Each submission runs in a savepoint that is rolled
back after it is checked, so every example meets the form in the same state: a request
cancelled by the first example is still open for the next.

`test_every_form_the_portal_renders_has_a_case` opens every page of the foundation's
meta-test as everyone it lets in and fails on a form whose action has no case here, and
on a POST-only action with none.

HOSTILE_EXAMPLES sets how many submissions each form gets per role (default 6); the values
are the same every run unless HOSTILE_RANDOM=1 asks for fresh ones (for exploring).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from tests.conftest import ROLES, sign_in
from tests.hostile.forms import forms_on
from tests.hostile.unrelated import other_organisation_rows
from tests.hostile.values import strategy_for
from tests.test_url_permissions import EXPECTATIONS

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "6"))
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class FormCase:
    """Where a form is found and who sees it there."""

    # the URL name of the page the form is on
    page: str
    # world -> the page's URL kwargs, building the state the form shows in; None: the
    # page's own kwargs from the URL meta-test's expectations
    kwargs: Callable | None = None
    # who sees the form there; empty: everyone the page lets in
    who: tuple = ()
    # signed in but not yet past two-factor (with a device when True, none when "new")
    unverified: bool | str = False


def staff_request(world):
    from tests.smartcards.url_expectations import staff_request

    return staff_request(world)


def claimed_request(world):
    from tests.smartcards.url_expectations import claimed_request

    return claimed_request(world)


def staff_with_card(world):
    from tests.smartcards.factories import holder_for

    holder_for(world.staff)
    return {"pk": world.premises.pk}


def awaiting_submission(world):
    from nhsmail.models import AccountRequest

    AccountRequest.objects.create(user=world.staff, premises=world.premises)
    return {"pk": world.premises.pk}


def with_orderer(world):
    from tests.eps.factories import PcseOrdererFactory

    PcseOrdererFactory(premises=world.premises, user=world.staff)
    return {"pk": world.premises.pk}


def ready_run(world):
    from tests.imports.url_expectations import a_run

    return a_run(world)


def reconciliation_with_a_new_code(world):
    from imports import ods
    from tests.imports.test_ods_reconciliation import ods_file, ods_row

    rows = [ods_row("FZZ99", "NEW CORNER CHEMIST", "1 CORNER", "LEEDS", "LS2 7AA")]
    reconciliation = ods.ods_reconciliation_upload(
        actor=world.portal_admin, uploaded_file=ods_file(rows)
    )
    return {"pk": reconciliation.pk}


def failed_outbox_message(world):
    from datetime import timedelta

    from django.utils import timezone

    from outbox.models import Message

    Message.objects.create(
        task="accounts.tasks.send_email",
        kwargs={"to": "someone@example.test", "subject": "s", "body": "b"},
        state=Message.State.FAILED,
        expires_at=timezone.now() + timedelta(days=1),
        last_error="550 mailbox unavailable",
    )
    return {}


def password_reset_link(world):
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(world.staff.pk)),
        "token": default_token_generator.make_token(world.staff),
    }


def invitation_link(world):
    _, token = account_services.invitation_create(
        actor=world.manager,
        premises=world.premises,
        email="new.starter@example.test",
        full_name="New Starter",
        job_role="dispenser",
    )
    return {"token": token}


MANAGERS = ("manager", "head_office", "portal_admin")
HEAD_OFFICE = ("head_office", "portal_admin")
SIGNED_IN = tuple(ROLES)

# A form that posts to the page it is on, in the state the URL meta-test builds.
SELF = {
    "login": FormCase("login", who=(ANONYMOUS,)),
    "password_change": FormCase("password_change"),
    "password_reset": FormCase("password_reset"),
    "staff_invite": FormCase("staff_invite"),
    "membership_end": FormCase("membership_end"),
    "membership_change_role": FormCase("membership_change_role"),
    "organisation_create": FormCase("organisation_create"),
    "premises_create": FormCase("premises_create"),
    "premises_edit": FormCase("premises_edit"),
    "unlocker_cover_add": FormCase("unlocker_cover_add"),
    "audit_list": FormCase("audit_list"),
    "api_token_list": FormCase("api_token_list"),
    "api_token_revoke": FormCase("api_token_revoke", who=("head_office",)),
    "dashboard_table": FormCase("dashboard_table"),
    "tokens_usage_record": FormCase("tokens_usage_record"),
    "tokens_count_record": FormCase("tokens_count_record"),
    "tokens_settings": FormCase("tokens_settings"),
    "tokens_order_create": FormCase("tokens_order_create"),
    "tokens_orderers": FormCase("tokens_orderers", who=MANAGERS),
    "tokens_order_place": FormCase("tokens_order_place"),
    "tokens_order_expected_delivery": FormCase("tokens_order_expected_delivery"),
    "tokens_order_receive": FormCase("tokens_order_receive"),
    "tokens_order_cancel": FormCase("tokens_order_cancel", who=("manager",)),
    "tokens_order_escalate": FormCase("tokens_order_escalate"),
    "import_home": FormCase("import_home"),
    "import_end_missing": FormCase("import_end_missing"),
    "ods_home": FormCase("ods_home"),
    "nhsmail_mailbox_edit": FormCase("nhsmail_mailbox_edit"),
    "nhsmail_link_create": FormCase("nhsmail_link_create"),
    "nhsmail_get_account": FormCase("nhsmail_get_account", who=("staff", "manager")),
    "nhsmail_link_end": FormCase("nhsmail_link_end"),
    "nhsmail_account_confirm": FormCase("nhsmail_account_confirm"),
    "nhsmail_my_account": FormCase("nhsmail_my_account"),
    "nhsmail_request_live": FormCase("nhsmail_request_live"),
    "nhsmail_organisation": FormCase("nhsmail_organisation"),
    "guidance_create": FormCase("guidance_create"),
    "guidance_edit": FormCase("guidance_edit"),
    "guidance_list": FormCase("guidance_list"),
    "readiness_edit": FormCase("readiness_edit"),
    "scr_governance_edit": FormCase("scr_governance_edit"),
    "smartcard_request_create": FormCase("smartcard_request_create"),
    "smartcard_my_card_edit": FormCase("smartcard_my_card_edit"),
    "smartcard_request_cancel": FormCase("smartcard_request_cancel", who=("staff",)),
    "smartcard_request_resolve": FormCase("smartcard_request_resolve", who=("unlocker",)),
    "smartcard_request_decline": FormCase("smartcard_request_decline", who=("unlocker",)),
    "smartcard_holder_search": FormCase("smartcard_holder_search"),
    "smartcard_authority_edit": FormCase("smartcard_authority_edit"),
    "smartcard_staff_card_edit": FormCase("smartcard_staff_card_edit"),
}

# A form on another page, or one that shows only in a state of its own.
ELSEWHERE = {
    "logout": FormCase("home", who=("staff",)),
    "two_factor_setup": FormCase("two_factor_setup", who=("unlocker",), unverified="new"),
    "two_factor_verify": FormCase("two_factor_verify", who=("portal_admin",), unverified=True),
    "password_reset_confirm": FormCase(
        "password_reset_confirm", password_reset_link, who=(ANONYMOUS,)
    ),
    "invitation_accept": FormCase("invitation_accept", invitation_link, who=(ANONYMOUS,)),
    "smartcard_staff_request_create": FormCase(
        "smartcard_staff_request_create", staff_with_card, who=("manager", "portal_admin")
    ),
    "smartcard_request_claim": FormCase(
        "smartcard_request_detail", staff_request, who=("unlocker",)
    ),
    "smartcard_request_release": FormCase(
        "smartcard_request_detail", claimed_request, who=("unlocker", "portal_admin")
    ),
    "nhsmail_request_advance": FormCase("nhsmail_premises", awaiting_submission, who=MANAGERS),
    "nhsmail_check_now": FormCase("nhsmail_organisation", who=HEAD_OFFICE),
    "tokens_orderer_remove": FormCase("tokens_orderers", with_orderer, who=MANAGERS),
    "import_confirm": FormCase("import_run", ready_run, who=("head_office",)),
    "import_discard": FormCase("import_run", ready_run, who=("head_office",)),
    "ods_apply": FormCase("ods_reconciliation", who=("portal_admin",)),
    "ods_discard": FormCase("ods_reconciliation", who=("portal_admin",)),
    "ods_add": FormCase(
        "ods_reconciliation", reconciliation_with_a_new_code, who=("portal_admin",)
    ),
    "job_run_now": FormCase("job_list", who=("portal_admin",)),
    "outbox_retry": FormCase("outbox_list", failed_outbox_message, who=("portal_admin",)),
}

FORMS = SELF | ELSEWHERE
assert not set(SELF) & set(ELSEWHERE)


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


def _url_name(path):
    try:
        return resolve(path.split("?")[0]).url_name
    except Resolver404:
        return None


def _assert_reached(action, form, response, label):
    """The submission reached the form: a redirect onwards, or the same form again."""
    if response.status_code in {301, 302, 303}:
        signed_out = response.url.startswith(reverse("login"))
        assert not signed_out or action in {"login", "logout"}, f"{label}: sent to sign in"
        return
    assert response.status_code == 200, f"{label} answered {response.status_code}"
    html = response.content.decode()
    path = response.wsgi_request.path
    again = [f for f in forms_on(path, html) if _url_name(f.action) == action]
    assert again, f"{label}: the answer does not show the form again"
    if form.method == "post":
        assert "nhsuk-error-summary" in html, f"{label}: answered 200 without saying what was wrong"


def _fuzz(client, action, form, label, other_organisation, before):
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
        with transaction.atomic():
            response = _submit(client, form, values)
            assert response.status_code < 500, (
                f"{label} answered {response.status_code}: {values!r}"
            )
            _assert_reached(action, form, response, f"{label} with {values!r}")
            assert other_organisation_rows(other_organisation) == before, label
            transaction.set_rollback(True)

    submit_hostile_values()


def _client(world, who, unverified=False):
    if who == ANONYMOUS:
        return Client()
    user = world.user(who)
    if not unverified:
        return sign_in(Client(), user)
    if unverified is True:
        TOTPDevice.objects.get_or_create(user=user, defaults={"name": "app", "confirmed": True})
    return sign_in(Client(), user, verified=False)


def _who_may_open(expected):
    if expected.anonymous == 200:
        yield ANONYMOUS
    yield from (role for role in ROLES if role in expected.allowed)


def _page(client, path):
    """The page as a browser lands on it (a reset link moves on to its form's address)."""
    response = client.get(path, follow=True)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return response.wsgi_request.get_full_path(), response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(FORMS))
def test_every_form_survives_hostile_input(action, world):
    case = FORMS[action]
    expected = EXPECTATIONS[case.page]
    build = case.kwargs or expected.kwargs
    path = reverse(case.page, kwargs=build(world) if build else None)
    other_organisation = world.other_premises.organisation_id
    before = other_organisation_rows(other_organisation)
    who = case.who or tuple(_who_may_open(expected))
    for role in who:
        client = _client(world, role, case.unverified)
        page, html = _page(client, path)
        found = [form for form in forms_on(page, html) if _url_name(form.action) == action]
        assert found, f"no form posting to {action} on {page} as {role}"
        form = found[0]
        label = f"{form.method.upper()} {form.action} as {role} (from {page})"
        _fuzz(client, action, form, label, other_organisation, before)
    assert other_organisation_rows(other_organisation) == before


@pytest.mark.django_db
def test_every_form_the_portal_renders_has_a_case(world):
    missing = set()
    for name, expected in EXPECTATIONS.items():
        # Each page's objects are made afresh and taken away again, as if in a test of its own.
        with transaction.atomic():
            url = reverse(name, kwargs=expected.kwargs(world) if expected.kwargs else None)
            for who in _who_may_open(expected):
                response = _client(world, who).get(url)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in forms_on(url, response.content.decode()):
                    action = _url_name(form.action)
                    if action not in FORMS:
                        missing.add((action, name, who))
            transaction.set_rollback(True)
    assert not missing, f"forms without a case in FORMS (action, page, who): {sorted(missing)}"
    # A POST-only action is reached through a form on another page: it needs a case too.
    post_only = {name for name, e in EXPECTATIONS.items() if e.outsider_post == 404}
    assert post_only <= set(FORMS), post_only - set(FORMS)
