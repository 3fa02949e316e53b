from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts import services, standings
from accounts.models import AuditEvent, Membership, Premises
from tests.factories import MembershipFactory, RegionFactory, UserFactory


def token_from_email(message):
    line = next(line for line in message.body.splitlines() if "/invitations/" in line)
    return line.rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.django_db
class TestInvitations:
    def invite(self, world, django_capture_on_commit_callbacks, **overrides):
        fields = {
            "email": "New.Starter@Example.test",
            "full_name": "New Starter",
            "job_role": "dispenser",
        }
        fields.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(
                actor=world.manager, premises=world.premises, **fields
            )

    def test_new_person_gets_single_use_link(self, world, django_capture_on_commit_callbacks):
        invitation, token = self.invite(world, django_capture_on_commit_callbacks)
        assert invitation.email == "new.starter@example.test"
        assert len(mail.outbox) == 1
        assert token_from_email(mail.outbox[0]) == token
        assert token not in invitation.token_hash
        assert AuditEvent.objects.filter(
            action="invitation.created", premises=world.premises
        ).exists()

        with django_capture_on_commit_callbacks(execute=True):
            user, membership = services.invitation_accept(
                token=token, full_name="New Starter", password="a-long-passphrase-7"
            )
        assert membership.premises == world.premises and membership.is_current()
        assert user.check_password("a-long-passphrase-7")
        assert AuditEvent.objects.filter(
            action="membership.created", object_id=str(membership.pk)
        ).exists()

        with pytest.raises(services.InvitationUnusable, match="already been used"):
            services.invitation_accept(
                token=token, full_name="Someone", password="a-long-passphrase-8"
            )

    def test_expired_link_refused(self, world, django_capture_on_commit_callbacks):
        _, token = self.invite(world, django_capture_on_commit_callbacks)
        with (
            time_machine.travel(timezone.now() + timedelta(days=8)),
            pytest.raises(services.InvitationUnusable, match="expired"),
        ):
            services.invitation_accept(
                token=token, full_name="Late", password="a-long-passphrase-7"
            )

    def test_reinvite_replaces_earlier_link(self, world, django_capture_on_commit_callbacks):
        _, first = self.invite(world, django_capture_on_commit_callbacks)
        _, second = self.invite(world, django_capture_on_commit_callbacks)
        with pytest.raises(services.InvitationUnusable, match="replaced"):
            services.invitation_for_token(first)
        assert services.invitation_for_token(second)

    def test_unknown_token(self, db):
        with pytest.raises(services.InvitationUnusable, match="not valid"):
            services.invitation_for_token("x" * 500)

    def test_weak_password_refused_and_invitation_still_usable(
        self, world, django_capture_on_commit_callbacks
    ):
        _, token = self.invite(world, django_capture_on_commit_callbacks)
        with pytest.raises(ValidationError):
            services.invitation_accept(token=token, full_name="New Starter", password="password")
        assert services.invitation_for_token(token).accepted_at is None

    def test_existing_user_is_added_at_once(self, world, django_capture_on_commit_callbacks):
        locum = MembershipFactory(premises=world.other_premises).user
        invitation, token = self.invite(
            world, django_capture_on_commit_callbacks, email=locum.email.upper()
        )
        assert token is None
        assert invitation.accepted_at is not None
        assert Membership.objects.current().filter(user=locum, premises=world.premises).exists()
        assert "added you" in mail.outbox[0].body

    def test_person_already_at_premises_refused(self, world, django_capture_on_commit_callbacks):
        with pytest.raises(ValidationError) as error:
            self.invite(world, django_capture_on_commit_callbacks, email=world.staff.email)
        assert "already works at" in str(error.value)

    def test_staff_cannot_invite(self, world):
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                actor=world.staff,
                premises=world.premises,
                email="a@b.test",
                full_name="A B",
                job_role="dispenser",
            )

    def test_manager_cannot_invite_to_another_organisation(self, world):
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                actor=world.manager,
                premises=world.other_premises,
                email="a@b.test",
                full_name="A B",
                job_role="dispenser",
            )


@pytest.mark.django_db
class TestMemberships:
    def test_end_membership(self, world, django_capture_on_commit_callbacks):
        standings.standings_refresh(premises_ids=[world.premises.pk])
        assert standings.standing_of(world.premises, "records")["staff_count"] == 2
        membership = world.staff.memberships.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.membership_end(
                actor=world.manager, membership=membership, end_date=timezone.localdate()
            )
        membership.refresh_from_db()
        assert not membership.is_current()
        # Every area's standing of the premises was worked out again on commit.
        stored = standings.stored_standings([world.premises.pk])[world.premises.pk]
        assert not any(standing.stale for standing in stored.values())
        assert stored["records"]["staff_count"] == 1
        event = AuditEvent.objects.get(action="membership.ended")
        assert event.actor == world.manager and event.premises == world.premises

    def test_end_before_start_refused(self, world):
        membership = world.staff.memberships.get()
        with pytest.raises(ValidationError, match="on or after the start date"):
            services.membership_end(
                actor=world.manager,
                membership=membership,
                end_date=membership.start_date - timedelta(days=1),
            )

    def test_end_twice_refused(self, world):
        membership = world.staff.memberships.get()
        services.membership_end(
            actor=world.manager, membership=membership, end_date=timezone.localdate()
        )
        with pytest.raises(ValidationError, match="already ended"):
            services.membership_end(
                actor=world.manager, membership=membership, end_date=timezone.localdate()
            )

    def test_change_role_audited_only_when_changed(self, world):
        membership = world.staff.memberships.get()
        services.membership_change_role(
            actor=world.head_office, membership=membership, job_role="technician", is_manager=True
        )
        services.membership_change_role(
            actor=world.head_office, membership=membership, job_role="technician", is_manager=True
        )
        events = AuditEvent.objects.filter(action="membership.role_changed")
        assert events.count() == 1
        assert events.get().changes == {
            "job_role": ["dispenser", "technician"],
            "is_manager": [False, True],
        }

    def test_unlocker_cannot_change_roles(self, world):
        with pytest.raises(PermissionDenied):
            services.membership_change_role(
                actor=world.unlocker,
                membership=world.staff.memberships.get(),
                job_role="technician",
                is_manager=False,
            )


@pytest.mark.django_db
class TestPremises:
    def fields(self, **overrides):
        values = {
            "ods_code": "fq123",
            "name": "Moor Pharmacy",
            "address_line_1": "2 Moor Lane",
            "address_line_2": "",
            "town": "Leeds",
            "postcode": "ls64ab",
            "region": RegionFactory(),
        }
        values.update(overrides)
        return values

    def test_head_office_adds_premises_normalised_and_audited(self, world):
        premises = services.premises_create(
            actor=world.head_office, organisation=world.premises.organisation, **self.fields()
        )
        assert (premises.ods_code, premises.postcode) == ("FQ123", "LS6 4AB")
        assert AuditEvent.objects.filter(action="premises.created", premises=premises).exists()

    def test_duplicate_ods_code_refused(self, world):
        with pytest.raises(ValidationError, match="already registered"):
            services.premises_create(
                actor=world.head_office,
                organisation=world.premises.organisation,
                **self.fields(ods_code=world.other_premises.ods_code.lower()),
            )

    def test_manager_cannot_add_premises(self, world):
        with pytest.raises(PermissionDenied):
            services.premises_create(
                actor=world.manager, organisation=world.premises.organisation, **self.fields()
            )

    def test_update_records_what_changed(self, world):
        services.premises_update(
            actor=world.head_office, premises=world.premises, name="Calder Pharmacy Ltd"
        )
        event = AuditEvent.objects.get(action="premises.updated")
        assert event.changes == {"name": ["Calder Pharmacy", "Calder Pharmacy Ltd"]}


@pytest.mark.django_db
def test_organisation_and_cover_services_audited(world):
    organisation = services.organisation_create(
        actor=world.portal_admin, name=" New Group ", kind="multiple"
    )
    assert organisation.name == "New Group"
    person = UserFactory()
    services.organisation_admin_add(
        actor=world.portal_admin, organisation=organisation, user=person
    )
    cover = services.unlocker_cover_add(
        actor=world.portal_admin, unlocker=person, organisation=organisation
    )
    services.unlocker_cover_remove(actor=world.portal_admin, cover=cover)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "organisation.created",
        "organisation_admin.added",
        "unlocker_cover.added",
        "unlocker_cover.removed",
    } <= actions
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=world.head_office, name="Mine", kind="multiple")


@pytest.mark.django_db
def test_membership_end_date_constraint_in_database(world):
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011 - IntegrityError differs by backend
        Membership.objects.filter(user=world.staff).update(end_date=date(2000, 1, 1))


@pytest.mark.django_db
def test_premises_ods_shape_constraint_in_database(world):
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011
        Premises.objects.filter(pk=world.premises.pk).update(ods_code="XX")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
@pytest.mark.django_db
class TestAuditAppendOnly:
    def test_update_and_delete_refused_even_in_raw_sql(self, world):
        services.premises_update(actor=world.head_office, premises=world.premises, name="Renamed")
        event = AuditEvent.objects.get(action="premises.updated")
        for statement in (
            "UPDATE accounts_auditevent SET action = 'forged' WHERE id = %s",
            "DELETE FROM accounts_auditevent WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [event.pk])
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "premises.updated"

    def test_truncate_refused_too_even_for_the_owner(self, world):
        # Row triggers do not fire on TRUNCATE; a statement trigger refuses it (0008).
        services.premises_update(actor=world.head_office, premises=world.premises, name="Renamed")
        for statement in ("TRUNCATE accounts_auditevent", "TRUNCATE accounts_auditevent CASCADE"):
            with (
                pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        assert AuditEvent.objects.filter(action="premises.updated").exists()
