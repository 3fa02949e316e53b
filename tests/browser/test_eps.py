"""EPS tokens in a real browser: a manager records usage and watches days of cover drop,
drafts an order, places it and receives it; head office sorts the group's stock and
chases a late order. Every page passes axe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eps.models import OrderEscalation
from tests.browser.helpers import assert_accessible, sign_in


def number_in(locator):
    return int(re.search(r"\d[\d,]*", locator.inner_text()).group().replace(",", ""))


@pytest.mark.browser
def test_manager_records_usage_orders_and_receives(page, live_server, demo_world):
    sign_in(page, live_server, "manager@demo.portal.test")
    tokens_panel = page.get_by_role("heading", level=2, name="EPS tokens", exact=True)
    expect(tokens_panel).to_be_visible()
    page.get_by_role("link", name="Calder Valley Pharmacy").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("EPS dispensing tokens")
    expect(page.get_by_text("Tokens are running low")).to_be_visible()
    expect(page.get_by_role("img", name="Tokens in stock over the last 8 weeks")).to_be_visible()
    assert_accessible(page)

    stock_before = number_in(page.locator("#tokens-in-stock"))
    cover_before = number_in(page.locator("#days-of-cover"))

    # Record today's usage from the quick form on the page.
    page.get_by_label("Tokens used").fill("60")
    page.get_by_role("button", name="Record usage").click()
    # The demo records each day's usage (closed Sundays): a second record for today asks
    # whether to add to it or correct it.
    already = page.get_by_label("Add these tokens to it: they were used as well")
    if already.count():
        expect(page.locator(".nhsuk-error-summary")).to_contain_text("already recorded")
        assert_accessible(page)
        already.check()
        page.get_by_role("button", name="Record usage").click()
    expect(page.get_by_text(f"{stock_before - 60} tokens are in stock")).to_be_visible()
    assert number_in(page.locator("#tokens-in-stock")) == stock_before - 60
    assert number_in(page.locator("#days-of-cover")) < cover_before
    assert_accessible(page)

    # A mistake is explained next to the field and nothing is recorded.
    page.get_by_label("Tokens used").fill("1.5")
    page.get_by_role("button", name="Record usage").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("whole number")
    assert_accessible(page)
    page.get_by_role("link", name="Back").click()
    assert number_in(page.locator("#tokens-in-stock")) == stock_before - 60

    # Draft, place and receive an order.
    page.get_by_role("link", name="Draft an order").click()
    assert_accessible(page)
    packs = int(page.get_by_label("Number of packs").input_value())
    page.get_by_role("button", name="Save draft order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Token order")
    assert_accessible(page)

    page.get_by_role("link", name="Record as placed on PCSE Online").click()
    page.get_by_label("PCSE order reference").fill("pcse-900100")
    expected = timezone.localdate() + timedelta(days=5)
    page.locator("#id_expected_delivery_on").fill(str(expected.day))
    page.locator("#id_expected_delivery_on_month").fill(str(expected.month))
    page.locator("#id_expected_delivery_on_year").fill(str(expected.year))
    assert_accessible(page)
    page.get_by_role("button", name="Save as placed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Token order PCSE-900100")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Placed on PCSE Online")

    page.get_by_role("link", name="Mark as received").click()
    assert_accessible(page)
    page.get_by_role("button", name="Mark as received").click()
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("tokens added to the stock")
    assert_accessible(page)

    page.get_by_role("link", name="Back").click()
    assert number_in(page.locator("#tokens-in-stock")) == stock_before - 60 + packs * 500
    expect(page.get_by_text("Tokens are running low")).to_have_count(0)


@pytest.mark.browser
def test_head_office_sorts_the_group_and_chases_a_late_order(page, live_server, demo_world):
    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="EPS tokens").click()
    assert_accessible(page)
    page.get_by_role("link", name="Pennine Pharmacy Group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("EPS tokens across the group")
    expect(page.get_by_text("1 with an order overdue")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Days of cover").click()
    expect(page.locator("th[aria-sort='descending']")).to_have_text("Days of cover")
    assert_accessible(page)

    page.get_by_role("link", name="Pennine Pharmacy, Cross Gates Road").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^PCSE-")).first.click()
    expect(page.get_by_text("This order is late")).to_be_visible()
    page.get_by_role("link", name="Chase this order with PCSE").click()
    expect(page.locator("#escalation-message")).to_contain_text("ODS code: FP105")
    assert_accessible(page)
    page.get_by_label("Phoned PCSE").check()
    page.get_by_role("button", name="Record this chase").click()
    expect(page.get_by_role("heading", level=2, name="Chases")).to_be_visible()
    assert OrderEscalation.objects.filter(order__premises__ods_code="FP105").count() == 1
    assert_accessible(page)
