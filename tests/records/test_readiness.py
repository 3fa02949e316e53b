import datetime
import itertools

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Premises
from records import selectors, services
from records.models import GphcRegistration, ReadinessRecord, ScrRole
from records.readiness import Training, assess, training_state
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory, refresh_standings
from tests.records.factories import (
    GphcRegistrationFactory,
    ReadinessRecordFactory,
    ready_pharmacist,
)

TODAY = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC)):
        yield


def check(**overrides):
    values = {
        "job_role": "pharmacist",
        "is_trainee": False,
        "has_gphc_number": True,
        "scr_role": ScrRole.PREMISES,
        "trained_on": None,
        "today": TODAY,
    }
    values.update(overrides)
    return assess(**values)


class TestRules:
    def test_registered_pharmacist_with_the_role_is_ready(self):
        result = check()
        assert result.ready
        assert result.tag == ("Ready", "green")

    def test_the_locum_code_counts(self):
        assert check(scr_role=ScrRole.LOCUM).ready

    def test_technicians_are_eligible(self):
        assert check(job_role="technician").ready

    @pytest.mark.parametrize("job_role", ["dispenser", "counter_assistant", "other"])
    def test_other_roles_get_eps_only(self, job_role):
        result = check(job_role=job_role, scr_role=ScrRole.NONE)
        assert not result.eligible
        assert not result.ready
        assert result.tag == ("EPS access only", "grey")
        assert result.training_tag is None

    def test_an_scr_role_on_an_ineligible_role_is_flagged_with_the_reason(self):
        result = check(job_role="dispenser")
        assert not result.ready
        assert result.role_not_allowed
        assert result.tag == ("SCR role not allowed", "red")
        assert "Dispensers get EPS access only" in result.reasons[0]

    def test_registered_staff_need_a_gphc_number(self):
        result = check(has_gphc_number=False)
        assert not result.ready
        assert result.reasons == ("No GPhC registration number recorded",)

    def test_trainees_need_no_gphc_number(self):
        assert check(has_gphc_number=False, is_trainee=True).ready

    def test_no_role_no_readiness(self):
        result = check(scr_role=ScrRole.NONE)
        assert result.reasons == ("Their smartcard does not carry the SCR role yet",)

    def test_training_is_never_a_block(self):
        assert check(trained_on=None).ready
        assert check(trained_on=datetime.date(2015, 1, 1)).ready


class TestTrainingAge:
    @pytest.mark.parametrize(
        ("trained_on", "state"),
        [
            (None, Training.NOT_DONE),
            (datetime.date(2024, 3, 15), Training.DUE_REFRESH),
            (datetime.date(2024, 3, 16), Training.DUE_REFRESH),  # exactly 24 months
            (datetime.date(2024, 3, 17), Training.CURRENT),
            (TODAY, Training.CURRENT),
        ],
    )
    def test_at_the_edge_of_24_months(self, trained_on, state, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 24
        assert training_state(trained_on, TODAY) == state

    def test_the_period_is_a_setting(self, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 12
        assert training_state(datetime.date(2025, 3, 16), TODAY) == Training.DUE_REFRESH
        assert training_state(datetime.date(2025, 3, 17), TODAY) == Training.CURRENT

    def test_a_day_later_it_is_due(self, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 24
        trained = datetime.date(2024, 3, 17)
        assert training_state(trained, datetime.date.today()) == Training.CURRENT
        with time_machine.travel(datetime.datetime(2026, 3, 17, 10, tzinfo=datetime.UTC)):
            assert training_state(trained, datetime.date.today()) == Training.DUE_REFRESH

    def test_month_ends(self, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 24
        end_of_february = datetime.date(2026, 2, 28)
        assert training_state(datetime.date(2024, 2, 28), end_of_february) == Training.DUE_REFRESH
        assert training_state(datetime.date(2024, 2, 29), end_of_february) == Training.CURRENT


@pytest.mark.django_db
class TestFiguresMatchTheRules:
    def test_database_counts_agree_with_assess_for_every_combination(self, world):
        premises = PremisesFactory()
        combos = itertools.product(
            ["pharmacist", "technician", "dispenser"],
            [False, True],  # trainee
            [False, True],  # GPhC number
            [ScrRole.NONE, ScrRole.PREMISES, ScrRole.LOCUM],
        )
        expected_ready = 0
        expected_pharmacist = False
        for job_role, trainee, gphc, role in combos:
            membership = MembershipFactory(premises=premises, job_role=job_role)
            if gphc:
                GphcRegistrationFactory(user=membership.user)
            ReadinessRecordFactory(membership=membership, is_trainee=trainee, scr_role=role)
            result = check(
                job_role=job_role, is_trainee=trainee, has_gphc_number=gphc, scr_role=role
            )
            expected_ready += result.ready
            expected_pharmacist |= result.ready and job_role == "pharmacist" and not trainee
        # Someone with nothing recorded yet, and a leaver who was ready.
        MembershipFactory(premises=premises, job_role="pharmacist")
        leaver = ready_pharmacist(premises)
        Membership.objects.filter(pk=leaver.pk).update(end_date=TODAY)

        figures = selectors.premises_readiness_summary(premises)
        rows = selectors.readiness_for_premises(world.portal_admin, premises)
        assert figures.ready_staff_count == expected_ready == sum(r.assessment.ready for r in rows)
        assert figures.has_ready_pharmacist is expected_pharmacist is True
        assert figures.staff_count == len(rows) == 3 * 2 * 2 * 3 + 1
        assert figures.eligible_staff_count == 2 * 2 * 2 * 3 + 1

    def test_a_trainee_pharmacist_is_not_the_ready_pharmacist(self, world):
        premises = PremisesFactory()
        trainee = MembershipFactory(premises=premises, job_role="pharmacist")
        ReadinessRecordFactory(membership=trainee, is_trainee=True)
        figures = selectors.premises_readiness_summary(premises)
        assert figures.ready_staff_count == 1
        assert figures.has_ready_pharmacist is False

    def test_training_due_count(self, world, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 24
        premises = PremisesFactory()
        for trained_on in [datetime.date(2024, 3, 16), datetime.date(2024, 3, 17), None]:
            ReadinessRecordFactory(membership__premises=premises, cppe_training_on=trained_on)
        assert selectors.premises_readiness_summary(premises).training_due_count == 1

    @pytest.mark.parametrize("premises_count", [2, 12])
    def test_figures_are_one_query_for_any_number_of_premises(
        self, world, premises_count, django_assert_num_queries
    ):
        for _ in range(premises_count):
            premises = PremisesFactory(organisation=world.premises.organisation)
            ready_pharmacist(premises)
            MembershipFactory(premises=premises)
        organisation_premises = Premises.objects.filter(organisation=world.premises.organisation)
        with django_assert_num_queries(1):
            rows = list(selectors.readiness_figures(organisation_premises))
        assert len(rows) == premises_count + 2


@pytest.mark.django_db
class TestRecording:
    def record(self, actor, membership, **overrides):
        values = {
            "gphc_number": "2012345",
            "is_trainee": False,
            "scr_role": ScrRole.PREMISES,
            "cppe_training_on": datetime.date(2025, 6, 1),
        }
        values.update(overrides)
        return services.readiness_record(actor=actor, membership=membership, **values)

    def manager_membership(self, world):
        return world.manager.memberships.get()

    def test_manager_records_and_it_is_audited(self, world):
        membership = self.manager_membership(world)
        record = self.record(world.manager, membership)
        assert record.scr_role == ScrRole.PREMISES
        assert GphcRegistration.objects.get(user=world.manager).number == "2012345"
        event = AuditEvent.objects.get(action="scr_readiness.updated")
        assert event.premises == world.premises
        assert event.changes["gphc_number"] == ["", "2012345"]
        assert event.changes["cppe_training_on"] == ["", "2025-06-01"]

    def test_saving_again_unchanged_confirms(self, world):
        membership = self.manager_membership(world)
        self.record(world.manager, membership)
        self.record(world.head_office, membership)
        record = ReadinessRecord.objects.get(membership=membership)
        assert record.updated_by == world.head_office
        assert AuditEvent.objects.filter(action="scr_readiness.confirmed").count() == 1

    def test_gphc_number_spaces_are_dropped_and_can_be_removed(self, world):
        membership = self.manager_membership(world)
        self.record(world.manager, membership, gphc_number=" 201 2345 ")
        assert GphcRegistration.objects.get(user=world.manager).number == "2012345"
        self.record(world.manager, membership, gphc_number="")
        assert not GphcRegistration.objects.filter(user=world.manager).exists()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"gphc_number": "201234"}, "gphc_number", "7-digit"),
            ({"gphc_number": "20123456"}, "gphc_number", "7-digit"),
            ({"gphc_number": "20I2345"}, "gphc_number", "7-digit"),
            ({"gphc_number": "２０１２３４５"}, "gphc_number", "7-digit"),
            ({"cppe_training_on": TODAY + datetime.timedelta(days=1)}, "cppe_training_on", "past"),
            ({"cppe_training_on": datetime.date(2009, 12, 31)}, "cppe_training_on", "2010"),
            ({"scr_role": "everything"}, "scr_role", "Choose"),
        ],
    )
    def test_bad_values(self, world, overrides, field, message):
        membership = self.manager_membership(world)
        with pytest.raises(ValidationError) as raised:
            self.record(world.manager, membership, **overrides)
        assert message in " ".join(raised.value.message_dict[field])
        assert not ReadinessRecord.objects.exists()

    def test_training_today_is_fine(self, world):
        record = self.record(world.manager, self.manager_membership(world), cppe_training_on=TODAY)
        assert record.cppe_training_on == TODAY

    def test_a_gphc_number_belongs_to_one_person(self, world):
        GphcRegistrationFactory(number="2012345")
        with pytest.raises(ValidationError) as raised:
            self.record(world.manager, self.manager_membership(world))
        assert "already recorded for someone else" in raised.value.message_dict["gphc_number"][0]

    def test_a_dispenser_cannot_be_marked_scr_ready(self, world):
        dispenser = world.staff.memberships.get()
        with pytest.raises(ValidationError) as raised:
            self.record(world.manager, dispenser, gphc_number="")
        assert "Dispensers get EPS access only" in raised.value.message_dict["scr_role"][0]
        with pytest.raises(ValidationError) as raised:
            self.record(world.manager, dispenser, gphc_number="", scr_role="none", is_trainee=True)
        assert "trainee" in raised.value.message_dict["is_trainee"][0]
        record = self.record(world.manager, dispenser, gphc_number="", scr_role="none")
        assert record.scr_role == ScrRole.NONE

    @pytest.mark.parametrize("role", ["staff", "unlocker", "other_manager", "other_head_office"])
    def test_only_managers_head_office_and_admins_record(self, world, role):
        with pytest.raises(PermissionDenied):
            self.record(world.user(role), self.manager_membership(world))


@pytest.mark.django_db
class TestPages:
    def test_premises_page_counts_and_flags(self, world, client_for):
        response = client_for("manager").get(
            reverse("readiness_premises", args=[world.premises.pk])
        )
        html = response.content.decode()
        assert "No ready pharmacist" in html
        assert "0 of 1 eligible" in html
        assert "No SGP" in html
        ready_pharmacist(world.premises)
        refresh_standings(world.premises)
        html = (
            client_for("manager")
            .get(reverse("readiness_premises", args=[world.premises.pk]))
            .content.decode()
        )
        assert "No ready pharmacist" not in html
        assert "1 of 2 eligible" in html
        assert "EPS access only" in html  # the dispenser

    def test_premises_page_queries_do_not_grow_with_staff(self, world, django_assert_num_queries):
        client = sign_in(Client(), world.manager)
        url = reverse("readiness_premises", args=[world.premises.pk])
        client.get(url)
        counts = []
        for staff_count in (2, 10):
            while world.premises.memberships.count() < staff_count + 2:
                ready_pharmacist(world.premises)
            with django_assert_num_queries(1):
                rows = selectors.readiness_for_premises(world.portal_admin, world.premises)
            assert len(rows) == staff_count + 2
            counts.append(_count_queries(client, url))
        assert counts[0] == counts[1]

    def test_manager_records_through_the_form(self, world, client_for):
        membership = world.manager.memberships.get()
        response = client_for("manager").post(
            reverse("readiness_edit", args=[membership.pk]),
            {
                "gphc_number": "2012345",
                "scr_role": "locum",
                "cppe_training_on_day": "1",
                "cppe_training_on_month": "6",
                "cppe_training_on_year": "2025",
            },
        )
        assert response.status_code == 302
        assert response.url == reverse("readiness_premises", args=[world.premises.pk])
        record = ReadinessRecord.objects.get(membership=membership)
        assert record.scr_role == ScrRole.LOCUM
        assert record.cppe_training_on == datetime.date(2025, 6, 1)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"gphc_number": "12345"}, "Enter the 7-digit GPhC registration number"),
            ({"gphc_number": "abcdefg"}, "Enter the 7-digit GPhC registration number"),
            ({"gphc_number": "1" * 21}, "at most 20 characters"),
            ({"scr_role": ""}, "This field is required"),
            ({"scr_role": "root"}, "Select a valid choice"),
            (
                {
                    "cppe_training_on_day": "1",
                    "cppe_training_on_month": "1",
                    "cppe_training_on_year": "2027",
                },
                "The training date must be today or in the past",
            ),
            (
                {"cppe_training_on_day": "30", "cppe_training_on_month": "2"},
                "Date must include a year",
            ),
        ],
    )
    def test_bad_input_gets_a_message_and_saves_nothing(self, world, client_for, data, message):
        membership = world.manager.memberships.get()
        posted = {"gphc_number": "2012345", "scr_role": "premises", **data}
        response = client_for("manager").post(
            reverse("readiness_edit", args=[membership.pk]), posted
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "nhsuk-error-summary" in html
        assert message in html
        assert not ReadinessRecord.objects.exists()
        assert not GphcRegistration.objects.exists()

    def test_ineligible_role_gets_the_reason_next_to_the_field(self, world, client_for):
        membership = world.staff.memberships.get()
        url = reverse("readiness_edit", args=[membership.pk])
        page = client_for("manager").get(url).content.decode()
        assert "Dispensers get EPS access only" in page
        response = client_for("manager").post(url, {"scr_role": "premises"})
        html = response.content.decode()
        assert "nhsuk-error-summary" in html
        assert 'id="id_scr_role-error"' in html
        assert "Dispensers get EPS access only" in html
        assert not ReadinessRecord.objects.exists()

    def test_ended_membership_is_404(self, world, client_for):
        membership = world.staff.memberships.get()
        Membership.objects.filter(pk=membership.pk).update(end_date=TODAY)
        response = client_for("manager").get(reverse("readiness_edit", args=[membership.pk]))
        assert response.status_code == 404

    def test_premises_page_links_from_premises_detail(self, world, client_for):
        html = (
            client_for("manager")
            .get(reverse("premises_detail", args=[world.premises.pk]))
            .content.decode()
        )
        assert reverse("readiness_premises", args=[world.premises.pk]) in html
        staff_html = (
            client_for("staff")
            .get(reverse("premises_detail", args=[world.premises.pk]))
            .content.decode()
        )
        assert reverse("readiness_premises", args=[world.premises.pk]) not in staff_html


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
