"""The audit trail speaks plainly: labels, the portal's dates, filters by label, and a
CSV that keeps the machine names in a column of their own."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from accounts.audit import audit_record
from accounts.audit_labels import ACTION_LABELS, action_label
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def rows_of(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_entries_show_labels_and_uk_dates(world):
    event = audit_record(
        actor=world.manager, action="smartcard_request.raised", premises=world.premises
    )
    html = sign_in(Client(), world.manager).get(reverse("audit_list")).content.decode()
    assert "Smartcard request raised" in html
    # The machine name appears only as the filter option's value, never as words.
    assert html.count("smartcard_request.raised") == html.count('value="smartcard_request.raised"')
    assert event.created_at.strftime("%Y-%m-%d") not in html
    assert "Calder Pharmacy" in html


def test_filter_by_label(world):
    audit_record(actor=world.manager, action="membership.ended", premises=world.premises)
    audit_record(actor=world.manager, action="nhsmail.linked", premises=world.premises)
    client = sign_in(Client(), world.manager)
    page = client.get(reverse("audit_list")).content.decode()
    assert '<option value="nhsmail.linked">NHSmail account linked to the shared mailbox' in page
    html = client.get(reverse("audit_list"), {"action": "nhsmail.linked"}).content.decode()
    assert "NHSmail account linked to the shared mailbox" in html
    assert "Membership ended</td>" not in html


@pytest.mark.parametrize(
    "query",
    [
        {"action": "DROP TABLE"},
        {"since_day": "31", "since_month": "2", "since_year": "2026"},
        {"since_day": "x", "since_month": "y", "since_year": "zzzz"},
        {"until_day": "1", "until_month": "13", "until_year": "2026"},
        {"ods_code": "<script>"},
        {"actor": "x" * 5000},
    ],
)
def test_bad_filter_values_answer_a_page_not_an_error(world, query):
    response = sign_in(Client(), world.manager).get(reverse("audit_list"), query)
    assert response.status_code == 200


def test_date_filter_takes_uk_day_month_year(world):
    audit_record(actor=world.manager, action="membership.ended", premises=world.premises)
    client = sign_in(Client(), world.manager)
    html = client.get(
        reverse("audit_list"), {"since_day": "1", "since_month": "1", "since_year": "2999"}
    ).content.decode()
    assert "No audit events match" in html
    assert "YYYY-MM-DD" not in client.get(reverse("audit_list")).content.decode()


def test_csv_keeps_machine_names_in_their_own_column(world):
    audit_record(actor=world.manager, action="nhsmail.linked", premises=world.premises)
    response = sign_in(Client(), world.manager).get(reverse("audit_list"), {"format": "csv"})
    rows = rows_of(response)
    assert rows[0][:4] == ["When", "Who", "What happened", "Action (machine name)"]
    assert rows[1][2] == "NHSmail account linked to the shared mailbox"
    assert rows[1][3] == "nhsmail.linked"


@pytest.mark.parametrize("role", ["staff"])
def test_staff_see_no_audit_trail_or_csv(world, role):
    client = sign_in(Client(), world.user(role))
    assert client.get(reverse("audit_list")).status_code == 404
    assert client.get(reverse("audit_list"), {"format": "csv"}).status_code == 404


def test_another_organisations_events_stay_out_of_the_csv(world):
    audit_record(actor=world.other_manager, action="nhsmail.linked", premises=world.other_premises)
    rows = rows_of(sign_in(Client(), world.manager).get(reverse("audit_list"), {"format": "csv"}))
    assert len(rows) == 1


def test_every_label_is_words_and_unknown_actions_read_as_words():
    assert all("." not in label and "_" not in label for label in ACTION_LABELS.values())
    assert action_label("security.sign_in_failed") == "Security sign in failed"
    assert action_label("tokens.something_new") == "EPS token something new"
