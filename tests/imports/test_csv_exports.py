"""Every area's CSV export neutralises cells a spreadsheet would run as a formula."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Premises, User

pytestmark = pytest.mark.django_db

EXPORTS = [
    ("nhsmail_organisation", {"format": "csv"}),
    ("smartcard_organisation_csv", {}),
    ("tokens_organisation_export", {}),
    ("readiness_organisation_csv", {}),
]
HOSTILE = ['=HYPERLINK("http://evil")', "+SUM(1)", "-2+3", "@cmd"]


@pytest.mark.parametrize(("name", "params"), EXPORTS)
def test_export_neutralises_formula_cells(world, client_for, name, params):
    Premises.objects.filter(pk=world.premises.pk).update(name=HOSTILE[0])
    Premises.objects.filter(pk=world.second_premises.pk).update(name=HOSTILE[1])
    User.objects.filter(pk=world.staff.pk).update(full_name=HOSTILE[2])
    User.objects.filter(pk=world.manager.pk).update(full_name=HOSTILE[3])
    response = client_for("head_office").get(
        reverse(name, args=[world.premises.organisation_id]), params
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    assert any(cell.startswith("'") for cell in cells), name
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
