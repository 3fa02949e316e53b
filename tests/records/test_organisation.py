import csv
import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import AuditEvent, Membership, Organisation
from records import selectors, services
from records.models import ScrGovernancePerson
from records.views import csv_safe
from tests.conftest import sign_in
from tests.factories import (
    MembershipFactory,
    OrganisationAdminFactory,
    PremisesFactory,
    refresh_standings,
)
from tests.records.factories import ScrGovernancePersonFactory, ready_pharmacist

TODAY = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC)):
        yield


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
class TestHeadOfficeView:
    def test_per_premises_figures_and_flags(self, world, client_for):
        ready_pharmacist(world.premises)
        html = (
            client_for("head_office")
            .get(reverse("readiness_organisation", args=[world.premises.organisation_id]))
            .content.decode()
        )
        assert "Calder Pharmacy" in html
        assert "Aire Pharmacy" in html
        assert "Elsewhere Pharmacy" not in html
        assert "No SGP" in html
        flagged = client_for("head_office").get(
            reverse("readiness_organisation", args=[world.premises.organisation_id]),
            {"flagged": "1"},
        )
        flagged_html = flagged.content.decode()
        assert "Aire Pharmacy" in flagged_html
        assert "Calder Pharmacy" not in flagged_html

    def test_totals(self, world):
        ready_pharmacist(world.premises)
        refresh_standings(world.premises, world.second_premises)
        totals = selectors.organisation_readiness_totals(
            world.head_office, world.premises.organisation
        )
        assert totals == {
            "premises_count": 2,
            "without_ready_pharmacist": 1,
        }

    def test_page_and_export_run_a_fixed_number_of_queries(self, world):
        organisation = world.premises.organisation
        client = sign_in(Client(), world.head_office)
        page_url = reverse("readiness_organisation", args=[organisation.pk])
        csv_url = reverse("readiness_organisation_csv", args=[organisation.pk])
        client.get(page_url)
        counts = []
        for extra in (1, 8):
            while organisation.premises.count() < 2 + extra:
                premises = PremisesFactory(organisation=organisation)
                ready_pharmacist(premises)
                MembershipFactory(premises=premises)
            counts.append((_count_queries(client, page_url), _count_queries(client, csv_url)))
        assert counts[0] == counts[1]

    def test_csv_export(self, world, client_for):
        ready_pharmacist(world.premises)
        ScrGovernancePersonFactory(organisation=world.premises.organisation, user=world.manager)
        rows = read_csv(
            client_for("head_office").get(
                reverse("readiness_organisation_csv", args=[world.premises.organisation_id])
            )
        )
        header, *body = rows
        assert header[:4] == ["Organisation", "Premises", "ODS code", "Town"]
        by_name = {row[1]: row for row in body}
        assert set(by_name) == {"Calder Pharmacy", "Aire Pharmacy"}
        calder = dict(zip(header, by_name["Calder Pharmacy"], strict=True))
        assert calder["Ready for SCR"] == "1"
        assert calder["Has a ready pharmacist"] == "Yes"
        assert calder["SGP"] == world.manager.full_name
        assert (
            dict(zip(header, by_name["Aire Pharmacy"], strict=True))["Has a ready pharmacist"]
            == "No"
        )

    @pytest.mark.parametrize(
        "name", ['=HYPERLINK("https://evil.example")', "+1+1", "-2", "@SUM(A1)", "\tTab"]
    )
    def test_csv_neutralises_formulas(self, world, client_for, name):
        world.second_premises.name = name
        world.second_premises.save()
        rows = read_csv(
            client_for("head_office").get(
                reverse("readiness_organisation_csv", args=[world.premises.organisation_id])
            )
        )
        names = [row[1] for row in rows[1:]]
        assert "'" + name in names

    def test_csv_safe_leaves_ordinary_text_alone(self):
        assert csv_safe("Calder Pharmacy") == "Calder Pharmacy"
        assert csv_safe(3) == "3"
        assert csv_safe(None) == ""
        assert csv_safe("=1") == "'=1"


@pytest.mark.django_db
class TestGovernance:
    def test_no_sgp_is_flagged(self, world):
        governance = selectors.governance_for(world.premises.organisation)
        assert governance.sgp is None
        assert governance.tag == ("No SGP", "red")
        assert "no SCR governance person" in governance.problems[0]

    def test_a_current_trained_sgp_is_fine(self, world):
        ScrGovernancePersonFactory(organisation=world.premises.organisation, user=world.manager)
        governance = selectors.governance_for(world.premises.organisation)
        assert governance.problems == ()
        assert governance.tag == ("SGP recorded", "green")

    def test_an_sgp_who_left_or_needs_training_is_flagged(self, world, settings):
        settings.SCR_TRAINING_REFRESH_MONTHS = 24
        ScrGovernancePersonFactory(
            organisation=world.premises.organisation,
            user=world.manager,
            trained_on=datetime.date(2024, 3, 16),
        )
        Membership.objects.filter(user=world.manager).update(end_date=TODAY)
        governance = selectors.governance_for(world.premises.organisation)
        assert governance.tag == ("Check SGP", "orange")
        assert any("no longer works" in problem for problem in governance.problems)
        assert any("due a refresh" in problem for problem in governance.problems)

    def test_head_office_records_the_sgp(self, world, client_for):
        url = reverse("scr_governance_edit", args=[world.premises.organisation_id])
        response = client_for("head_office").post(
            url,
            {
                "email": world.manager.email.upper(),
                "trained_on_day": "3",
                "trained_on_month": "2",
                "trained_on_year": "2026",
            },
        )
        assert response.status_code == 302
        assert response.url == reverse(
            "readiness_organisation", args=[world.premises.organisation_id]
        )
        sgp = ScrGovernancePerson.objects.get(organisation=world.premises.organisation)
        assert (sgp.user, sgp.trained_on) == (world.manager, datetime.date(2026, 2, 3))
        event = AuditEvent.objects.get(action="scr_governance_person.set")
        assert event.organisation == world.premises.organisation

    def test_head_office_admin_may_be_the_sgp(self, world):
        sgp = services.scr_governance_person_set(
            actor=world.head_office,
            organisation=world.premises.organisation,
            user=world.head_office,
            trained_on=None,
        )
        assert sgp.user == world.head_office

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"email": "nobody@example.test"}, "No one with this email address works for"),
            ({"email": "not an email"}, "Enter a valid email address"),
            ({"email": ""}, "This field is required"),
            (
                {"trained_on_day": "1", "trained_on_month": "1", "trained_on_year": "2030"},
                "The training date must be today or in the past",
            ),
            (
                {"trained_on_day": "x", "trained_on_month": "1", "trained_on_year": "2025"},
                "real date",
            ),
        ],
    )
    def test_bad_input(self, world, client_for, data, message):
        posted = {"email": world.manager.email, **data}
        response = client_for("head_office").post(
            reverse("scr_governance_edit", args=[world.premises.organisation_id]), posted
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "nhsuk-error-summary" in html
        assert message in html
        assert not ScrGovernancePerson.objects.exists()

    def test_a_person_of_another_organisation_cannot_be_the_sgp(self, world, client_for):
        response = client_for("head_office").post(
            reverse("scr_governance_edit", args=[world.premises.organisation_id]),
            {"email": world.other_manager.email},
        )
        assert "No one with this email address works for" in response.content.decode()
        assert not ScrGovernancePerson.objects.exists()

    def test_an_independent_pharmacys_manager_records_their_sgp(self, world):
        independent = Organisation.objects.create(
            name="Corner Chemist", kind=Organisation.Kind.INDEPENDENT
        )
        premises = PremisesFactory(organisation=independent)
        manager = MembershipFactory(premises=premises, is_manager=True, job_role="pharmacist").user
        client = sign_in(Client(), manager)
        url = reverse("scr_governance_edit", args=[independent.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"email": manager.email})
        assert response.status_code == 302
        assert response.url == reverse("readiness_premises", args=[premises.pk])
        page = client.get(response.url).content.decode()
        assert escape(manager.full_name) in page
        assert "training is not recorded" in page
        # A multiple's premises manager may not: their head office does it.
        with pytest.raises(PermissionDenied):
            services.scr_governance_person_set(
                actor=world.manager,
                organisation=world.premises.organisation,
                user=world.manager,
                trained_on=None,
            )

    def test_changing_the_sgp_is_audited(self, world):
        OrganisationAdminFactory(organisation=world.premises.organisation)
        services.scr_governance_person_set(
            actor=world.head_office,
            organisation=world.premises.organisation,
            user=world.manager,
            trained_on=None,
        )
        services.scr_governance_person_set(
            actor=world.head_office,
            organisation=world.premises.organisation,
            user=world.head_office,
            trained_on=TODAY,
        )
        event = AuditEvent.objects.filter(action="scr_governance_person.set").first()
        assert event.changes["person"] == [world.manager.email, world.head_office.email]
        with pytest.raises(ValidationError):
            services.scr_governance_person_set(
                actor=world.head_office,
                organisation=world.premises.organisation,
                user=world.other_manager,
                trained_on=None,
            )


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
