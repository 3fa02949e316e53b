"""The head-office dashboard in a real browser, reading the stored standings.

- The admin follows the NHSmail "Not compliant" card to the red premises, downloads
  exactly those rows as CSV, and opens one premises to see every area at once.
- The admin follows the "Certificates expired" card to exactly the premises whose current
  staff hold an expired card, opens one and sees its smartcards standing with the reason;
  the dashboard draws four trend charts of twelve weekly points with their numbers.

Expected premises are worked out from the raw rows (the NHSmail rule, who works where
today, whose card has expired), not from the dashboard's selectors. Every page passes axe.
"""

import csv
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import standings
from accounts.models import Membership, Organisation, Premises, StandingDay
from nhsmail.rules import evaluate
from smartcards.models import SmartcardHolder
from tests.browser.helpers import assert_accessible, sign_in
from tests.factories import MembershipFactory
from tests.smartcards.factories import SmartcardHolderFactory

GROUP = "Pennine Pharmacy Group"
AREAS = [
    ("nhsmail", "NHSmail"),
    ("smartcards", "Smartcards"),
    ("eps", "EPS tokens"),
    ("records", "SCR/NCRS"),
]


def group_premises():
    return Premises.objects.filter(organisation=Organisation.objects.get(name=GROUP))


def expired_cards_by_premises(premises_list):
    """{premises name: number of expired cards of people working there today}, counted
    from the raw memberships and cards."""
    today = timezone.localdate()
    counts = {}
    for premises in premises_list:
        staff = {
            m.user_id
            for m in Membership.objects.filter(premises=premises)
            if m.start_date <= today and (m.end_date is None or m.end_date > today)
        }
        expired = sum(
            1
            for holder in SmartcardHolder.objects.filter(user_id__in=staff)
            if holder.certificate_expires_on < today
        )
        if expired:
            counts[premises.name] = expired
    return counts


def table_names(table):
    return sorted(table.locator("tbody tr td:first-child a").all_inner_texts())


@pytest.mark.browser
def test_head_office_filters_to_red_exports_and_opens_a_premises(page, live_server, demo_world):
    premises = list(group_premises())
    names = {p.pk: p.name for p in premises}
    red_names = sorted(
        names[pk]
        for pk, evaluation in evaluate(group_premises()).items()
        if evaluation.status == "red"
    )
    assert red_names, "the demo group needs at least one premises failing the NHSmail rule"

    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance dashboard")
    assert_accessible(page)

    page.get_by_role("link", name="Not compliant (NHSmail)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Premises compliance")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_have_text(f"{len(red_names)} premises")
    assert table_names(table) == red_names
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download these {len(red_names)} premises as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as exported_file:
        exported = list(csv.DictReader(exported_file))
    assert sorted(row["Premises"] for row in exported) == red_names
    assert {row["NHSmail"] for row in exported} == {"Not compliant"}

    first_red = table.locator("tbody tr td:first-child a").first
    name = first_red.inner_text()
    first_red.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    rows = page.locator(".nhsuk-summary-list__row")
    expect(rows.locator("dt")).to_have_text([label for _, label in AREAS])
    nhsmail_row = rows.filter(has=page.locator("dt", has_text="NHSmail"))
    expect(nhsmail_row.locator("dd").first).to_contain_text("Not compliant")
    assert_accessible(page)
    page.get_by_role("link", name=f"Open NHSmail for {name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NHSmail")
    assert_accessible(page)


@pytest.mark.browser
def test_head_office_follows_expired_certificates_and_reads_the_trends(
    page, live_server, demo_world
):
    today = timezone.localdate()
    premises = list(group_premises().order_by("ods_code"))
    # A dispenser at one of the group's premises whose card expired a fortnight ago, and
    # a leaver there whose expired card no longer counts.
    chosen = premises[5]
    current = MembershipFactory(premises=chosen, user__full_name="Ezra Expired")
    SmartcardHolderFactory(user=current.user, certificate_expires_on=today - timedelta(days=14))
    leaver = MembershipFactory(
        premises=chosen,
        start_date=today - timedelta(days=400),
        end_date=today - timedelta(days=2),
    )
    SmartcardHolderFactory(user=leaver.user, certificate_expires_on=today - timedelta(days=30))
    expired = expired_cards_by_premises(premises)
    assert chosen.name in expired

    # Eleven weeks of history behind today: in the week k weeks ago, the first k premises
    # needed action in every area and the rest were in order. Today's is worked out when
    # the dashboard is read.
    StandingDay.objects.bulk_create(
        StandingDay(
            premises=p,
            area=key,
            day=today - timedelta(weeks=weeks_ago),
            level="red" if index < weeks_ago else "green",
        )
        for weeks_ago in range(1, 12)
        for index, p in enumerate(premises)
        for key, _ in AREAS
    )
    # History written past the refresh, as a restore would: tally it again.
    standings.tallies_rebuild()

    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance dashboard")
    expect(page.get_by_text(f"{len(premises)} premises. Every figure links")).to_be_visible()
    card = page.locator(".nhsuk-card", has=page.get_by_role("link", name="Certificates expired"))
    expect(card.locator(".nhsuk-heading-l")).to_have_text(str(sum(expired.values())))

    # Four trend charts, a point for each of the twelve weeks, and the numbers beside them.
    charts = page.locator("figure.portal-chart")
    expect(charts).to_have_count(4)
    for index in range(4):
        expect(charts.nth(index).locator("circle.portal-chart__point")).to_have_count(12)
    for _, label in AREAS:
        trend = page.get_by_role("table", name=f"{label}: all your premises")
        body_rows = trend.locator("tbody tr")
        expect(body_rows).to_have_count(12)
        for weeks_ago in range(1, 12):
            cells = body_rows.nth(11 - weeks_ago).locator("td")
            red, green = min(weeks_ago, len(premises)), max(len(premises) - weeks_ago, 0)
            expect(cells).to_have_text(
                [
                    f"{today - timedelta(weeks=weeks_ago):%-d %b %Y}",
                    str(red),
                    "0",
                    str(green),
                    f"{round(100 * green / len(premises))}%",
                ]
            )
        now = [int(t) for t in body_rows.nth(11).locator("td").all_inner_texts()[1:4]]
        assert sum(now) == len(premises), label
    assert_accessible(page)

    page.get_by_role("link", name="Certificates expired").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Premises compliance")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_have_text(f"{len(expired)} premises")
    assert table_names(table) == sorted(expired)
    assert_accessible(page)

    table.get_by_role("link", name=chosen.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen.name)
    count = expired[chosen.name]
    smartcards = page.locator(
        ".nhsuk-summary-list__row", has=page.locator("dt", has_text="Smartcards")
    )
    value = smartcards.locator(".nhsuk-summary-list__value")
    expect(value.locator(".nhsuk-tag")).to_have_text("Needs action")
    expect(value).to_contain_text(
        f"{count} certificate{'' if count == 1 else 's'} expired: only the Registration "
        f"Authority can repair {'that card' if count == 1 else 'those cards'}"
    )
    assert_accessible(page)
    smartcards.get_by_role("link", name=f"Open Smartcards for {chosen.name}").click()
    expect(page.get_by_text("Ezra Expired")).to_be_visible()
    assert_accessible(page)
