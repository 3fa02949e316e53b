"""A new starter's NHSmail account request, from asking to a live, linked account."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, PremisesStanding
from nhsmail import services
from nhsmail.models import AccountRequest, MailboxLink, PersonalAccount
from tests.conftest import sign_in
from tests.factories import MembershipFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory


def one_live_linked(world):
    """The premises' shared mailbox with one other live linked account: one short."""
    mailbox = SharedMailboxFactory(premises=world.premises)
    MailboxLinkFactory(account=PersonalAccountFactory(user=world.manager), mailbox=mailbox)
    return mailbox


def submitted_request(world):
    request = services.account_request_create(actor=world.staff, premises=world.premises)
    return services.account_request_submit(actor=world.manager, request=request)


@pytest.mark.django_db
class TestStageMessages:
    def test_mark_as_submitted_names_the_new_stage(self, world):
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        manager = sign_in(Client(), world.manager)
        response = manager.post(reverse("nhsmail_request_advance", args=[request.pk]), follow=True)
        assert "request is now: submitted for registration" in response.content.decode()

    def test_mark_account_live_names_the_new_stage(self, world):
        one_live_linked(world)
        request = submitted_request(world)
        manager = sign_in(Client(), world.manager)
        response = manager.post(
            reverse("nhsmail_request_live", args=[request.pk]),
            {"address": "sam.staff@nhs.net", "link": "on"},
            follow=True,
        )
        html = response.content.decode()
        assert "request is now: account live" in html
        assert "sam.staff@nhs.net" in html

    def test_submitting_twice_says_who_already_did_and_when(self, world):
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        first = sign_in(Client(), world.manager)
        second = sign_in(Client(), world.head_office)
        first.post(reverse("nhsmail_request_advance", args=[request.pk]))
        response = second.post(reverse("nhsmail_request_advance", args=[request.pk]), follow=True)
        html = response.content.decode()
        assert response.status_code == 200
        assert "already marked as submitted for registration by Mia Manager on" in html

    def test_marking_live_twice_says_who_already_did(self, world):
        one_live_linked(world)
        request = submitted_request(world)
        first = sign_in(Client(), world.manager)
        second = sign_in(Client(), world.head_office)
        url = reverse("nhsmail_request_live", args=[request.pk])
        assert second.get(url).status_code == 200
        first.post(url, {"address": "sam.staff@nhs.net", "link": "on"})
        response = second.post(url, {"address": "sam.staff@nhs.net", "link": "on"}, follow=True)
        assert response.status_code == 200
        assert "already marked live by Mia Manager on" in response.content.decode()


@pytest.mark.django_db
class TestAccountLive:
    def test_records_links_emails_and_turns_the_premises_compliant(
        self, world, django_capture_on_commit_callbacks
    ):
        mailbox = one_live_linked(world)
        request = submitted_request(world)
        services.compliance_refresh(baseline=True)
        assert PremisesStanding.objects.get(premises=world.premises, area="nhsmail").level == "red"
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            done = services.account_request_complete(
                actor=world.manager, request=request, address=" Sam.Staff@NHS.net ", link=True
            )
        account = PersonalAccount.objects.get(user=world.staff)
        assert account.address == "sam.staff@nhs.net"
        assert account.status == PersonalAccount.Status.LIVE
        assert MailboxLink.objects.current().filter(account=account, mailbox=mailbox).exists()
        request.refresh_from_db()
        assert request.status == AccountRequest.Status.LIVE
        assert request.account == account == done.account
        assert request.completed_by == world.manager
        starter_mail = [m for m in mail.outbox if world.staff.email in m.to]
        assert len(starter_mail) == 1
        assert "sam.staff@nhs.net" in starter_mail[0].body
        assert mailbox.address in starter_mail[0].body
        standing = PremisesStanding.objects.get(premises=world.premises, area="nhsmail")
        assert standing.level != "red"
        assert standing.figures["qualifying_people"] == 2
        assert AuditEvent.objects.filter(action="nhsmail.account_request_completed").exists()

    def test_without_linking_the_account_is_recorded_but_not_linked(self, world):
        one_live_linked(world)
        request = submitted_request(world)
        done = services.account_request_complete(
            actor=world.manager, request=request, address="sam.staff@nhs.net", link=False
        )
        assert done.link is None
        assert not MailboxLink.objects.filter(account=done.account).exists()

    def test_linking_needs_a_shared_mailbox(self, world):
        request = submitted_request(world)
        with pytest.raises(ValidationError) as raised:
            services.account_request_complete(
                actor=world.manager, request=request, address="sam.staff@nhs.net", link=True
            )
        assert "link" in raised.value.message_dict
        assert not PersonalAccount.objects.filter(user=world.staff).exists()

    def test_only_after_submission(self, world):
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        with pytest.raises(ValidationError, match="submitted for registration first"):
            services.account_request_complete(
                actor=world.manager, request=request, address="sam.staff@nhs.net", link=False
            )

    @pytest.mark.parametrize("role", ["staff", "unlocker", "other_manager"])
    def test_others_may_not_mark_it_live(self, world, role):
        request = submitted_request(world)
        with pytest.raises(PermissionDenied):
            services.account_request_complete(
                actor=world.user(role), request=request, address="sam.staff@nhs.net"
            )


BAD_ADDRESSES = [
    ("", "Enter their new personal NHSmail address"),
    ("sam.staff", "nhs.net"),
    ("sam.staff@gmail.com", "nhs.net"),
    ("pharmacy.fa123@nhs.net", "shared mailbox"),
    ("nhspharmacy.leeds.calder.fa123@nhs.net", "shared mailbox"),
    ("x" * 260 + "@nhs.net", "characters"),
]


@pytest.mark.django_db
class TestLiveAddressValidation:
    @pytest.mark.parametrize(("address", "message"), BAD_ADDRESSES)
    def test_bad_addresses_are_refused_next_to_the_field(self, world, address, message):
        one_live_linked(world)
        request = submitted_request(world)
        manager = sign_in(Client(), world.manager)
        response = manager.post(
            reverse("nhsmail_request_live", args=[request.pk]), {"address": address, "link": "on"}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "nhsuk-error-summary" in html
        assert message in html
        request.refresh_from_db()
        assert request.status == AccountRequest.Status.SUBMITTED

    def test_an_address_already_someone_elses_is_refused(self, world):
        one_live_linked(world)
        other = MembershipFactory(premises=world.premises).user
        PersonalAccountFactory(user=other, address="taken@nhs.net")
        request = submitted_request(world)
        manager = sign_in(Client(), world.manager)
        response = manager.post(
            reverse("nhsmail_request_live", args=[request.pk]), {"address": "taken@nhs.net"}
        )
        assert "already recorded for another person" in response.content.decode()

    def test_the_premises_stored_shared_mailbox_is_refused(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises, address="calder.team@nhs.net")
        request = submitted_request(world)
        manager = sign_in(Client(), world.manager)
        response = manager.post(
            reverse("nhsmail_request_live", args=[request.pk]), {"address": mailbox.address}
        )
        assert "is a shared mailbox address" in response.content.decode()


@pytest.mark.django_db
class TestStarterSeesProgress:
    def test_my_account_and_premises_page_show_the_stage(self, world):
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        staff = sign_in(Client(), world.staff)
        html = staff.get(reverse("nhsmail_my_account")).content.decode()
        assert "Your account requests" in html
        assert "Requested" in html
        services.account_request_submit(actor=world.manager, request=request)
        html = staff.get(reverse("nhsmail_my_account")).content.decode()
        assert "Submitted for registration" in html
        assert "Mia Manager" in html
        premises_html = staff.get(
            reverse("nhsmail_premises", args=[world.premises.pk])
        ).content.decode()
        assert "Your NHSmail account request: submitted for registration" in premises_html
        one_live_linked(world)
        services.account_request_complete(
            actor=world.manager, request=request, address="sam.staff@nhs.net", link=True
        )
        html = staff.get(reverse("nhsmail_my_account")).content.decode()
        assert "Account live" in html
        assert "sam.staff@nhs.net" in html

    def test_another_organisation_cannot_open_the_live_page(self, world):
        request = submitted_request(world)
        outsider = sign_in(Client(), world.other_manager)
        assert outsider.get(reverse("nhsmail_request_live", args=[request.pk])).status_code == 404
        assert (
            outsider.post(
                reverse("nhsmail_request_live", args=[request.pk]), {"address": "a.b@nhs.net"}
            ).status_code
            == 404
        )


@pytest.mark.django_db
class TestAskingForSomeoneElse:
    @pytest.mark.parametrize("role", ["head_office", "portal_admin"])
    def test_a_non_member_gets_a_message_not_a_bare_403(self, world, role):
        client = sign_in(Client(), world.user(role))
        response = client.post(reverse("nhsmail_get_account", args=[world.premises.pk]))
        assert response.status_code == 200
        assert "Only someone who works at Calder Pharmacy" in response.content.decode()
        assert not AccountRequest.objects.exists()
