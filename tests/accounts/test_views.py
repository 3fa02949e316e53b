from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Invitation, Membership, Premises
from tests.conftest import sign_in
from tests.factories import TEST_PASSWORD, RegionFactory


def error_summary(response):
    html = response.content.decode()
    assert "nhsuk-error-summary" in html, "expected an NHS.UK error summary"
    return html


def current_code(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


@pytest.mark.django_db
class TestSignIn:
    def test_staff_signs_in_with_email_any_case(self, world):
        client = Client()
        response = client.post(
            reverse("login"), {"username": world.staff.email.upper(), "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200

    def test_wrong_password_says_so_and_keeps_email(self, world):
        response = Client().post(
            reverse("login"), {"username": world.staff.email, "password": "wrong"}
        )
        html = error_summary(response)
        assert "Enter a correct email address and password" in html
        assert world.staff.email in html

    def test_five_failures_lock_the_account(self, world):
        client = Client()
        for _ in range(5):
            client.post(reverse("login"), {"username": world.staff.email, "password": "wrong"})
        response = client.post(
            reverse("login"), {"username": world.staff.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 429
        assert "locked for 15 minutes" in response.content.decode()

    def test_sign_out_is_a_post(self, world):
        client = sign_in(Client(), world.staff)
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("home")).status_code == 302

    def test_session_expires_after_thirty_minutes_of_inactivity(self, world):
        client = sign_in(Client(), world.staff)
        home = reverse("home")
        start = timezone.now()
        # Each request starts the thirty minutes again: 29, then 58 minutes after signing in.
        for minutes in (29, 58):
            with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
                assert client.get(home).status_code == 200, minutes
        with time_machine.travel(start + timedelta(minutes=58 + 31), tick=False):
            response = client.get(home)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
class TestTwoFactor:
    def signed_in_with_password(self, user):
        client = Client()
        client.post(reverse("login"), {"username": user.email, "password": TEST_PASSWORD})
        return client

    def test_head_office_must_set_up_an_authenticator(self, world):
        client = self.signed_in_with_password(world.head_office)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor_setup"))
        page = client.get(response.url)
        assert "Setup key" in page.content.decode()
        device = TOTPDevice.objects.get(user=world.head_office, confirmed=False)

        wrong = client.post(
            response.url, {"token": "000000" if current_code(device) != "000000" else "111111"}
        )
        assert "did not match" in error_summary(wrong)
        letters = client.post(response.url, {"token": "12ab56"})
        assert "Enter the 6 numbers" in error_summary(letters)
        # django-otp makes a device wait after a wrong code; this person waited.
        device.refresh_from_db()
        device.throttle_reset()

        right = client.post(response.url, {"token": current_code(device)})
        assert right.status_code == 302
        assert client.get(reverse("home")).status_code == 200
        assert AuditEvent.objects.filter(
            action="two_factor.set_up", actor=world.head_office
        ).exists()

    def test_returning_unlocker_enters_a_code(self, world):
        device = TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=True)
        client = self.signed_in_with_password(world.unlocker)
        response = client.get(reverse("premises_list"))
        assert response.url.startswith(reverse("two_factor_verify"))
        assert client.post(response.url, {"token": current_code(device)}).status_code == 302
        assert client.get(reverse("premises_list")).status_code == 200

    def test_staff_do_not_need_a_second_factor(self, world):
        client = self.signed_in_with_password(world.staff)
        assert client.get(reverse("home")).status_code == 200

    def test_next_cannot_send_users_off_site(self, world):
        device = TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=True)
        client = self.signed_in_with_password(world.unlocker)
        response = client.post(
            reverse("two_factor_verify") + "?next=https://evil.example/",
            {"token": current_code(device)},
        )
        assert response.url == reverse("home")


@pytest.mark.django_db
class TestInvitationJourney:
    def test_manager_invites_and_person_accepts(self, world, django_capture_on_commit_callbacks):
        client = sign_in(Client(), world.manager)
        url = reverse("staff_invite", args=[world.premises.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url,
                {
                    "full_name": "  Nia   Jones ",
                    "email": "nia@example.test",
                    "job_role": "technician",
                },
            )
        assert response.status_code == 302
        link = next(line for line in mail.outbox[0].body.splitlines() if "/invitations/" in line)
        path = link[link.index("/invitations/") :]

        newcomer = Client()
        assert "Create your account" in newcomer.get(path).content.decode()
        mismatch = newcomer.post(
            path, {"full_name": "Nia Jones", "password1": "a-long-pass-77", "password2": "other"}
        )
        assert "do not match" in error_summary(mismatch)
        weak = newcomer.post(
            path, {"full_name": "Nia Jones", "password1": "password", "password2": "password"}
        )
        assert "too common" in error_summary(weak)
        done = newcomer.post(
            path,
            {
                "full_name": "Nia Jones",
                "password1": "a-long-pass-77",
                "password2": "a-long-pass-77",
            },
        )
        assert done.status_code == 302
        assert (
            Membership.objects.current()
            .filter(user__email="nia@example.test", premises=world.premises)
            .exists()
        )
        again = Client().get(path)
        assert again.status_code == 410
        assert "already been used" in again.content.decode()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"full_name": "A B", "email": "not-an-email", "job_role": "dispenser"},
                "Enter a valid email address",
            ),
            (
                {"full_name": "   ", "email": "a@b.test", "job_role": "dispenser"},
                "This field is required",
            ),
            (
                {"full_name": "A B", "email": "a@b.test", "job_role": "surgeon"},
                "Select a valid choice",
            ),
            (
                {"full_name": "A" * 200, "email": "a@b.test", "job_role": "dispenser"},
                "at most 150 characters",
            ),
        ],
    )
    def test_bad_invitation_input(self, world, data, message):
        response = sign_in(Client(), world.manager).post(
            reverse("staff_invite", args=[world.premises.pk]), data
        )
        assert response.status_code == 200
        assert message in error_summary(response)
        assert not Invitation.objects.exists()

    def test_invite_someone_already_there(self, world):
        response = sign_in(Client(), world.manager).post(
            reverse("staff_invite", args=[world.premises.pk]),
            {"full_name": "Sam", "email": world.staff.email, "job_role": "dispenser"},
        )
        assert "already works at" in error_summary(response)

    def test_expired_link_page(self, world):
        from accounts import services

        _, token = services.invitation_create(
            actor=world.manager,
            premises=world.premises,
            email="late@example.test",
            full_name="Late",
            job_role="dispenser",
        )
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        response = Client().get(reverse("invitation_accept", args=[token]))
        assert response.status_code == 410
        assert "expired" in response.content.decode()


@pytest.mark.django_db
class TestStaffManagement:
    def test_end_membership_with_bad_dates(self, world):
        membership = world.staff.memberships.get()
        client = sign_in(Client(), world.manager)
        url = reverse("membership_end", args=[membership.pk])
        for data, message in [
            ({"end_date_day": "", "end_date_month": "", "end_date_year": ""}, "Enter"),
            ({"end_date_day": "31", "end_date_month": "2", "end_date_year": "2026"}, "real date"),
            (
                {"end_date_day": "1", "end_date_month": "1", "end_date_year": "1999"},
                "on or after the start date",
            ),
            ({"end_date_day": "x", "end_date_month": "9" * 30, "end_date_year": "２０２６"}, ""),
        ]:
            response = client.post(url, data)
            assert response.status_code == 200
            assert message in error_summary(response)
        membership.refresh_from_db()
        assert membership.end_date is None

    def test_end_membership(self, world):
        membership = world.staff.memberships.get()
        today = timezone.localdate()
        response = sign_in(Client(), world.head_office).post(
            reverse("membership_end", args=[membership.pk]),
            {"end_date_day": today.day, "end_date_month": today.month, "end_date_year": today.year},
        )
        assert response.status_code == 302
        membership.refresh_from_db()
        assert membership.end_date == today
        # An ended membership cannot be ended again: the page no longer exists for it.
        assert (
            sign_in(Client(), world.head_office)
            .get(reverse("membership_end", args=[membership.pk]))
            .status_code
            == 404
        )

    def test_change_role(self, world):
        membership = world.staff.memberships.get()
        response = sign_in(Client(), world.manager).post(
            reverse("membership_change_role", args=[membership.pk]),
            {"job_role": "technician", "is_manager": "on"},
        )
        assert response.status_code == 302
        membership.refresh_from_db()
        assert (membership.job_role, membership.is_manager) == ("technician", True)

    def test_premises_page_lists_staff_for_managers_only(self, world):
        url = reverse("premises_detail", args=[world.premises.pk])
        assert world.staff.email in sign_in(Client(), world.manager).get(url).content.decode()
        assert world.manager.email not in sign_in(Client(), world.staff).get(url).content.decode()


@pytest.mark.django_db
class TestPremisesForms:
    def data(self, **overrides):
        values = {
            "ods_code": "FQ321",
            "name": "Moor Pharmacy",
            "address_line_1": "2 Moor Lane",
            "address_line_2": "",
            "town": "Leeds",
            "postcode": "LS6 4AB",
            "region": RegionFactory().pk,
        }
        values.update(overrides)
        return values

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"ods_code": "A1234"}, "Enter a pharmacy ODS code"),
            ({"ods_code": "FFFFF"}, "national locum code"),
            ({"postcode": "LS1"}, "Enter a real UK postcode"),
            ({"postcode": "<script>alert(1)</script>"}, "Enter a real UK postcode"),
            ({"region": "999999"}, "Select a valid choice"),
            ({"region": "abc"}, "Select a valid choice"),
            ({"name": ""}, "This field is required"),
        ],
    )
    def test_bad_values(self, world, overrides, message):
        client = sign_in(Client(), world.head_office)
        response = client.post(
            reverse("premises_create", args=[world.premises.organisation_id]),
            self.data(**overrides),
        )
        assert response.status_code == 200
        assert message in error_summary(response)
        assert not Premises.objects.filter(name="Moor Pharmacy").exists()

    def test_duplicate_ods_code(self, world):
        client = sign_in(Client(), world.head_office)
        response = client.post(
            reverse("premises_create", args=[world.premises.organisation_id]),
            self.data(ods_code=world.other_premises.ods_code),
        )
        assert "already registered" in error_summary(response)

    def test_add_and_edit(self, world):
        client = sign_in(Client(), world.head_office)
        response = client.post(
            reverse("premises_create", args=[world.premises.organisation_id]),
            self.data(ods_code="fq321"),
        )
        premises = Premises.objects.get(ods_code="FQ321")
        assert response.url == reverse("premises_detail", args=[premises.pk])
        response = client.post(
            reverse("premises_edit", args=[premises.pk]), self.data(name="Moor Pharmacy Ltd")
        )
        assert response.status_code == 302
        premises.refresh_from_db()
        assert premises.name == "Moor Pharmacy Ltd"
        assert AuditEvent.objects.filter(
            action="premises.updated", changes__name=["Moor Pharmacy", "Moor Pharmacy Ltd"]
        ).exists()


@pytest.mark.django_db
class TestOrganisationsAndCover:
    def test_portal_admin_adds_organisation(self, world):
        client = sign_in(Client(), world.portal_admin)
        bad = client.post(reverse("organisation_create"), {"name": "", "kind": "chain"})
        assert "This field is required" in error_summary(bad)
        duplicate = client.post(
            reverse("organisation_create"),
            {"name": world.premises.organisation.name, "kind": "multiple"},
        )
        assert "already exists" in error_summary(duplicate)
        good = client.post(
            reverse("organisation_create"), {"name": "Moorland Group", "kind": "multiple"}
        )
        assert good.status_code == 302

    def test_cover_for_unknown_person_or_premises(self, world):
        client = sign_in(Client(), world.portal_admin)
        url = reverse("unlocker_cover_add", args=[world.premises.organisation_id])
        response = client.post(url, {"email": "nobody@example.test", "premises_ods_code": ""})
        assert "No active account" in error_summary(response)
        response = client.post(
            url, {"email": world.staff.email, "premises_ods_code": world.other_premises.ods_code}
        )
        assert "has no premises with ODS code" in error_summary(response)
        response = client.post(
            url,
            {
                "email": world.staff.email,
                "premises_ods_code": world.second_premises.ods_code.lower(),
            },
        )
        assert response.status_code == 302
        assert world.staff.unlocker_covers.get().premises == world.second_premises


@pytest.mark.django_db
def test_audit_page_filters(world):
    from accounts.audit import audit_record

    audit_record(actor=world.manager, action="membership.ended", premises=world.premises)
    audit_record(actor=world.manager, action="invitation.created", premises=world.premises)
    client = sign_in(Client(), world.manager)
    html = client.get(reverse("audit_list"), {"action": "invitation.created"}).content.decode()
    assert "Staff member invited" in html and "Membership ended</td>" not in html
    bad = client.get(reverse("audit_list"), {"since": "not-a-date"})
    assert bad.status_code == 200


@pytest.mark.django_db
def test_home_shows_each_roles_panels(world):
    assert "Calder Pharmacy" in sign_in(Client(), world.staff).get("/").content.decode()
    assert (
        world.premises.organisation.name
        in sign_in(Client(), world.head_office).get("/").content.decode()
    )
    assert "Premises you cover" in sign_in(Client(), world.unlocker).get("/").content.decode()
