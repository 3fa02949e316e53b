import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership
from api import services
from api.models import ApiToken, hash_api_token
from api.throttling import ApiTokenRateThrottle
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, token):
        self.token = token
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, name, *args, **params):
        return self.client.get(reverse(name, args=args), params)

    def post(self, name, *args, body=None, raw=None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(reverse(name, args=args), data, content_type="application/json")


@pytest.fixture
def api(world):
    _, token = services.token_create(
        actor=world.head_office, organisation=world.premises.organisation, name="HR", valid_days=30
    )
    return Api(token)


@pytest.fixture
def admin_api(world):
    _, token = services.token_create(
        actor=world.portal_admin, organisation=world.premises.organisation, name="RA", valid_days=30
    )
    return Api(token)


# --- Tokens --------------------------------------------------------------------------------


def test_token_is_shown_once_and_stored_hashed(world, client_for):
    client = client_for("head_office")
    url = reverse("api_token_list", args=[world.premises.organisation_id])
    response = client.post(url, {"name": "HR nightly sync", "valid_days": "90"})
    content = response.content.decode()
    api_token = ApiToken.objects.get()
    token = content.split('<code id="api-token">')[1].split("</code>")[0]
    assert api_token.token_hash == hash_api_token(token)
    assert token not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="api_token.created").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "valid_days": "30"}, "Enter a name for the token"),
        ({"name": "   ", "valid_days": "30"}, "Enter a name for the token"),
        ({"name": "=cmd", "valid_days": "30"}, "Start the name with a letter or number"),
        ({"name": "x" * 101, "valid_days": "30"}, "at most 100 characters"),
        ({"name": "HR", "valid_days": "7"}, "Select a valid choice"),
        ({"name": "HR"}, "Choose how long the token works"),
    ],
)
def test_token_form_validation(world, client_for, data, message):
    url = reverse("api_token_list", args=[world.premises.organisation_id])
    response = client_for("head_office").post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoked_expired_and_unknown_tokens_answer_401_json(world, api, client_for):
    assert api.get("api_premises_list").status_code == 200
    api_token = ApiToken.objects.get()
    assert api_token.last_used_at is not None
    for bad in (
        Client(),
        Client(HTTP_AUTHORIZATION="Bearer nope"),
        Client(HTTP_AUTHORIZATION="Basic abc"),
    ):
        response = bad.get(reverse("api_premises_list"))
        assert response.status_code == 401
        assert "detail" in response.json()
        assert response["WWW-Authenticate"].startswith("Bearer")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = api.get("api_premises_list")
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
    client = client_for("head_office")
    revoke = reverse("api_token_revoke", args=[world.premises.organisation_id, api_token.pk])
    assert client.post(revoke).status_code == 302
    response = api.get("api_premises_list")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert "already revoked" in client.post(revoke, follow=True).content.decode()


def test_token_stops_when_its_admin_leaves_head_office(world, api):
    world.head_office.organisation_admins.all().delete()
    response = api.get("api_premises_list")
    assert response.status_code == 401
    assert "no longer manages" in response.json()["detail"]


def test_another_organisations_token_pages_are_404(world, client_for):
    api_token, _ = services.token_create(
        actor=world.other_head_office,
        organisation=world.other_premises.organisation,
        name="Theirs",
        valid_days=30,
    )
    client = client_for("head_office")
    url = reverse("api_token_revoke", args=[world.premises.organisation_id, api_token.pk])
    assert client.get(url).status_code == 404


def test_last_used_is_recorded_at_most_once_a_minute(world, api):
    api.get("api_premises_list")
    first = ApiToken.objects.get().last_used_at
    api.get("api_premises_list")
    assert ApiToken.objects.get().last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        api.get("api_premises_list")
    assert ApiToken.objects.get().last_used_at > first


def test_rate_limited_per_token(world, api, admin_api, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"api_token": "3/minute"})
    for _ in range(3):
        assert api.get("api_eps_orders").status_code == 200
    response = api.get("api_eps_orders")
    assert response.status_code == 429
    assert "detail" in response.json()
    # Another token has its own budget.
    assert admin_api.get("api_eps_orders").status_code == 200
    cache.clear()


# --- Endpoints -----------------------------------------------------------------------------


def test_premises_with_compliance(world, api, admin_api):
    for client in (api, admin_api):
        body = client.get("api_premises_list").json()
        assert [p["ods_code"] for p in body["results"]] == sorted(
            [world.premises.ods_code, world.second_premises.ods_code],
            key=lambda code: [world.premises.ods_code, world.second_premises.ods_code].index(code),
        )
        first = body["results"][0]
        assert first["compliance"]["nhsmail"]["status"] == "red"
        # No usage recorded yet: days of cover are unknown, so the premises is watched.
        assert first["compliance"]["eps_tokens"]["status"] == "amber"
        assert "No token usage recorded" in first["compliance"]["eps_tokens"]["reason"]
        assert first["compliance"]["scr_ncrs"]["has_ready_pharmacist"] is False
        assert first["compliance"]["smartcards"]["open_requests"] == 0
    detail = api.get("api_premises_detail", world.premises.pk)
    assert detail.json()["id"] == world.premises.pk
    assert api.get("api_premises_detail", world.other_premises.pk).status_code == 404
    assert admin_api.get("api_premises_detail", world.other_premises.pk).status_code == 404


def test_premises_list_runs_a_fixed_number_of_queries(world, api, django_assert_num_queries):
    api.get("api_premises_list")
    with django_assert_num_queries(8):
        api.get("api_premises_list")
    for _ in range(4):
        MembershipFactory(premises=PremisesFactory(organisation=world.premises.organisation))
    # The first read works out the new premises' standings (factories skip the services
    # that would have); reads after that cost the same as before.
    api.get("api_premises_list")
    with django_assert_num_queries(8):
        response = api.get("api_premises_list")
    assert response.json()["count"] == 6


def test_a_deep_page_has_the_rows_by_id_in_a_fixed_number_of_queries(
    world, api, django_assert_num_queries
):
    organisation = world.premises.organisation
    for _ in range(6):
        MembershipFactory(premises=PremisesFactory(organisation=organisation))
    everyone = [m["id"] for m in api.get("api_membership_list", page_size=500).json()["results"]]
    assert everyone == sorted(everyone) and len(everyone) == 8
    pages = [
        api.get("api_membership_list", page=number, page_size=3).json() for number in (1, 2, 3)
    ]
    assert [[m["id"] for m in page["results"]] for page in pages] == [
        everyone[0:3],
        everyone[3:6],
        everyone[6:8],
    ]
    assert pages[2]["results"][0]["email"] == Membership.objects.get(pk=everyone[6]).user.email
    # A later page reads its ids, then only its own rows: one query more than the first.
    with django_assert_num_queries(6):
        api.get("api_membership_list", page=3, page_size=3)
    with django_assert_num_queries(5):
        api.get("api_membership_list", page=1, page_size=3)


def test_memberships_list_filters_and_scoping(world, api):
    body = api.get("api_membership_list").json()
    emails = {m["email"] for m in body["results"]}
    assert emails == {world.staff.email, world.manager.email}
    assert world.other_manager.email not in emails
    only_second = api.get("api_membership_list", premises=world.second_premises.pk).json()
    assert only_second["count"] == 0
    staff = world.staff.memberships.get()
    assert api.get("api_membership_detail", staff.pk).json()["email"] == world.staff.email
    other = world.other_manager.memberships.get()
    assert api.get("api_membership_detail", other.pk).status_code == 404


def test_updated_since(world, api):
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later + timedelta(minutes=1)):
        Membership.objects.filter(user=world.staff).update(end_date=None)
        from accounts.services import membership_change_role

        membership_change_role(
            actor=world.head_office,
            membership=world.staff.memberships.get(),
            job_role="technician",
            is_manager=False,
        )
    body = api.get("api_membership_list", updated_since=later.isoformat()).json()
    assert [m["email"] for m in body["results"]] == [world.staff.email]
    premises = api.get("api_premises_list", updated_since=later.isoformat()).json()
    assert [p["id"] for p in premises["results"]] == [world.premises.pk]
    bad = api.get("api_membership_list", updated_since="last tuesday")
    assert bad.status_code == 400
    assert "updated_since" in bad.json()["errors"]
    unknown = api.get("api_membership_list", colour="red")
    assert unknown.status_code == 400


def test_create_and_end_memberships(world, api):
    response = api.post(
        "api_membership_list",
        body={
            "email": "New.Person@Example.test",
            "full_name": "New Person",
            "premises": world.premises.pk,
            "job_role": "dispenser",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "invited"
    assert Invitation.objects.filter(email="new.person@example.test").exists()
    added = api.post(
        "api_membership_list",
        body={
            "email": world.staff.email,
            "full_name": "Sam Staff",
            "premises": world.second_premises.pk,
            "job_role": "technician",
            "is_manager": True,
        },
    ).json()
    assert added["outcome"] == "added"
    assert added["membership"]["premises"] == world.second_premises.pk
    again = api.post(
        "api_membership_list",
        body={
            "email": world.staff.email,
            "full_name": "S",
            "premises": world.premises.pk,
            "job_role": "dispenser",
        },
    )
    assert again.status_code == 400
    assert "already works" in again.json()["errors"]["email"][0]
    membership = world.staff.memberships.get(premises=world.premises)
    today = timezone.localdate().isoformat()
    ended = api.post("api_membership_end", membership.pk, body={"end_date": today})
    assert ended.status_code == 200
    assert ended.json()["end_date"] == today
    twice = api.post("api_membership_end", membership.pk, body={"end_date": today})
    assert twice.status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "key"),
    [
        (
            {
                "email": "x@example.test",
                "full_name": "X",
                "premises": 1,
                "job_role": "dispenser",
                "colour": "red",
            },
            400,
            "colour",
        ),
        (
            {"email": "not-an-email", "full_name": "X", "premises": 1, "job_role": "dispenser"},
            400,
            "email",
        ),
        (
            {"email": "x@example.test", "full_name": "X", "premises": 1, "job_role": "wizard"},
            400,
            "job_role",
        ),
        (
            {
                "email": "x@example.test",
                "full_name": "X",
                "premises": 10**30,
                "job_role": "dispenser",
            },
            400,
            "premises",
        ),
        (
            {
                "email": "x@example.test",
                "full_name": "X\x00",
                "premises": 1,
                "job_role": "dispenser",
            },
            400,
            "full_name",
        ),
        ([1, 2], 400, "non_field_errors"),
    ],
)
def test_bad_bodies_answer_400_json(world, api, body, status, key):
    response = api.post("api_membership_list", body=body)
    assert response.status_code == status
    assert key in response.json()["errors"]


def test_bad_json_and_other_organisations_ids(world, api):
    response = api.post("api_membership_list", raw="{not json")
    assert response.status_code == 400
    assert "detail" in response.json()
    response = api.post(
        "api_membership_list",
        body={
            "email": "x@example.test",
            "full_name": "X",
            "premises": world.other_premises.pk,
            "job_role": "dispenser",
        },
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found, or not in your organisation", "errors": {}}
    other = world.other_manager.memberships.get()
    today = timezone.localdate().isoformat()
    assert api.post("api_membership_end", other.pk, body={"end_date": today}).status_code == 404
    assert api.get("api_premises_detail", 10**17).status_code == 404
    assert Membership.objects.get(pk=other.pk).end_date is None


def test_nhsmail_accounts_and_links(world, api):
    SharedMailbox.objects.create(premises=world.premises, address="pharmacy.calder@nhs.net")
    response = api.post(
        "api_nhsmail_accounts",
        body={"email": world.staff.email, "address": "sam.staff@nhs.net", "status": "live"},
    )
    assert response.status_code == 200, response.json()
    account = PersonalAccount.objects.get(user=world.staff)
    bad = api.post(
        "api_nhsmail_accounts",
        body={"email": world.staff.email, "address": "sam@gmail.com", "status": "live"},
    )
    assert bad.status_code == 400
    assert "address" in bad.json()["errors"]
    outsider = api.post(
        "api_nhsmail_accounts",
        body={"email": world.other_manager.email, "address": "o@nhs.net", "status": "live"},
    )
    assert outsider.status_code == 404
    assert [a["address"] for a in api.get("api_nhsmail_accounts").json()["results"]] == [
        account.address
    ]
    link = api.post(
        "api_nhsmail_links", body={"account": account.pk, "premises": world.premises.pk}
    )
    assert link.status_code == 201, link.json()
    assert api.get("api_nhsmail_links").json()["count"] == 1
    ended = api.post("api_nhsmail_link_end", link.json()["id"])
    assert ended.status_code == 200
    assert MailboxLink.objects.get().unlinked_on is not None
    other_link = api.post(
        "api_nhsmail_links", body={"account": account.pk, "premises": world.other_premises.pk}
    )
    assert other_link.status_code == 404


def test_nhsmail_shared_mailbox_addresses_answer_400(world, api):
    SharedMailbox.objects.create(premises=world.premises, address="calder.team@nhs.net")
    for address in ("PHARMACY.FAH23@NHS.NET", "nhspharmacy.leeds.boots.fa123@nhs.net"):
        response = api.post(
            "api_nhsmail_accounts",
            body={"email": world.staff.email, "address": address, "status": "live"},
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "address": [
                f"{address.lower()} is a shared mailbox address. Enter the person's own "
                "NHSmail address, like firstname.lastname@nhs.net"
            ]
        }
    stored = api.post(
        "api_nhsmail_accounts",
        body={"email": world.staff.email, "address": "calder.team@nhs.net", "status": "live"},
    )
    assert stored.status_code == 400
    assert stored.json()["errors"] == {
        "address": [
            "calder.team@nhs.net is a shared mailbox address. Enter the person's own "
            "NHSmail address, like firstname.lastname@nhs.net"
        ]
    }
    assert not PersonalAccount.objects.exists()
    # One stored before they were refused cannot be linked either.
    account = PersonalAccount.objects.create(user=world.staff, address="calder.team@nhs.net")
    link = api.post(
        "api_nhsmail_links", body={"account": account.pk, "premises": world.premises.pk}
    )
    assert link.status_code == 400
    assert "calder.team@nhs.net is a shared mailbox address" in link.json()["errors"]["account"][0]
    assert not MailboxLink.objects.exists()


def test_smartcard_requests_and_eps_lists(world, api):
    for name in ("api_smartcard_requests", "api_eps_stock", "api_eps_orders"):
        response = api.get(name)
        assert response.status_code == 200, name
        assert "results" in response.json()
    stock = api.get("api_eps_stock").json()
    assert {row["premises"] for row in stock["results"]} == {
        world.premises.pk,
        world.second_premises.pk,
    }


def test_smartcard_requests_updated_since_sees_a_released_claim(world, api):
    from smartcards import services as smartcard_services
    from tests.smartcards.factories import holder_for

    holder = holder_for(world.staff, uuid="555500009999")
    smartcard_request = smartcard_services.smartcard_request_raise(
        actor=world.staff, holder=holder, premises=world.premises, kind="unlock"
    )
    smartcard_services.smartcard_request_claim(
        actor=world.unlocker, smartcard_request=smartcard_request
    )
    later = timezone.now() + timedelta(minutes=5)
    assert api.get("api_smartcard_requests", updated_since=later.isoformat()).json()["count"] == 0
    with time_machine.travel(later + timedelta(minutes=1)):
        smartcard_request.refresh_from_db()
        smartcard_services.smartcard_request_release(
            actor=world.unlocker, smartcard_request=smartcard_request
        )
    body = api.get("api_smartcard_requests", updated_since=later.isoformat()).json()
    assert [row["id"] for row in body["results"]] == [smartcard_request.pk]
    assert body["results"][0]["status"] == "open"


def test_schema_and_docs_are_served(world):
    client = sign_in(Client(), world.staff)
    schema = client.get(reverse("api_schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/memberships/" in paths
    docs = client.get(reverse("api_docs")).content.decode()
    assert "POST /api/v1/memberships/" in docs
