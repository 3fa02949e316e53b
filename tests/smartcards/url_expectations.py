from tests.smartcards.factories import SmartcardRequestFactory, claimed, holder_for
from tests.url_access import EVERYONE, Expect, own_organisation, own_premises

NOBODY = frozenset()
UNLOCKERS = frozenset({"unlocker", "portal_admin"})
PROFILE_VIEWERS = frozenset({"manager", "unlocker", "head_office", "portal_admin"})
MANAGERS = frozenset({"manager", "portal_admin"})
HEAD_OFFICE = frozenset({"head_office", "portal_admin"})
ADMINS = frozenset({"portal_admin"})


def with_cards(world):
    for person in (world.staff, world.manager, world.other_manager):
        holder_for(person)
    return {}


def staff_request(world):
    holder = holder_for(world.staff)
    return {"pk": SmartcardRequestFactory(holder=holder, premises=world.premises).pk}


def claimed_request(world):
    holder = holder_for(world.staff)
    smartcard_request = SmartcardRequestFactory(holder=holder, premises=world.premises)
    return {"pk": claimed(smartcard_request, world.unlocker).pk}


def staff_holder(world):
    return {"pk": holder_for(world.staff).pk}


def staff_member(world):
    return {"pk": world.premises.pk, "user_pk": world.staff.pk}


def region(world):
    return {"region_pk": world.premises.region_id}


EXPECTATIONS = {
    "smartcard_my_card": Expect(None, EVERYONE, outsider=200),
    "smartcard_my_card_edit": Expect(None, EVERYONE, outsider=200),
    # Only people working at a premises ask for themselves.
    "smartcard_request_create": Expect(with_cards, frozenset({"staff", "manager"}), outsider=200),
    "smartcard_request_detail": Expect(staff_request, EVERYONE),
    "smartcard_request_cancel": Expect(
        staff_request, frozenset({"staff", "manager", "portal_admin"})
    ),
    # Buttons, not pages: POST only.
    "smartcard_request_claim": Expect(
        staff_request, NOBODY, denied=405, outsider=405, outsider_post=404
    ),
    "smartcard_request_release": Expect(
        staff_request, NOBODY, denied=405, outsider=405, outsider_post=404
    ),
    # The claimer gets the form; a portal admin a page saying who holds the claim.
    "smartcard_request_resolve": Expect(claimed_request, UNLOCKERS),
    "smartcard_request_decline": Expect(claimed_request, UNLOCKERS),
    "smartcard_queue": Expect(None, UNLOCKERS),
    "smartcard_queue_rows": Expect(None, UNLOCKERS),
    "smartcard_holder_search": Expect(None, PROFILE_VIEWERS, outsider=200),
    "smartcard_holder_detail": Expect(staff_holder, EVERYONE),
    "smartcard_cover": Expect(
        None, frozenset({"manager", "head_office", "portal_admin"}), outsider=200
    ),
    "smartcard_authority_list": Expect(None, ADMINS),
    "smartcard_authority_edit": Expect(region, ADMINS),
    "smartcard_premises": Expect(own_premises, EVERYONE),
    "smartcard_staff_request_create": Expect(own_premises, MANAGERS),
    "smartcard_staff_card_edit": Expect(staff_member, MANAGERS),
    "smartcard_organisation": Expect(own_organisation, HEAD_OFFICE),
    "smartcard_organisation_csv": Expect(own_organisation, HEAD_OFFICE),
}
