from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent, PremisesStanding, StandingDay
from nhsmail import services
from nhsmail.models import AccountRequest, MailboxLink, PersonalAccount
from tests.factories import MembershipFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory


def nhsmail_standing(premises):
    """The stored row as it stands, without working anything out again."""
    return PremisesStanding.objects.get(premises=premises, area="nhsmail")


@pytest.mark.django_db
class TestMailbox:
    def test_manager_records_mailbox(self, world, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            mailbox = services.mailbox_set(
                actor=world.manager,
                premises=world.premises,
                address=" Pharmacy.FX123@NHS.net ",
                owners=[world.manager],
            )
        assert mailbox.address == "pharmacy.fx123@nhs.net"
        assert list(mailbox.owners.all()) == [world.manager]
        assert AuditEvent.objects.filter(
            action="nhsmail.mailbox_set", premises=world.premises
        ).exists()
        assert nhsmail_standing(world.premises).level == "red"

    @pytest.mark.parametrize(
        "address", ["pharmacy.fx123@gmail.com", "not an email", "@nhs.net", "a..b@nhs.net", ""]
    )
    def test_bad_addresses_refused(self, world, address):
        with pytest.raises(ValidationError):
            services.mailbox_set(actor=world.manager, premises=world.premises, address=address)

    def test_address_used_by_another_premises(self, world):
        SharedMailboxFactory(premises=world.other_premises, address="pharmacy.taken@nhs.net")
        with pytest.raises(ValidationError, match="Another premises"):
            services.mailbox_set(
                actor=world.manager, premises=world.premises, address="pharmacy.taken@nhs.net"
            )

    def test_staff_cannot_record_mailbox(self, world):
        with pytest.raises(PermissionDenied):
            services.mailbox_set(
                actor=world.staff, premises=world.premises, address="pharmacy.a1@nhs.net"
            )


@pytest.mark.django_db
class TestAccounts:
    def test_member_records_own_account_as_live_and_confirmed(self, world):
        account = services.account_record(
            actor=world.staff, person=world.staff, address="sam.staff@nhs.net", status="live"
        )
        assert account.last_confirmed_on == timezone.localdate()
        assert AuditEvent.objects.filter(action="nhsmail.account_recorded").count() == 1

    def test_address_of_another_person_refused(self, world):
        PersonalAccountFactory(address="taken@nhs.net")
        with pytest.raises(ValidationError, match="another person"):
            services.account_record(
                actor=world.staff, person=world.staff, address="TAKEN@nhs.net", status="live"
            )

    def test_staff_cannot_edit_a_colleagues_account(self, world):
        with pytest.raises(PermissionDenied):
            services.account_record(
                actor=world.staff, person=world.manager, address="m@nhs.net", status="live"
            )

    def test_manager_edits_their_staffs_account(self, world):
        services.account_record(
            actor=world.manager, person=world.staff, address="sam@nhs.net", status="disabled"
        )
        assert world.staff.nhsmail_account.status == PersonalAccount.Status.DISABLED

    def test_other_organisation_cannot_edit(self, world):
        with pytest.raises(PermissionDenied):
            services.account_record(
                actor=world.other_manager, person=world.staff, address="s@nhs.net", status="live"
            )

    def test_confirm_in_future_refused(self, world):
        account = PersonalAccountFactory(user=world.staff)
        with pytest.raises(ValidationError, match="future"):
            services.account_confirm_live(
                actor=world.staff, account=account, on=timezone.localdate() + timedelta(days=1)
            )

    def test_confirm_before_last_confirmation_refused(self, world):
        account = PersonalAccountFactory(user=world.staff)
        with pytest.raises(ValidationError, match="already confirmed"):
            services.account_confirm_live(
                actor=world.staff, account=account, on=timezone.localdate() - timedelta(days=3)
            )

    def test_confirm_non_live_account_refused(self, world):
        account = PersonalAccountFactory(user=world.staff, status="inactive")
        with pytest.raises(ValidationError, match="not live"):
            services.account_confirm_live(actor=world.staff, account=account)

    def test_confirm_resets_reminder_cycle(self, world):
        account = PersonalAccountFactory(
            user=world.staff, last_confirmed_on=timezone.localdate() - timedelta(days=26)
        )
        services.confirmation_reminders_send()
        account.refresh_from_db()
        assert account.reminder_sent_for is not None
        services.account_confirm_live(actor=world.staff, account=account)
        account.refresh_from_db()
        assert account.last_confirmed_on == timezone.localdate()


@pytest.mark.django_db
class TestLinks:
    def test_link_and_unlink_with_history(self, world, django_capture_on_commit_callbacks):
        mailbox = SharedMailboxFactory(premises=world.premises)
        account = PersonalAccountFactory(user=world.staff)
        with django_capture_on_commit_callbacks(execute=True):
            link = services.link_create(
                actor=world.manager, premises=world.premises, account=account
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.link_end(actor=world.manager, link=link)
        link.refresh_from_db()
        assert link.unlinked_on == timezone.localdate()
        assert link.unlinked_by == world.manager
        with pytest.raises(ValidationError, match="already unlinked"):
            services.link_end(actor=world.manager, link=link)
        # Linking again starts a new row; the old one stays as history.
        services.link_create(actor=world.manager, premises=world.premises, account=account)
        assert MailboxLink.objects.filter(account=account, mailbox=mailbox).count() == 2
        assert {"nhsmail.linked", "nhsmail.unlinked"} <= set(
            AuditEvent.objects.values_list("action", flat=True)
        )

    def test_link_someone_who_does_not_work_here(self, world):
        SharedMailboxFactory(premises=world.premises)
        stranger = PersonalAccountFactory()
        with pytest.raises(ValidationError, match="does not work at"):
            services.link_create(actor=world.manager, premises=world.premises, account=stranger)

    def test_link_twice(self, world):
        SharedMailboxFactory(premises=world.premises)
        account = PersonalAccountFactory(user=world.staff)
        services.link_create(actor=world.manager, premises=world.premises, account=account)
        with pytest.raises(ValidationError, match="already linked"):
            services.link_create(actor=world.manager, premises=world.premises, account=account)

    def test_link_without_mailbox(self, world):
        with pytest.raises(ValidationError, match="shared mailbox first"):
            services.link_create(
                actor=world.manager,
                premises=world.premises,
                account=PersonalAccountFactory(user=world.staff),
            )

    def test_ending_membership_reevaluates_at_once(self, world, django_capture_on_commit_callbacks):
        mailbox = SharedMailboxFactory(premises=world.premises)
        for user in (world.staff, world.manager):
            MailboxLinkFactory(account=PersonalAccountFactory(user=user), mailbox=mailbox)
        third = MembershipFactory(premises=world.premises)
        MailboxLinkFactory(account=PersonalAccountFactory(user=third.user), mailbox=mailbox)
        services.compliance_refresh(baseline=True)
        assert nhsmail_standing(world.premises).level == "green"
        with django_capture_on_commit_callbacks(execute=True):
            account_services.membership_end(
                actor=world.manager, membership=third, end_date=timezone.localdate()
            )
        stored = nhsmail_standing(world.premises)
        assert stored.level == "amber"
        assert stored.figures["qualifying_people"] == 2
        assert StandingDay.objects.get(premises=world.premises, area="nhsmail").level == "amber"


@pytest.mark.django_db
class TestAccountRequests:
    def test_request_tracked_to_done(self, world):
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        with pytest.raises(ValidationError, match="already asked"):
            services.account_request_create(actor=world.staff, premises=world.premises)
        services.account_request_submit(actor=world.manager, request=request)
        request.refresh_from_db()
        assert request.status == AccountRequest.Status.SUBMITTED
        services.account_record(
            actor=world.staff, person=world.staff, address="new@nhs.net", status="live"
        )
        request.refresh_from_db()
        assert request.status == AccountRequest.Status.LIVE
        with pytest.raises(ValidationError, match="already marked live"):
            services.account_request_submit(actor=world.manager, request=request)

    def test_only_members_ask_and_only_managers_advance(self, world):
        with pytest.raises(PermissionDenied):
            services.account_request_create(actor=world.head_office, premises=world.premises)
        request = services.account_request_create(actor=world.staff, premises=world.premises)
        with pytest.raises(PermissionDenied):
            services.account_request_submit(actor=world.staff, request=request)
