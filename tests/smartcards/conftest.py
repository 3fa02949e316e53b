import pytest

from tests.factories import UnlockerCoverFactory
from tests.outbox.notify_stub import notify  # noqa: F401 (GOV.UK Notify on loopback)
from tests.smartcards.factories import RegistrationAuthorityFactory, holder_for


@pytest.fixture
def holder(world):
    """world.staff's card: UUID 555500009999, certificates a year from expiry."""
    return holder_for(world.staff, uuid="555500009999")


@pytest.fixture
def second_unlocker(world):
    """Another unlocker covering world.premises, through its whole organisation."""
    return UnlockerCoverFactory(
        premises=None,
        organisation=world.premises.organisation,
        unlocker__full_name="Viv Second",
    ).unlocker


@pytest.fixture
def authority(world):
    return RegistrationAuthorityFactory(region=world.premises.region)
