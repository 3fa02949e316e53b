"""The smartcards standing (smartcards/standing.py): levels, whole reasons and figures,
stated by hand, from figures given directly and from premises built with the factories."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Premises
from smartcards import standing as smartcard_standing
from smartcards.models import SmartcardRequest
from smartcards.standing import standing_from_figures
from tests.factories import MembershipFactory, PremisesFactory, UnlockerCoverFactory
from tests.smartcards.factories import SmartcardRequestFactory, holder_at


def today():
    return timezone.localdate()


def _smartcard_figures(**given):
    figures = {
        "open_requests": 0,
        "urgent_requests": 0,
        "certificates_expired": 0,
        "expiring_30": 0,
        "expiring_60": 0,
        "expiring_90": 0,
        "unlocker_count": 1,
        "unlocker_on_site": True,
    }
    return {**figures, **given}


def test_expired_certificates_are_red_for_the_registration_authority():
    one = standing_from_figures(_smartcard_figures(certificates_expired=1))
    assert (one.level, one.reason) == (
        "red",
        "1 certificate expired: only the Registration Authority can repair that card",
    )
    two = standing_from_figures(_smartcard_figures(certificates_expired=2, expiring_90=2))
    assert (two.level, two.reason) == (
        "red",
        "2 certificates expired: only the Registration Authority can repair those cards",
    )
    assert two.figures == _smartcard_figures(certificates_expired=2, expiring_90=2)


def test_urgent_requests_are_red_and_the_rest_waiting_amber():
    urgent = standing_from_figures(_smartcard_figures(open_requests=1, urgent_requests=1))
    assert (urgent.level, urgent.reason) == (
        "red",
        "1 urgent request from someone who cannot dispense",
    )
    both = standing_from_figures(_smartcard_figures(open_requests=5, urgent_requests=2))
    assert (both.level, both.reason) == (
        "red",
        "2 urgent requests from someone who cannot dispense; 3 unlock or renewal requests waiting",
    )
    waiting = standing_from_figures(_smartcard_figures(open_requests=1))
    assert (waiting.level, waiting.reason) == ("amber", "1 unlock or renewal request waiting")


def test_certificates_ending_soon_and_no_cover_are_amber_in_one_sentence():
    soon = standing_from_figures(_smartcard_figures(expiring_30=1, expiring_60=1, expiring_90=1))
    assert (soon.level, soon.reason) == ("amber", "1 certificate ending within 30 days")
    # An amber standing carries the figures behind it, as red and green do.
    assert soon.figures == {
        "open_requests": 0,
        "urgent_requests": 0,
        "certificates_expired": 0,
        "expiring_30": 1,
        "expiring_60": 1,
        "expiring_90": 1,
        "unlocker_count": 1,
        "unlocker_on_site": True,
    }
    everything = standing_from_figures(
        _smartcard_figures(expiring_30=3, open_requests=2, unlocker_count=0)
    )
    assert (everything.level, everything.reason) == (
        "amber",
        "3 certificates ending within 30 days; 2 unlock or renewal requests waiting; "
        "no local smartcard unlocker covers this premises",
    )
    uncovered = standing_from_figures(_smartcard_figures(unlocker_count=0))
    assert uncovered.reason == "No local smartcard unlocker covers this premises"


def test_red_names_the_amber_reasons_after_its_own():
    standing = standing_from_figures(
        _smartcard_figures(certificates_expired=1, expiring_30=2, unlocker_count=0)
    )
    assert standing.level == "red"
    assert standing.reason == (
        "1 certificate expired: only the Registration Authority can repair that card; "
        "2 certificates ending within 30 days; "
        "no local smartcard unlocker covers this premises"
    )


def test_green_counts_the_cards_due_for_renewal():
    none = standing_from_figures(_smartcard_figures())
    assert (none.level, none.reason) == (
        "green",
        "Nothing waiting; 0 certificates due for renewal within 90 days",
    )
    one = standing_from_figures(_smartcard_figures(expiring_60=1, expiring_90=1))
    assert one.reason == "Nothing waiting; 1 certificate due for renewal within 90 days"
    many = standing_from_figures(_smartcard_figures(expiring_60=1, expiring_90=4))
    assert many.reason == "Nothing waiting; 4 certificates due for renewal within 90 days"
    assert many.figures["expiring_90"] == 4


@pytest.mark.django_db
def test_standing_reads_the_premises_figures_for_the_day_asked():
    premises = PremisesFactory()
    unlocker = MembershipFactory(premises=premises).user
    UnlockerCoverFactory(premises=premises, unlocker=unlocker)
    holder_at(premises, certificate_expires_on=today() - timedelta(days=1))
    ending = holder_at(premises, certificate_expires_on=today() + timedelta(days=10))
    holder_at(premises, certificate_expires_on=today() + timedelta(days=45))
    holder_at(premises, certificate_expires_on=today() + timedelta(days=80))
    raised = timezone.now() - timedelta(hours=5)
    SmartcardRequestFactory(holder=ending, premises=premises, raised_at=raised)
    SmartcardRequestFactory(
        holder=ending,
        premises=premises,
        kind=SmartcardRequest.Kind.RENEW,
        urgent=True,
        raised_at=raised + timedelta(hours=1),
    )
    queryset = Premises.objects.filter(pk=premises.pk)

    standing = smartcard_standing.work_out(queryset, today())[premises.pk]
    assert standing.level == "red"
    assert standing.reason == (
        "1 certificate expired: only the Registration Authority can repair that card; "
        "1 urgent request from someone who cannot dispense; "
        "1 certificate ending within 30 days; 1 unlock or renewal request waiting"
    )
    assert standing.figures == {
        "open_requests": 2,
        "urgent_requests": 1,
        "oldest_raised_at": raised.isoformat(),
        "certificates_expired": 1,
        "expiring_30": 1,
        "expiring_60": 2,
        "expiring_90": 3,
        "unlocker_count": 1,
        "unlocker_on_site": True,
    }

    later = smartcard_standing.work_out(queryset, today() + timedelta(days=20))[premises.pk]
    assert later.figures["certificates_expired"] == 2
    assert (later.figures["expiring_30"], later.figures["expiring_90"]) == (1, 2)


@pytest.mark.django_db
def test_standing_with_nothing_waiting_leaves_the_oldest_request_out():

    premises = PremisesFactory()
    UnlockerCoverFactory(premises=premises)  # an unlocker who works elsewhere
    standing = smartcard_standing.work_out(Premises.objects.filter(pk=premises.pk), today())
    assert standing[premises.pk].level == "green"
    assert standing[premises.pk].figures == {
        "open_requests": 0,
        "urgent_requests": 0,
        "certificates_expired": 0,
        "expiring_30": 0,
        "expiring_60": 0,
        "expiring_90": 0,
        "unlocker_count": 1,
        "unlocker_on_site": False,
    }
