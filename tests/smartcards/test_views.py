"""Request-level tests of every smartcards page: what each person sees and what bad input
gets back."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from smartcards import services
from smartcards.models import RegistrationAuthority, SmartcardHolder, SmartcardRequest
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory, UnlockerCoverFactory
from tests.smartcards.factories import SmartcardRequestFactory, claimed, holder_at, holder_for

pytestmark = pytest.mark.django_db
Status = SmartcardRequest.Status


def html_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def error_summary(response):
    html = html_of(response)
    assert "nhsuk-error-summary" in html, "expected an NHS.UK error summary"
    return html


def day_fields(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


class TestMyCard:
    def test_without_card_details(self, client_for):
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert "Add your card details" in html
        assert "6 to 8 numbers" in html

    def test_valid_card_without_self_service(self, client_for, holder):
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert "555500009999" in html
        assert "Ask for an unlock" in html
        assert "Ask for a renewal" not in html
        assert "digital.nhs.uk/unlock" not in html

    def test_eligible_holder_is_steered_to_self_service(self, client_for, holder):
        holder.has_cim_email = True
        holder.save()
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert "https://digital.nhs.uk/unlock" in html
        assert "Self-service unlock did not work: ask an unlocker" in html

    def test_inside_the_renewal_period(self, client_for, holder):
        holder.certificate_expires_on = timezone.localdate() + timedelta(days=30)
        holder.save()
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert "Renewal due" in html
        assert "Ask for a renewal" in html
        assert "30 days from now" in html

    def test_expired_shows_the_ra(self, client_for, holder, authority):
        holder.certificate_expires_on = timezone.localdate() - timedelta(days=3)
        holder.save()
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert "Your certificates have expired" in html
        assert "The Health Informatics Service" in html
        assert "0845 127 2600" in html and "01484 355220" in html
        assert "Ask for an unlock" not in html

    def test_own_requests_only(self, world, client_for, holder):
        mine = SmartcardRequestFactory(holder=holder, premises=world.premises)
        other = SmartcardRequestFactory(holder=holder_at(world.premises), premises=world.premises)
        html = html_of(client_for("staff").get(reverse("smartcard_my_card")))
        assert reverse("smartcard_request_detail", args=[mine.pk]) in html
        assert reverse("smartcard_request_detail", args=[other.pk]) not in html


class TestCardDetailsForm:
    url = reverse("smartcard_my_card_edit")

    def data(self, **overrides):
        values = {
            "uuid": "5555 0000 2222",
            **day_fields("certificate_expires_on", timezone.localdate() + timedelta(days=300)),
            "has_cim_email": "on",
        }
        values.update(overrides)
        return values

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"uuid": "1234"}, "Enter the 12-digit UUID"),
            ({"uuid": "<script>alert(1)</script>"}, "Enter the 12-digit UUID"),
            ({"uuid": "9" * 41}, "at most 40 characters"),
            ({"uuid": ""}, "This field is required"),
            (
                {"certificate_expires_on_day": "31", "certificate_expires_on_month": "2"},
                "real date",
            ),
            ({"certificate_expires_on_year": "26"}, "Year must be 4 numbers"),
            (
                {
                    "certificate_expires_on_day": "",
                    "certificate_expires_on_month": "",
                    "certificate_expires_on_year": "",
                },
                "Enter the date the certificates expire",
            ),
            (
                day_fields("certificate_expires_on", timezone.localdate() - timedelta(days=1)),
                "today or in the future",
            ),
        ],
    )
    def test_bad_values(self, client_for, overrides, message):
        response = client_for("staff").post(self.url, self.data(**overrides))
        assert message in error_summary(response)
        assert not SmartcardHolder.objects.exists()

    def test_typed_values_are_kept_after_an_error(self, client_for):
        response = client_for("staff").post(self.url, self.data(uuid="5555 0000 222"))
        html = error_summary(response)
        assert 'value="5555 0000 222"' in html

    def test_save_then_change(self, world, client_for):
        client = client_for("staff")
        response = client.post(self.url, self.data())
        assert response.status_code == 302
        holder = SmartcardHolder.objects.get(user=world.staff)
        assert (holder.uuid, holder.has_cim_email) == ("555500002222", True)
        page = html_of(client.get(self.url))
        assert 'value="555500002222"' in page
        response = client.post(self.url, self.data(has_cim_email=""))
        assert response.status_code == 302
        holder.refresh_from_db()
        assert not holder.has_cim_email

    def test_uuid_of_someone_else(self, world, client_for):
        holder_for(world.manager, uuid="555500002222")
        response = client_for("staff").post(self.url, self.data())
        assert "already recorded for someone else" in error_summary(response)

    def test_manager_keeps_staff_card_details(self, world, client_for):
        url = reverse("smartcard_staff_card_edit", args=[world.premises.pk, world.staff.pk])
        client = client_for("manager")
        assert "Their Care Identity profile" in html_of(client.get(url))
        assert client.post(url, self.data()).status_code == 302
        assert SmartcardHolder.objects.get(user=world.staff).uuid == "555500002222"
        assert AuditEvent.objects.filter(
            action="smartcard_holder.created", actor=world.manager
        ).exists()

    def test_manager_cannot_reach_people_who_do_not_work_there(self, world, client_for):
        stranger = MembershipFactory(premises=world.other_premises).user
        url = reverse("smartcard_staff_card_edit", args=[world.premises.pk, stranger.pk])
        assert client_for("manager").get(url).status_code == 404


class TestTextReminderNumber:
    """The holder's own mobile number for text reminders, on their card details form, where
    the portal sends text messages (GOV.UK Notify configured; decisions/0041)."""

    url = reverse("smartcard_my_card_edit")

    @pytest.fixture
    def texts_on(self, settings):
        # Only the setting: nothing here sends, so no Notify stub is needed.
        settings.NOTIFY_API_KEY = "portal_test-not-a-real-key"

    def data(self, **overrides):
        return TestCardDetailsForm().data(**overrides)

    def test_not_offered_without_notify(self, world, client_for, holder, settings):
        settings.NOTIFY_API_KEY = ""
        client = client_for("staff")
        assert 'name="reminder_mobile"' not in html_of(client.get(self.url))
        assert "Text reminders" not in html_of(client.get(reverse("smartcard_my_card")))
        # A number posted anyway is not taken, and one already given is kept.
        holder.reminder_mobile = "+447700900982"
        holder.save()
        assert client.post(self.url, self.data(reminder_mobile="07400 123456")).status_code == 302
        holder.refresh_from_db()
        assert holder.reminder_mobile == "+447700900982"

    def test_give_change_and_remove(self, world, client_for, texts_on):
        client = client_for("staff")
        assert 'name="reminder_mobile"' in html_of(client.get(self.url))
        response = client.post(self.url, self.data(reminder_mobile="+44 (0)7700 900 123"))
        assert response.status_code == 302
        holder = SmartcardHolder.objects.get(user=world.staff)
        assert holder.reminder_mobile == "+447700900123"
        assert "To 07700 900123" in html_of(client.get(reverse("smartcard_my_card")))
        assert 'value="07700 900123"' in html_of(client.get(self.url))

        assert client.post(self.url, self.data(reminder_mobile="07400123456")).status_code == 302
        holder.refresh_from_db()
        assert holder.reminder_mobile == "+447400123456"

        assert client.post(self.url, self.data(reminder_mobile="   ")).status_code == 302
        holder.refresh_from_db()
        assert holder.reminder_mobile == ""
        assert "None: add a mobile phone number" in html_of(
            client.get(reverse("smartcard_my_card"))
        )
        said = [
            event.changes.get("reminder_mobile")
            for event in AuditEvent.objects.filter(
                action__startswith="smartcard_holder.", actor=world.staff
            ).order_by("pk")
        ]
        # That a number was given, changed or removed; never the number itself.
        assert said == ["given", ["given", "changed"], ["given", "none"]]
        assert not AuditEvent.objects.filter(changes__icontains="7700").exists()

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("01484 355220", "This is not a mobile phone number"),
            ("0845 127 2600", "This is not a mobile phone number"),
            ("+33 6 12 34 56 78", "Enter a UK mobile phone number, like 07700 900 982"),
            ("07700 9OO123", "Enter a UK mobile phone number, like 07700 900 982"),
            ("0770090012", "Enter a UK mobile phone number, like 07700 900 982"),
            ("077009001234", "Enter a UK mobile phone number, like 07700 900 982"),
            ("07" + "1" * 200, "Enter a UK mobile phone number, like 07700 900 982"),
            ("07700\x00900123", "Enter a UK mobile phone number, like 07700 900 982"),
            ("\x00", "Enter a UK mobile phone number, like 07700 900 982"),
            ("<script>alert(1)</script>", "Enter a UK mobile phone number, like 07700 900 982"),
            ("123456", "Enter a UK mobile phone number, like 07700 900 982"),
        ],
    )
    def test_bad_values(self, world, client_for, texts_on, typed, message):
        response = client_for("staff").post(self.url, self.data(reminder_mobile=typed))
        html = error_summary(response)
        assert message in html
        assert "Null characters" not in html
        assert not SmartcardHolder.objects.exists()

    def test_a_bad_number_keeps_what_was_typed_and_the_saved_number(
        self, world, client_for, texts_on, holder
    ):
        holder.reminder_mobile = "+447700900982"
        holder.save()
        response = client_for("staff").post(
            self.url, self.data(uuid=holder.uuid, reminder_mobile="01484 355220")
        )
        assert 'value="01484 355220"' in error_summary(response)
        holder.refresh_from_db()
        assert holder.reminder_mobile == "+447700900982"

    @pytest.mark.parametrize(
        "role", ["staff", "manager", "unlocker", "head_office", "portal_admin"]
    )
    def test_every_role_gives_only_their_own_number(self, world, client_for, texts_on, role):
        for other in ("staff", "manager"):
            if other != role:
                holder_for(world.user(other))
        client = client_for(role)
        assert 'name="reminder_mobile"' in html_of(client.get(self.url))
        data = self.data(uuid="5555 0000 7777", reminder_mobile="07700 900555")
        assert client.post(self.url, data).status_code == 302
        assert SmartcardHolder.objects.get(user=world.user(role)).reminder_mobile == (
            "+447700900555"
        )
        others = SmartcardHolder.objects.exclude(user=world.user(role))
        assert others.exists()
        assert set(others.values_list("reminder_mobile", flat=True)) == {""}

    def test_a_manager_never_gives_a_staff_members_number(
        self, world, client_for, texts_on, holder
    ):
        url = reverse("smartcard_staff_card_edit", args=[world.premises.pk, world.staff.pk])
        client = client_for("manager")
        assert 'name="reminder_mobile"' not in html_of(client.get(url))
        data = self.data(uuid=holder.uuid, reminder_mobile="07700 900555")
        assert client.post(url, data).status_code == 302
        holder.refresh_from_db()
        assert holder.reminder_mobile == ""

    def test_the_service_refuses_anyone_but_the_holder(self, world, holder):
        with pytest.raises(PermissionDenied):
            services.smartcard_holder_save(
                actor=world.manager,
                person=world.staff,
                premises=world.premises,
                uuid=holder.uuid,
                certificate_expires_on=holder.certificate_expires_on,
                has_cim_email=False,
                reminder_mobile="07700 900555",
            )


class TestRaise:
    url = reverse("smartcard_request_create")

    def test_needs_card_details_first(self, client_for):
        response = client_for("staff").get(self.url)
        assert response.url == reverse("smartcard_my_card_edit")

    def test_raise_an_urgent_unlock(self, world, client_for, holder):
        response = client_for("staff").post(
            self.url, {"kind": "unlock", "urgent": "on", "note": "Locked at 9am"}
        )
        smartcard_request = SmartcardRequest.objects.get()
        assert response.url == reverse("smartcard_request_detail", args=[smartcard_request.pk])
        assert smartcard_request.urgent and smartcard_request.premises == world.premises

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"kind": "unlock", "note": "my passcode is 123456"}, "Never share your passcode"),
            ({"kind": "unlock", "note": "x" * 501}, "at most 500 characters"),
            ({"kind": "teleport"}, "Select a valid choice"),
            ({"note": ""}, "Select unlock or renew"),
            ({"kind": "renew"}, "can only be renewed in the 90 days"),
        ],
    )
    def test_bad_values(self, client_for, holder, data, message):
        response = client_for("staff").post(self.url, data)
        assert message in error_summary(response)
        assert not SmartcardRequest.objects.exists()

    def test_passcode_note_is_refused_but_kept_for_editing(self, client_for, holder):
        response = client_for("staff").post(self.url, {"kind": "unlock", "note": "Locked. 123456"})
        assert "Locked. 123456" in error_summary(response)

    def test_eligible_holder_confirms_self_service_first(self, client_for, holder):
        holder.has_cim_email = True
        holder.save()
        client = client_for("staff")
        page = html_of(client.get(self.url))
        assert "Unlock it yourself first" in page
        response = client.post(self.url, {"kind": "unlock"})
        assert "Try self-service unlock first" in error_summary(response)
        assert not SmartcardRequest.objects.exists()
        response = client.post(self.url, {"kind": "unlock", "tried_self_service": "on"})
        assert response.status_code == 302

    def test_locum_chooses_the_premises(self, world, client_for, holder):
        MembershipFactory(user=world.staff, premises=world.second_premises)
        client = client_for("staff")
        response = client.post(self.url, {"kind": "unlock"})
        assert "Select the premises you are working at" in error_summary(response)
        response = client.post(self.url, {"kind": "unlock", "premises": world.other_premises.pk})
        assert "Select a valid choice" in error_summary(response)
        client.post(self.url, {"kind": "unlock", "premises": world.second_premises.pk})
        assert SmartcardRequest.objects.get().premises == world.second_premises

    def test_duplicate_request(self, world, client_for, holder):
        SmartcardRequestFactory(holder=holder, premises=world.premises)
        response = client_for("staff").post(self.url, {"kind": "unlock"})
        assert "already an unlock request" in error_summary(response)

    def test_manager_raises_for_staff(self, world, client_for, holder):
        url = reverse("smartcard_staff_request_create", args=[world.premises.pk])
        client = client_for("manager")
        page = html_of(client.get(url, {"holder": holder.pk}))
        assert "Sam Staff" in page
        elsewhere = holder_at(world.other_premises)
        response = client.post(url, {"holder": elsewhere.pk, "kind": "unlock"})
        assert "Choose a member of staff" in error_summary(response)
        response = client.post(url, {"holder": holder.pk, "kind": "unlock", "note": "pin 123456"})
        assert "Never share" in error_summary(response)
        response = client.post(url, {"holder": holder.pk, "kind": "unlock", "urgent": "on"})
        assert response.status_code == 302
        assert SmartcardRequest.objects.get().raised_by == world.manager


class TestQueue:
    url = reverse("smartcard_queue")

    def test_covered_premises_only_urgent_then_oldest(self, world, client_for):
        now = timezone.now()
        old = SmartcardRequestFactory(premises=world.premises, raised_at=now - timedelta(hours=2))
        urgent = SmartcardRequestFactory(premises=world.premises, urgent=True, raised_at=now)
        older_urgent = SmartcardRequestFactory(
            premises=world.premises, urgent=True, raised_at=now - timedelta(minutes=5)
        )
        uncovered = SmartcardRequestFactory(premises=world.second_premises)
        other_org = SmartcardRequestFactory(premises=world.other_premises)
        done = SmartcardRequestFactory(
            premises=world.premises, status=Status.CANCELLED, closed_by=world.staff, closed_at=now
        )
        html = html_of(client_for("unlocker").get(self.url))
        positions = [
            html.find(f'/smartcards/requests/{r.pk}/"') for r in (older_urgent, urgent, old)
        ]
        assert -1 not in positions and positions == sorted(positions)
        for hidden in (uncovered, other_org, done):
            assert f'/smartcards/requests/{hidden.pk}/"' not in html
        assert "2 hours" in html

    def test_polls_a_partial(self, client_for):
        html = html_of(client_for("unlocker").get(self.url))
        assert 'hx-get="/smartcards/queue/rows/"' in html
        assert 'hx-trigger="every 15s"' in html
        rows = html_of(
            client_for("unlocker").get(reverse("smartcard_queue_rows"), {"show": "mine"})
        )
        assert "<html" not in rows and "Nothing waiting" in rows

    def test_views(self, world, client_for, second_unlocker):
        mine = claimed(SmartcardRequestFactory(premises=world.premises), world.unlocker)
        theirs = claimed(SmartcardRequestFactory(premises=world.premises), second_unlocker)
        waiting = SmartcardRequestFactory(premises=world.premises)
        client = client_for("unlocker")

        def shown(show):
            html = html_of(client.get(reverse("smartcard_queue_rows"), {"show": show}))
            return {
                r.pk for r in (mine, theirs, waiting) if f'/smartcards/requests/{r.pk}/"' in html
            }

        assert shown("all") == {mine.pk, theirs.pk, waiting.pk}
        assert shown("nonsense") == {mine.pk, theirs.pk, waiting.pk}
        assert shown("waiting") == {waiting.pk}
        assert shown("mine") == {mine.pk}

    @pytest.mark.parametrize("role", ["unlocker", "portal_admin"])
    def test_fixed_number_of_queries(self, world, client_for, django_assert_num_queries, role):
        client = client_for(role)
        client.get(self.url)  # session and caches warm

        def render(n):
            SmartcardRequest.objects.all().delete()
            for _ in range(n):
                SmartcardRequestFactory(premises=world.premises, urgent=n % 2 == 0)
            with django_assert_num_queries(QUEUE_QUERIES[role]):
                html_of(client.get(self.url))
            with django_assert_num_queries(QUEUE_ROWS_QUERIES[role]):
                html_of(client.get(reverse("smartcard_queue_rows")))

        render(2)
        render(30)


# Session, user, OTP device, the user's scope (memberships, covers and head-office rows in
# one query), the count and the page of requests. The session is saved once a minute at
# most (accounts.middleware.SessionIdleRefreshMiddleware), not on these requests.
QUEUE_QUERIES = {"unlocker": 6, "portal_admin": 6}
QUEUE_ROWS_QUERIES = {"unlocker": 6, "portal_admin": 6}


class TestClaimAndResolvePages:
    def test_claim_from_the_queue(
        self, world, client_for, holder, second_unlocker, django_capture_on_commit_callbacks
    ):
        smartcard_request = SmartcardRequestFactory(holder=holder, premises=world.premises)
        url = reverse("smartcard_request_claim", args=[smartcard_request.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for("unlocker").post(url, {"from": "queue"})
        assert response.url == reverse("smartcard_request_detail", args=[smartcard_request.pk])
        assert mail.outbox[0].to == [world.staff.email]
        second = sign_in(Client(), second_unlocker)
        response = second.post(url, {"from": "queue"}, follow=True)
        assert "Already claimed by Uma Unlocker" in html_of(response)
        assert response.redirect_chain[-1][0] == reverse("smartcard_queue")

    def test_claim_someone_elses_premises_is_404(self, world, client_for):
        smartcard_request = SmartcardRequestFactory(premises=world.second_premises)
        url = reverse("smartcard_request_claim", args=[smartcard_request.pk])
        assert client_for("unlocker").post(url).status_code == 404

    def test_claim_a_cancelled_request(self, world, client_for, holder):
        smartcard_request = SmartcardRequestFactory(
            holder=holder,
            premises=world.premises,
            status=Status.CANCELLED,
            closed_by=world.staff,
            closed_at=timezone.now(),
        )
        response = client_for("unlocker").post(
            reverse("smartcard_request_claim", args=[smartcard_request.pk]), follow=True
        )
        assert "Sam Staff cancelled this request" in html_of(response)

    def resolve_url(self, smartcard_request):
        return reverse("smartcard_request_resolve", args=[smartcard_request.pk])

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"outcome": "done", "note": "Done"}, "Confirm you checked the holder"),
            ({"outcome": "done", "identity_checked": "on"}, "Enter a short note"),
            (
                {"outcome": "done", "identity_checked": "on", "note": "new passcode 975310"},
                "Never share",
            ),
            ({"outcome": "fixed", "note": "x"}, "Select a valid choice"),
            ({"note": "x"}, "Select what happened"),
        ],
    )
    def test_bad_resolution(self, world, client_for, holder, data, message):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises), world.unlocker
        )
        response = client_for("unlocker").post(self.resolve_url(smartcard_request), data)
        assert message in error_summary(response)
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.CLAIMED

    def test_renewal_needs_the_new_date(self, world, client_for, holder):
        holder.certificate_expires_on = timezone.localdate() + timedelta(days=20)
        holder.save()
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises, kind="renew"),
            world.unlocker,
        )
        client = client_for("unlocker")
        data = {"outcome": "done", "identity_checked": "on", "note": "Renewed"}
        response = client.post(self.resolve_url(smartcard_request), data)
        assert "Enter the new certificate expiry date" in error_summary(response)
        response = client.post(
            self.resolve_url(smartcard_request),
            {**data, **day_fields("new_expires_on", timezone.localdate() + timedelta(days=20))},
        )
        assert "must be after the old one" in error_summary(response)
        new_date = timezone.localdate() + timedelta(days=750)
        response = client.post(
            self.resolve_url(smartcard_request), {**data, **day_fields("new_expires_on", new_date)}
        )
        assert response.status_code == 302
        holder.refresh_from_db()
        assert holder.certificate_expires_on == new_date

    def test_renewal_outside_the_window_offers_referral(self, world, client_for, holder):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises, kind="renew"),
            world.unlocker,
        )
        client = client_for("unlocker")
        page = html_of(client.get(self.resolve_url(smartcard_request)))
        assert "Cannot be renewed locally" in page
        assert "Referred to the Registration Authority" in page
        response = client.post(
            self.resolve_url(smartcard_request),
            {
                "outcome": "done",
                "identity_checked": "on",
                "note": "Renewed",
                **day_fields("new_expires_on", timezone.localdate() + timedelta(days=900)),
            },
        )
        assert "can only be renewed in the 90 days" in error_summary(response)
        response = client.post(
            self.resolve_url(smartcard_request), {"outcome": "referred", "note": "Not due yet"}
        )
        assert response.status_code == 302
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.REFERRED

    def test_someone_else_holds_it(self, world, client_for, holder, second_unlocker):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises), second_unlocker
        )
        client = client_for("unlocker")
        page = html_of(client.get(self.resolve_url(smartcard_request)))
        assert "Only Viv Second, who claimed this request, can resolve it" in page
        assert 'name="outcome"' not in page
        response = client.post(
            self.resolve_url(smartcard_request),
            {"outcome": "done", "identity_checked": "on", "note": "x"},
        )
        assert "Only Viv Second" in html_of(response)
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.CLAIMED

    def test_open_request_must_be_claimed_first(self, world, client_for, holder):
        smartcard_request = SmartcardRequestFactory(holder=holder, premises=world.premises)
        page = html_of(client_for("unlocker").get(self.resolve_url(smartcard_request)))
        assert "Claim this request before you resolve it" in page
        assert "Claim this request</button>" in page

    def test_resolve_and_holder_sees_outcome(self, world, client_for, holder):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises, urgent=True),
            world.unlocker,
        )
        response = client_for("unlocker").post(
            self.resolve_url(smartcard_request),
            {"outcome": "done", "identity_checked": "on", "note": "Unlocked, try again now"},
        )
        assert response.status_code == 302
        html = html_of(
            client_for("staff").get(
                reverse("smartcard_request_detail", args=[smartcard_request.pk])
            )
        )
        assert "Unlocked" in html and "Unlocked, try again now" in html and "Uma Unlocker" in html
        # A second resolution, say from a stale tab, is refused in words.
        again = html_of(client_for("unlocker").get(self.resolve_url(smartcard_request)))
        assert "already closed (unlocked) by Uma Unlocker" in again

    def test_decline(self, world, client_for, holder):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises), world.unlocker
        )
        url = reverse("smartcard_request_decline", args=[smartcard_request.pk])
        client = client_for("unlocker")
        assert "Enter why you are declining" in error_summary(client.post(url, {"reason": ""}))
        assert "Never share" in error_summary(client.post(url, {"reason": "code 11223344"}))
        assert client.post(url, {"reason": "No answer at the pharmacy"}).status_code == 302
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.DECLINED

    def test_release(self, world, client_for, holder):
        smartcard_request = claimed(
            SmartcardRequestFactory(holder=holder, premises=world.premises), world.unlocker
        )
        response = client_for("unlocker").post(
            reverse("smartcard_request_release", args=[smartcard_request.pk])
        )
        assert response.status_code == 302
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.OPEN


class TestCancelPage:
    def test_holder_cancels(self, world, client_for, holder):
        smartcard_request = SmartcardRequestFactory(holder=holder, premises=world.premises)
        url = reverse("smartcard_request_cancel", args=[smartcard_request.pk])
        client = client_for("staff")
        assert "Never share" in error_summary(client.post(url, {"reason": "it was 135790"}))
        assert client.post(url, {"reason": "Self-service worked"}).status_code == 302
        smartcard_request.refresh_from_db()
        assert smartcard_request.status == Status.CANCELLED
        page = html_of(client.get(url))
        assert "already closed" in page and 'name="reason"' not in page

    def test_request_of_another_organisation_is_404(self, world, client_for):
        elsewhere = SmartcardRequestFactory(premises=world.other_premises)
        for role in ("staff", "manager", "unlocker", "head_office"):
            client = client_for(role)
            assert (
                client.get(reverse("smartcard_request_detail", args=[elsewhere.pk])).status_code
                == 404
            )
            assert (
                client.get(reverse("smartcard_request_cancel", args=[elsewhere.pk])).status_code
                == 404
            )

    def test_holders_see_only_their_own(self, world, client_for):
        colleague = SmartcardRequestFactory(
            holder=holder_at(world.premises), premises=world.premises
        )
        assert (
            client_for("staff")
            .get(reverse("smartcard_request_detail", args=[colleague.pk]))
            .status_code
            == 404
        )
        assert (
            client_for("manager")
            .get(reverse("smartcard_request_detail", args=[colleague.pk]))
            .status_code
            == 200
        )


class TestHolders:
    def test_search_by_name_and_uuid_within_cover(self, world, client_for, holder):
        elsewhere = holder_at(world.second_premises)
        client = client_for("unlocker")
        url = reverse("smartcard_holder_search")
        html = html_of(client.get(url, {"q": "sam"}))
        assert "Sam Staff" in html
        assert html_of(client.get(url, {"q": "5555 0000 9999"})).count("Sam Staff") == 1
        html = html_of(client.get(url, {"q": elsewhere.uuid}))
        assert "No holder matches" in html and elsewhere.user.full_name not in html

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("123456", "Never share your passcode"),
            ("12345", "Enter the full 12-digit UUID"),
            ("x" * 101, "at most 100"),
        ],
    )
    def test_bad_search(self, client_for, query, message):
        response = client_for("unlocker").get(reverse("smartcard_holder_search"), {"q": query})
        assert message in error_summary(response)

    def test_profile_view_is_audited(self, world, client_for, holder):
        SmartcardRequestFactory(holder=holder, premises=world.premises)
        html = html_of(
            client_for("unlocker").get(reverse("smartcard_holder_detail", args=[holder.pk]))
        )
        assert "555500009999" in html and "Calder Pharmacy" in html and "Unlock" in html
        assert AuditEvent.objects.filter(
            action="smartcard_holder.viewed", actor=world.unlocker, object_id=str(holder.pk)
        ).exists()

    def test_unlocker_cannot_view_holders_elsewhere(self, world, client_for):
        elsewhere = holder_at(world.second_premises)
        url = reverse("smartcard_holder_detail", args=[elsewhere.pk])
        assert client_for("unlocker").get(url).status_code == 404
        assert client_for("staff").get(url).status_code == 404
        assert client_for("head_office").get(url).status_code == 200


class TestPremisesAndCover:
    def test_premises_page_flags_missing_cover(self, world, client_for):
        html = html_of(
            client_for("head_office").get(
                reverse("smartcard_premises", args=[world.second_premises.pk])
            )
        )
        assert "No smartcard unlocker covers this premises" in html

    def test_unlocker_working_there(self, world, client_for, holder):
        html = html_of(
            client_for("manager").get(reverse("smartcard_premises", args=[world.premises.pk]))
        )
        assert (
            "Uma Unlocker" in html
            and "None of the unlockers covering this premises works here" in html
        )
        assert "Sam Staff" in html and "Ask for help with a member of staff" in html
        MembershipFactory(user=world.unlocker, premises=world.premises)
        html = html_of(
            client_for("staff").get(reverse("smartcard_premises", args=[world.premises.pk]))
        )
        assert "Works here" in html
        assert "Ask for help with a member of staff" not in html and "555500009999" not in html

    def test_cover_report(self, world, client_for):
        client = client_for("head_office")
        html = html_of(client.get(reverse("smartcard_cover")))
        assert "No cover" in html and "No unlocker on site" in html
        assert world.other_premises.name not in html
        html = html_of(client.get(reverse("smartcard_cover"), {"without": "1"}))
        assert world.second_premises.name in html

    def test_cover_report_queries(self, world, client_for, django_assert_num_queries):
        client = client_for("portal_admin")
        client.get(reverse("smartcard_cover"))

        def render(expected_rows):
            with django_assert_num_queries(8):
                html = html_of(client.get(reverse("smartcard_cover")))
            assert html.count('/smartcards/">') >= expected_rows

        render(3)
        for _ in range(12):
            premises = PremisesFactory(organisation=world.premises.organisation)
            UnlockerCoverFactory(premises=premises)
            MembershipFactory(
                premises=premises, user=UnlockerCoverFactory(premises=premises).unlocker
            )
        render(15)


class TestHeadOffice:
    def test_figures_and_csv(self, world, client_for):
        today = timezone.localdate()
        for days in (-1, 10, 45, 80, 200):
            holder_at(world.premises, certificate_expires_on=today + timedelta(days=days))
        SmartcardRequestFactory(premises=world.premises, urgent=True)
        SmartcardRequestFactory(
            premises=world.second_premises, raised_at=timezone.now() - timedelta(hours=3)
        )
        SmartcardRequestFactory(premises=world.other_premises)
        client = client_for("head_office")
        html = html_of(
            client.get(reverse("smartcard_organisation", args=[world.premises.organisation_id]))
        )
        assert "2 (1 urgent)" in html
        assert "1 within 30 days, 2 within 60 days, 3 within 90 days" in html
        response = client.get(
            reverse("smartcard_organisation_csv", args=[world.premises.organisation_id])
        )
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:4] == ["ODS code", "Premises", "Town", "Open requests"]
        by_name = {row[1]: row for row in rows[1:]}
        assert set(by_name) == {"Calder Pharmacy", "Aire Pharmacy"}
        calder = by_name["Calder Pharmacy"]
        assert calder[3:5] == ["1", "1"]
        assert calder[6:10] == ["1", "1", "2", "3"]
        assert calder[10:] == ["1", "no"]
        assert by_name["Aire Pharmacy"][5] != ""

    def test_csv_neutralises_formulas(self, world, client_for):
        world.premises.name = '=HYPERLINK("http://evil")'
        world.premises.save()
        response = client_for("head_office").get(
            reverse("smartcard_organisation_csv", args=[world.premises.organisation_id])
        )
        assert "'=HYPERLINK" in b"".join(response.streaming_content).decode()

    def test_fixed_number_of_queries(self, world, client_for, django_assert_num_queries):
        client = client_for("head_office")
        url = reverse("smartcard_organisation", args=[world.premises.organisation_id])
        client.get(url)

        def render():
            with django_assert_num_queries(12):
                html_of(client.get(url))

        render()
        for _ in range(20):
            premises = PremisesFactory(organisation=world.premises.organisation)
            holder_at(premises, certificate_expires_on=timezone.localdate() + timedelta(days=5))
            SmartcardRequestFactory(premises=premises)
        # The first read works out the new premises' standings (factories skip the
        # services that would have); reads after that cost the same as before.
        client.get(url)
        render()


class TestRegistrationAuthorities:
    def url(self, world):
        return reverse("smartcard_authority_edit", args=[world.premises.region_id])

    def data(self, **overrides):
        values = {
            "name": "The Health Informatics Service",
            "main_phone": "0845 127 2600",
            "local_phone": "01484 355220",
            "email": "",
            "notes": "Weekdays 8am to 5pm. Local line 01484 355220.",
        }
        values.update(overrides)
        return values

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"main_phone": "123"}, "Enter a UK phone number"),
            ({"main_phone": ""}, "This field is required"),
            ({"local_phone": "call us"}, "Enter a UK phone number"),
            ({"email": "not-an-email"}, "Enter a valid email address"),
            ({"notes": "Test card passcode 246802"}, "Never share"),
            ({"name": "RA 24680246"}, "Never share"),
            ({"name": ""}, "This field is required"),
        ],
    )
    def test_bad_values(self, world, client_for, overrides, message):
        response = client_for("portal_admin").post(self.url(world), self.data(**overrides))
        assert message in error_summary(response)
        assert not RegistrationAuthority.objects.exists()

    def test_add_then_change(self, world, client_for):
        client = client_for("portal_admin")
        assert client.post(self.url(world), self.data()).status_code == 302
        assert client.post(self.url(world), self.data(local_phone="")).status_code == 302
        authority = RegistrationAuthority.objects.get()
        assert (authority.name, authority.local_phone) == ("The Health Informatics Service", "")
        assert list(
            AuditEvent.objects.filter(action__startswith="registration_authority").values_list(
                "action", flat=True
            )
        ) == ["registration_authority.updated", "registration_authority.created"]
        html = html_of(client.get(reverse("smartcard_authority_list")))
        assert "The Health Informatics Service" in html


class TestHome:
    def test_unlocker_sees_the_queue_count(self, world, client_for):
        SmartcardRequestFactory(premises=world.premises, urgent=True)
        html = html_of(client_for("unlocker").get("/"))
        assert "1 request waiting for an unlocker, <strong>1 urgent</strong>" in html

    def test_holder_sees_their_card_and_request(self, world, client_for, holder):
        claimed(SmartcardRequestFactory(holder=holder, premises=world.premises), world.unlocker)
        html = html_of(client_for("staff").get("/"))
        assert "Your smartcard" in html and "Claimed" in html and "Uma Unlocker" in html

    def test_head_office_gets_the_organisation_view(self, world, client_for):
        html = html_of(client_for("head_office").get("/"))
        assert reverse("smartcard_organisation", args=[world.premises.organisation_id]) in html
