from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory
from tests.url_access import Expect, own_organisation, own_premises

# Everyone who works with the premises' tokens: the unlocker has no part in them.
TOKEN_VIEWERS = frozenset({"staff", "manager", "head_office", "portal_admin"})
TOKEN_MANAGERS = frozenset({"manager", "head_office", "portal_admin"})
HEAD_OFFICE = frozenset({"head_office", "portal_admin"})
NOBODY = frozenset()


def draft_order(world):
    return {"pk": TokenOrderFactory(premises=world.premises, requested_by=world.staff).pk}


def placed_order(world):
    return {
        "pk": TokenOrderFactory(premises=world.premises, requested_by=world.manager, placed=True).pk
    }


def orderer(world):
    return {"pk": PcseOrdererFactory(premises=world.premises, user=world.staff).pk}


EXPECTATIONS = {
    "tokens_home": Expect(None, TOKEN_VIEWERS, outsider=200),
    "tokens_premises": Expect(own_premises, TOKEN_VIEWERS),
    "tokens_usage_record": Expect(own_premises, TOKEN_VIEWERS),
    "tokens_count_record": Expect(own_premises, TOKEN_MANAGERS),
    "tokens_settings": Expect(own_premises, TOKEN_MANAGERS),
    "tokens_movement_list": Expect(own_premises, TOKEN_VIEWERS),
    "tokens_order_create": Expect(own_premises, TOKEN_VIEWERS),
    "tokens_orderers": Expect(own_premises, TOKEN_VIEWERS),
    # Removing is a POST from the orderers page: a GET is refused whoever asks, for any id.
    "tokens_orderer_remove": Expect(orderer, NOBODY, denied=405, outsider=405, outsider_post=404),
    "tokens_order_detail": Expect(draft_order, TOKEN_VIEWERS),
    "tokens_order_place": Expect(draft_order, TOKEN_MANAGERS),
    "tokens_order_expected_delivery": Expect(placed_order, TOKEN_MANAGERS),
    "tokens_order_receive": Expect(placed_order, TOKEN_MANAGERS),
    "tokens_order_cancel": Expect(draft_order, TOKEN_MANAGERS),
    "tokens_order_escalate": Expect(placed_order, TOKEN_MANAGERS),
    "tokens_organisation": Expect(own_organisation, HEAD_OFFICE),
    "tokens_organisation_export": Expect(own_organisation, HEAD_OFFICE),
}
