"""Two unlockers press "Claim" at the same moment, or one after the other from pages
loaded while the request was open: exactly one gets the request."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from smartcards import services
from smartcards.models import SmartcardRequest
from tests.factories import UnlockerCoverFactory
from tests.smartcards.factories import SmartcardRequestFactory, holder_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL")
def test_two_simultaneous_claims_one_winner(transactional_db):
    premises_cover = UnlockerCoverFactory(unlocker__full_name="Ada First")
    premises = premises_cover.premises
    second = UnlockerCoverFactory(premises=premises, unlocker__full_name="Ben Second").unlocker
    smartcard_request = SmartcardRequestFactory(holder=holder_at(premises), premises=premises)
    unlockers = [premises_cover.unlocker, second]
    start = threading.Barrier(len(unlockers))
    outcomes = {}

    def claim(unlocker):
        try:
            # Both read the request while it is still open, as two open browser tabs would.
            seen_open = SmartcardRequest.objects.get(pk=smartcard_request.pk)
            start.wait(timeout=10)
            services.smartcard_request_claim(actor=unlocker, smartcard_request=seen_open)
            outcomes[unlocker.full_name] = "claimed"
        except ValidationError as error:
            outcomes[unlocker.full_name] = error.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u,)) for u in unlockers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, outcome in outcomes.items() if outcome == "claimed"]
    assert len(winners) == 1, outcomes
    (loser,) = set(outcomes) - set(winners)
    assert outcomes[loser].startswith(f"Already claimed by {winners[0]}")
    smartcard_request.refresh_from_db()
    assert smartcard_request.claimed_by.full_name == winners[0]
    assert smartcard_request.events.filter(action="claimed").count() == 1


@pytest.mark.django_db
def test_claims_from_two_pages_loaded_while_open_one_winner_on_any_database():
    """The same race taken in turn, so it runs on SQLite too: both unlockers loaded the
    request while it was open; the second claim must read the row again and see the
    first one's, not act on the copy its page was built from."""
    first_cover = UnlockerCoverFactory(unlocker__full_name="Ada First")
    premises = first_cover.premises
    second = UnlockerCoverFactory(premises=premises, unlocker__full_name="Ben Second").unlocker
    smartcard_request = SmartcardRequestFactory(holder=holder_at(premises), premises=premises)
    seen_by_first = SmartcardRequest.objects.get(pk=smartcard_request.pk)
    seen_by_second = SmartcardRequest.objects.get(pk=smartcard_request.pk)

    services.smartcard_request_claim(actor=first_cover.unlocker, smartcard_request=seen_by_first)
    with pytest.raises(ValidationError) as refused:
        services.smartcard_request_claim(actor=second, smartcard_request=seen_by_second)
    assert refused.value.messages[0].startswith("Already claimed by Ada First")

    smartcard_request.refresh_from_db()
    assert smartcard_request.claimed_by == first_cover.unlocker
    assert smartcard_request.events.filter(action="claimed").count() == 1
