"""The request state machine and card details, through the services."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from smartcards import services
from smartcards.models import SmartcardHolder, SmartcardRequest, SmartcardRequestEvent
from tests.factories import MembershipFactory, UserFactory
from tests.smartcards.factories import SmartcardRequestFactory, holder_for

Status = SmartcardRequest.Status
pytestmark = pytest.mark.django_db


def raise_unlock(world, holder, **overrides):
    fields = {
        "actor": world.staff,
        "holder": holder,
        "premises": world.premises,
        "kind": "unlock",
        "urgent": True,
        "note": "Locked at the till",
    }
    fields.update(overrides)
    return services.smartcard_request_raise(**fields)


def claim(world, smartcard_request, actor=None):
    return services.smartcard_request_claim(
        actor=actor or world.unlocker, smartcard_request=smartcard_request
    )


def resolve(world, smartcard_request, actor=None, **overrides):
    fields = {
        "actor": actor or world.unlocker,
        "smartcard_request": smartcard_request,
        "outcome": "done",
        "note": "Unlocked after a call to the pharmacy",
        "identity_checked": True,
    }
    fields.update(overrides)
    return services.smartcard_request_resolve(**fields)


def refreshed(smartcard_request):
    return SmartcardRequest.objects.get(pk=smartcard_request.pk)


def actions(smartcard_request):
    return list(smartcard_request.events.values_list("action", flat=True))


class TestRaise:
    def test_holder_raises_for_themselves(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        assert (smartcard_request.status, smartcard_request.urgent) == (Status.OPEN, True)
        assert smartcard_request.raised_by == world.staff
        assert actions(smartcard_request) == ["raised"]
        assert AuditEvent.objects.filter(
            action="smartcard_request.raised", premises=world.premises, actor=world.staff
        ).exists()

    def test_manager_raises_for_their_staff(self, world, holder):
        smartcard_request = raise_unlock(world, holder, actor=world.manager)
        assert smartcard_request.raised_by == world.manager

    @pytest.mark.parametrize("role", ["unlocker", "head_office", "other_manager"])
    def test_others_cannot_raise_for_a_holder(self, world, holder, role):
        with pytest.raises(PermissionDenied):
            raise_unlock(world, holder, actor=getattr(world, role))

    def test_staff_cannot_raise_for_a_colleague(self, world, holder):
        colleague = holder_for(MembershipFactory(premises=world.premises).user)
        with pytest.raises(PermissionDenied):
            raise_unlock(world, colleague)

    def test_holder_cannot_raise_from_a_premises_they_do_not_work_at(self, world, holder):
        with pytest.raises(PermissionDenied):
            raise_unlock(world, holder, premises=world.second_premises)

    def test_one_live_request_of_each_kind(self, world, holder):
        first = raise_unlock(world, holder)
        with pytest.raises(ValidationError) as caught:
            raise_unlock(world, holder)
        assert "already an unlock request" in caught.value.message_dict["kind"][0]
        services.smartcard_request_cancel(actor=world.staff, smartcard_request=first)
        assert raise_unlock(world, holder).status == Status.OPEN

    def test_database_holds_one_live_request_per_kind(self, world, holder):
        SmartcardRequestFactory(holder=holder, premises=world.premises)
        with pytest.raises(IntegrityError), transaction.atomic():
            SmartcardRequestFactory(holder=holder, premises=world.premises)

    @pytest.mark.parametrize("note", ["my passcode is 123456", "1234 5678", "pin ９８７６５４"])
    def test_passcode_like_note_is_refused_and_nothing_saved(self, world, holder, note):
        with pytest.raises(ValidationError) as caught:
            raise_unlock(world, holder, note=note)
        assert "Never share your passcode" in caught.value.message_dict["note"][0]
        assert not SmartcardRequest.objects.exists()

    def test_note_may_quote_the_holders_own_uuid(self, world, holder):
        assert raise_unlock(world, holder, note="UUID 5555 0000 9999, card 00009999").pk

    def test_unknown_kind(self, world, holder):
        with pytest.raises(ValidationError, match="Select unlock or renew"):
            raise_unlock(world, holder, kind="repair")


class TestRenewalWindow:
    """Renewal is local only while the certificates expire within the next 90 days."""

    EXPIRES = datetime(2026, 9, 30).date()

    def travel(self, day):
        return time_machine.travel(
            timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=12)),
            tick=False,
        )

    @pytest.fixture
    def renewing(self, world):
        return holder_for(world.staff, certificate_expires_on=self.EXPIRES)

    def raise_renewal(self, world, holder):
        return services.smartcard_request_raise(
            actor=world.staff, holder=holder, premises=world.premises, kind="renew"
        )

    def test_the_day_before_the_window_opens(self, world, renewing):
        with (
            self.travel(self.EXPIRES - timedelta(days=91)),
            pytest.raises(ValidationError) as caught,
        ):
            self.raise_renewal(world, renewing)
        message = caught.value.message_dict["kind"][0]
        assert "can be renewed from 2 July 2026" in message
        assert "90 days" in message

    @pytest.mark.parametrize("days_before", [90, 45, 0])
    def test_inside_the_window_including_both_edges(self, world, renewing, days_before):
        with self.travel(self.EXPIRES - timedelta(days=days_before)):
            smartcard_request = self.raise_renewal(world, renewing)
            claim(world, smartcard_request)
            resolve(
                world,
                smartcard_request,
                note="Renewed in CIM",
                new_expires_on=self.EXPIRES + timedelta(days=730),
            )
        renewing.refresh_from_db()
        assert renewing.certificate_expires_on == self.EXPIRES + timedelta(days=730)
        assert refreshed(smartcard_request).outcome_label == "Renewed"

    def test_expired_goes_to_the_ra(self, world, renewing):
        with (
            self.travel(self.EXPIRES + timedelta(days=1)),
            pytest.raises(ValidationError) as caught,
        ):
            self.raise_renewal(world, renewing)
        assert "only the Registration Authority can repair" in caught.value.message_dict["kind"][0]

    def test_expiring_while_waiting_is_refused_then_referred(self, world, renewing):
        with self.travel(self.EXPIRES - timedelta(days=3)):
            smartcard_request = self.raise_renewal(world, renewing)
            claim(world, smartcard_request)
        with self.travel(self.EXPIRES + timedelta(days=1)):
            with pytest.raises(ValidationError) as caught:
                resolve(world, smartcard_request, new_expires_on=self.EXPIRES + timedelta(days=700))
            assert "refer it to the RA" in caught.value.message_dict["outcome"][0]
            assert refreshed(smartcard_request).status == Status.CLAIMED
            resolve(
                world,
                smartcard_request,
                outcome="referred",
                note="Expired: the RA must repair it",
                identity_checked=False,
            )
        assert refreshed(smartcard_request).status == Status.REFERRED
        renewing.refresh_from_db()
        assert renewing.certificate_expires_on == self.EXPIRES

    def test_renewal_needs_a_later_expiry_date(self, world, renewing):
        with self.travel(self.EXPIRES - timedelta(days=10)):
            smartcard_request = self.raise_renewal(world, renewing)
            claim(world, smartcard_request)
            with pytest.raises(ValidationError) as caught:
                resolve(world, smartcard_request)
            assert "new_expires_on" in caught.value.message_dict
            with pytest.raises(ValidationError, match="must be after the old one"):
                resolve(world, smartcard_request, new_expires_on=self.EXPIRES)


class TestClaim:
    def test_claim_tells_the_holder(self, world, holder, django_capture_on_commit_callbacks):
        smartcard_request = raise_unlock(world, holder)
        with django_capture_on_commit_callbacks(execute=True):
            claim(world, smartcard_request)
        smartcard_request = refreshed(smartcard_request)
        assert smartcard_request.status == Status.CLAIMED
        assert smartcard_request.claimed_by == world.unlocker
        assert smartcard_request.claimed_at is not None
        assert [m.to for m in mail.outbox] == [[world.staff.email]]
        assert "Uma Unlocker" in mail.outbox[0].subject
        assert actions(smartcard_request) == ["raised", "claimed"]
        assert AuditEvent.objects.filter(
            action="smartcard_request.claimed", actor=world.unlocker
        ).exists()

    def test_claim_tells_the_manager_who_raised_it_too(
        self, world, holder, django_capture_on_commit_callbacks
    ):
        smartcard_request = raise_unlock(world, holder, actor=world.manager)
        with django_capture_on_commit_callbacks(execute=True):
            claim(world, smartcard_request)
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [world.staff.email, world.manager.email]
        )

    def test_second_unlocker_is_told_who_holds_it(self, world, holder, second_unlocker):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match="Already claimed by Uma Unlocker") as caught:
            claim(world, smartcard_request, second_unlocker)
        assert caught.value.code == "already_claimed"
        assert refreshed(smartcard_request).claimed_by == world.unlocker

    def test_claiming_twice_is_harmless(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        claim(world, smartcard_request)
        assert actions(smartcard_request) == ["raised", "claimed"]

    def test_cannot_claim_a_cancelled_request(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        services.smartcard_request_cancel(actor=world.staff, smartcard_request=smartcard_request)
        with pytest.raises(ValidationError, match="Sam Staff cancelled this request"):
            claim(world, smartcard_request)

    def test_cannot_claim_a_resolved_request(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        resolve(world, smartcard_request)
        with pytest.raises(ValidationError, match="already closed"):
            claim(world, smartcard_request, world.portal_admin)

    @pytest.mark.parametrize("role", ["staff", "manager", "head_office", "other_manager"])
    def test_only_unlockers_covering_the_premises_claim(self, world, holder, role):
        smartcard_request = raise_unlock(world, holder)
        with pytest.raises(PermissionDenied):
            claim(world, smartcard_request, getattr(world, role))

    def test_unlockers_do_not_work_their_own_request(self, world):
        MembershipFactory(user=world.unlocker, premises=world.premises)
        own = holder_for(world.unlocker)
        smartcard_request = services.smartcard_request_raise(
            actor=world.unlocker, holder=own, premises=world.premises, kind="unlock"
        )
        with pytest.raises(ValidationError, match="another unlocker must check your identity"):
            claim(world, smartcard_request)


class TestRelease:
    def test_claimer_releases_and_waiting_starts_again(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        SmartcardRequest.objects.filter(pk=smartcard_request.pk).update(
            escalated_at=timezone.now(), waiting_since=timezone.now() - timedelta(hours=1)
        )
        claim(world, smartcard_request)
        services.smartcard_request_release(
            actor=world.unlocker, smartcard_request=smartcard_request
        )
        smartcard_request = refreshed(smartcard_request)
        assert smartcard_request.status == Status.OPEN
        assert smartcard_request.claimed_by is None
        assert smartcard_request.escalated_at is None
        assert timezone.now() - smartcard_request.waiting_since < timedelta(minutes=1)
        assert actions(smartcard_request) == ["raised", "claimed", "released"]

    def test_another_unlocker_cannot_release(self, world, holder, second_unlocker):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match="Only Uma Unlocker"):
            services.smartcard_request_release(
                actor=second_unlocker, smartcard_request=smartcard_request
            )

    def test_portal_admin_frees_a_stuck_claim(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        services.smartcard_request_release(
            actor=world.portal_admin, smartcard_request=smartcard_request
        )
        assert refreshed(smartcard_request).status == Status.OPEN

    def test_nothing_to_release(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        with pytest.raises(ValidationError, match="not claimed"):
            services.smartcard_request_release(
                actor=world.unlocker, smartcard_request=smartcard_request
            )


class TestResolve:
    def test_resolve_tells_the_holder(
        self, world, holder, authority, django_capture_on_commit_callbacks
    ):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with django_capture_on_commit_callbacks(execute=True):
            resolve(world, smartcard_request)
        smartcard_request = refreshed(smartcard_request)
        assert smartcard_request.status == Status.RESOLVED
        assert smartcard_request.outcome_label == "Unlocked"
        assert (smartcard_request.closed_by, smartcard_request.identity_checked) == (
            world.unlocker,
            True,
        )
        assert mail.outbox[-1].to == [world.staff.email]
        assert "Unlocked after a call" in mail.outbox[-1].body
        assert AuditEvent.objects.filter(action="smartcard_request.resolved").exists()

    def test_referral_gives_the_ra_contact(
        self, world, holder, authority, django_capture_on_commit_callbacks
    ):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with django_capture_on_commit_callbacks(execute=True):
            resolve(
                world,
                smartcard_request,
                outcome="referred",
                note="Card damaged",
                identity_checked=False,
            )
        assert refreshed(smartcard_request).status == Status.REFERRED
        assert "0845 127 2600" in mail.outbox[-1].body

    def test_identity_check_is_required(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError) as caught:
            resolve(world, smartcard_request, identity_checked=False)
        assert "identity_checked" in caught.value.message_dict
        assert refreshed(smartcard_request).status == Status.CLAIMED

    @pytest.mark.parametrize(
        ("note", "message"), [("", "Enter a short note"), ("new passcode 246810", "Never share")]
    )
    def test_bad_notes(self, world, holder, note, message):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match=message):
            resolve(world, smartcard_request, note=note)
        assert refreshed(smartcard_request).status == Status.CLAIMED

    def test_someone_elses_claim(self, world, holder, second_unlocker):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        for actor in (second_unlocker, world.portal_admin):
            with pytest.raises(
                ValidationError, match="Only Uma Unlocker, who claimed this request"
            ):
                resolve(world, smartcard_request, actor=actor)

    def test_must_claim_first(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        with pytest.raises(ValidationError, match="Claim this request before you resolve it"):
            resolve(world, smartcard_request)

    def test_double_resolve(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        resolve(world, smartcard_request)
        with pytest.raises(ValidationError, match="already closed \\(unlocked\\) by Uma Unlocker"):
            resolve(world, smartcard_request)
        assert actions(smartcard_request) == ["raised", "claimed", "resolved"]

    def test_unknown_outcome(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match="Select what happened"):
            resolve(world, smartcard_request, outcome="magic")

    def test_database_refuses_resolved_without_identity_check(self, world, holder):
        smartcard_request = SmartcardRequestFactory(holder=holder, premises=world.premises)
        with pytest.raises(IntegrityError), transaction.atomic():
            SmartcardRequest.objects.filter(pk=smartcard_request.pk).update(
                status=Status.RESOLVED, closed_by=world.unlocker, closed_at=timezone.now()
            )


class TestDecline:
    def test_decline_with_reason(self, world, holder, django_capture_on_commit_callbacks):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with django_capture_on_commit_callbacks(execute=True):
            services.smartcard_request_decline(
                actor=world.unlocker,
                smartcard_request=smartcard_request,
                reason="Could not confirm identity by phone",
            )
        smartcard_request = refreshed(smartcard_request)
        assert smartcard_request.status == Status.DECLINED
        assert smartcard_request.closing_note == "Could not confirm identity by phone"
        assert "Could not confirm identity" in mail.outbox[-1].body

    @pytest.mark.parametrize(
        ("reason", "message"), [("  ", "Enter why"), ("try 13572468", "Never share")]
    )
    def test_bad_reasons(self, world, holder, reason, message):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match=message):
            services.smartcard_request_decline(
                actor=world.unlocker, smartcard_request=smartcard_request, reason=reason
            )

    def test_cannot_decline_someone_elses_claim(self, world, holder, second_unlocker):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        with pytest.raises(ValidationError, match="Only Uma Unlocker"):
            services.smartcard_request_decline(
                actor=second_unlocker, smartcard_request=smartcard_request, reason="No"
            )


class TestCancel:
    def test_holder_cancels_an_open_request(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        services.smartcard_request_cancel(
            actor=world.staff, smartcard_request=smartcard_request, reason="Self-service worked"
        )
        smartcard_request = refreshed(smartcard_request)
        assert (smartcard_request.status, smartcard_request.closed_by) == (
            Status.CANCELLED,
            world.staff,
        )
        assert AuditEvent.objects.filter(action="smartcard_request.cancelled").exists()

    def test_cancel_after_claim_tells_the_claimer(
        self, world, holder, django_capture_on_commit_callbacks
    ):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.smartcard_request_cancel(
                actor=world.manager, smartcard_request=smartcard_request
            )
        assert refreshed(smartcard_request).status == Status.CANCELLED
        assert [m.to for m in mail.outbox] == [[world.unlocker.email]]
        assert "Mia Manager has cancelled" in mail.outbox[0].body
        with pytest.raises(ValidationError, match="cancelled this request"):
            resolve(world, smartcard_request)

    def test_cannot_cancel_twice_or_after_resolution(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        claim(world, smartcard_request)
        resolve(world, smartcard_request)
        with pytest.raises(ValidationError, match="already closed"):
            services.smartcard_request_cancel(
                actor=world.staff, smartcard_request=smartcard_request
            )

    @pytest.mark.parametrize("role", ["unlocker", "head_office", "other_manager"])
    def test_others_cannot_cancel(self, world, holder, role):
        smartcard_request = raise_unlock(world, holder)
        with pytest.raises(PermissionDenied):
            services.smartcard_request_cancel(
                actor=getattr(world, role), smartcard_request=smartcard_request
            )

    def test_passcode_like_reason(self, world, holder):
        smartcard_request = raise_unlock(world, holder)
        with pytest.raises(ValidationError, match="Never share"):
            services.smartcard_request_cancel(
                actor=world.staff, smartcard_request=smartcard_request, reason="it is 112233"
            )
        assert refreshed(smartcard_request).status == Status.OPEN


def test_every_state_change_keeps_who_and_when(world, holder, second_unlocker):
    smartcard_request = raise_unlock(world, holder)
    claim(world, smartcard_request)
    services.smartcard_request_release(actor=world.unlocker, smartcard_request=smartcard_request)
    claim(world, smartcard_request, second_unlocker)
    resolve(world, smartcard_request, actor=second_unlocker)
    events = list(SmartcardRequestEvent.objects.filter(request=smartcard_request))
    assert [(e.action, e.actor_label) for e in events] == [
        ("raised", "Sam Staff"),
        ("claimed", "Uma Unlocker"),
        ("released", "Uma Unlocker"),
        ("claimed", "Viv Second"),
        ("resolved", "Viv Second"),
    ]
    assert all(e.at for e in events)
    assert list(
        AuditEvent.objects.filter(object_id=str(smartcard_request.pk))
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    ) == [
        "smartcard_request.raised",
        "smartcard_request.claimed",
        "smartcard_request.released",
        "smartcard_request.claimed",
        "smartcard_request.resolved",
    ]


class TestCardDetails:
    def save(self, actor, person, **overrides):
        fields = {
            "uuid": "5555 0000 1111",
            "certificate_expires_on": timezone.localdate() + timedelta(days=200),
            "has_cim_email": True,
        }
        fields.update(overrides)
        return services.smartcard_holder_save(actor=actor, person=person, **fields)

    def test_holder_records_their_card(self, world):
        holder = self.save(world.staff, world.staff)
        assert holder.uuid == "555500001111"
        assert AuditEvent.objects.filter(
            action="smartcard_holder.created", premises=world.premises
        ).exists()

    def test_manager_records_a_staff_members_card(self, world):
        holder = self.save(world.manager, world.staff, premises=world.premises)
        assert holder.user == world.staff

    def test_manager_cannot_record_cards_of_other_premises(self, world):
        stranger = MembershipFactory(premises=world.other_premises).user
        with pytest.raises(PermissionDenied):
            self.save(world.manager, stranger, premises=world.premises)
        with pytest.raises(PermissionDenied):
            self.save(world.staff, UserFactory())

    @pytest.mark.parametrize("uuid", ["1234", "55550000111x", "5555 0000 11111"])
    def test_bad_uuid(self, world, uuid):
        with pytest.raises(ValidationError) as caught:
            self.save(world.staff, world.staff, uuid=uuid)
        assert "12-digit UUID" in caught.value.message_dict["uuid"][0]
        assert not SmartcardHolder.objects.exists()

    def test_uuid_already_recorded(self, world):
        self.save(world.manager, world.manager)
        with pytest.raises(ValidationError, match="already recorded for someone else"):
            self.save(world.staff, world.staff)

    def test_new_card_cannot_have_expired(self, world):
        with pytest.raises(ValidationError) as caught:
            self.save(
                world.staff,
                world.staff,
                certificate_expires_on=timezone.localdate() - timedelta(days=1),
            )
        assert "today or in the future" in caught.value.message_dict["certificate_expires_on"][0]

    def test_existing_expired_card_can_change_other_details(self, world):
        holder = holder_for(
            world.staff, certificate_expires_on=timezone.localdate() - timedelta(days=5)
        )
        saved = self.save(
            world.staff,
            world.staff,
            uuid=holder.uuid,
            certificate_expires_on=holder.certificate_expires_on,
            has_cim_email=True,
        )
        assert saved.has_cim_email
        with pytest.raises(ValidationError, match="today or in the future"):
            self.save(
                world.staff,
                world.staff,
                uuid=holder.uuid,
                certificate_expires_on=holder.certificate_expires_on - timedelta(days=1),
            )

    def test_saving_unchanged_details_writes_nothing(self, world):
        self.save(world.staff, world.staff)
        self.save(world.staff, world.staff)
        assert AuditEvent.objects.filter(action__startswith="smartcard_holder").count() == 1


def test_profile_views_are_audited_for_others_only(world, holder):
    services.smartcard_holder_view(actor=world.unlocker, holder=holder)
    services.smartcard_holder_view(actor=world.staff, holder=holder)
    viewed = AuditEvent.objects.filter(action="smartcard_holder.viewed")
    assert [(e.actor, e.premises) for e in viewed] == [(world.unlocker, world.premises)]
