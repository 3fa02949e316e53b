import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditEvent, Organisation
from records import selectors
from records.models import GuidancePage, ReadinessRecord, ScrGovernancePerson
from tests.factories import refresh_standings
from tests.records.factories import GuidancePageFactory, ready_pharmacist


@pytest.mark.django_db
class TestHomePanel:
    def test_staff_get_no_panel(self, world, client_for):
        assert selectors.home_panel(world.staff) is None
        html = client_for("staff").get(reverse("home")).content.decode()
        assert "Summary Care Record and NCRS" not in html

    def test_manager_sees_readiness_of_their_premises(self, world, client_for):
        html = client_for("manager").get(reverse("home")).content.decode()
        assert "SCR readiness at Calder Pharmacy" in html
        assert "No registered pharmacist here is ready for SCR/NCRS" in html
        ready_pharmacist(world.premises)
        refresh_standings(world.premises)
        html = client_for("manager").get(reverse("home")).content.decode()
        assert "No registered pharmacist here is ready" not in html

    def test_head_office_gets_a_link_per_organisation(self, world, client_for):
        html = client_for("head_office").get(reverse("home")).content.decode()
        assert reverse("readiness_organisation", args=[world.premises.organisation_id]) in html

    def test_portal_admin_sees_guidance_past_review(self, world, client_for):
        GuidancePage.objects.all().delete()
        GuidancePageFactory(title="Stale page", review_by=datetime.date(2020, 1, 1))
        html = client_for("portal_admin").get(reverse("home")).content.decode()
        assert "1 guidance page is due for review" in html
        assert "Stale page" in html
        assert "overdue since 1 January 2020" in html

    def test_everyone_has_a_guidance_link(self, world, client_for):
        for role in ["staff", "unlocker", "head_office"]:
            html = client_for(role).get(reverse("home")).content.decode()
            assert f'href="{reverse("guidance_list")}"' in html


@pytest.mark.django_db
def test_demo_data_shows_every_readiness_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        GuidancePage.objects.count(),
        ReadinessRecord.objects.count(),
        ScrGovernancePerson.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        GuidancePage.objects.count(),
        ReadinessRecord.objects.count(),
        ScrGovernancePerson.objects.count(),
    )
    assert counts[0] >= 8
    assert not AuditEvent.objects.exists()
    pennine = Organisation.objects.get(name="Pennine Pharmacy Group")
    figures = list(selectors.readiness_figures(pennine.premises.all()))
    assert any(p.has_ready_pharmacist for p in figures)
    assert any(not p.has_ready_pharmacist for p in figures)
    calder = Organisation.objects.get(name="Calder Valley Pharmacy")
    assert selectors.governance_for(calder).sgp is None
    assert selectors.governance_for(pennine).problems == ()
    assert ReadinessRecord.objects.filter(scr_role="locum").exists()
