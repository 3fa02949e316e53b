import pytest

from tests.conftest import World
from tests.factories import MembershipFactory, PremisesFactory, UnlockerCoverFactory


@pytest.fixture
def mirror_world(world):
    """The same roles seen from the other organisation: its premises, staff, manager,
    unlocker and head office. URL kwargs built from it name the other organisation's
    objects, for requests made as the first organisation's people."""
    premises = world.other_premises
    return World(
        premises=premises,
        second_premises=PremisesFactory(organisation=premises.organisation),
        other_premises=world.premises,
        staff=MembershipFactory(premises=premises).user,
        manager=world.other_manager,
        unlocker=UnlockerCoverFactory(premises=premises).unlocker,
        head_office=world.other_head_office,
        portal_admin=world.portal_admin,
        other_manager=world.manager,
        other_head_office=world.head_office,
    )
