from tests.url_access import EVERYONE, Expect, own_organisation, own_premises

MANAGERS = frozenset({"manager", "head_office", "portal_admin"})
HEAD_OFFICE = frozenset({"head_office", "portal_admin"})
NOBODY = frozenset()


def staff_membership(world):
    return {"pk": world.staff.memberships.get().pk}


EXPECTATIONS = {
    "home": Expect(None, EVERYONE, outsider=200),
    "accessibility": Expect(None, EVERYONE, anonymous=200, outsider=200),
    "health": Expect(None, EVERYONE, anonymous=200, outsider=200),
    "login": Expect(None, NOBODY, denied=302, anonymous=200, outsider=302),
    "logout": Expect(None, NOBODY, denied=405, outsider=405),
    "password_change": Expect(None, EVERYONE, outsider=200),
    "password_change_done": Expect(None, EVERYONE, outsider=200),
    "password_reset": Expect(None, EVERYONE, anonymous=200, outsider=200),
    "password_reset_done": Expect(None, EVERYONE, anonymous=200, outsider=200),
    "password_reset_confirm": Expect(
        lambda world: {"uidb64": "MQ", "token": "set-password"},
        EVERYONE,
        anonymous=200,
        outsider=200,
    ),
    "password_reset_complete": Expect(None, EVERYONE, anonymous=200, outsider=200),
    # Signed-in test users have passed two-factor already, so these pages send them on.
    "two_factor_setup": Expect(None, NOBODY, denied=302, outsider=302),
    "two_factor_verify": Expect(None, NOBODY, denied=302, outsider=302),
    "invitation_accept": Expect(
        lambda world: {"token": "not-a-real-invitation"},
        NOBODY,
        denied=410,
        anonymous=410,
        outsider=410,
    ),
    "premises_list": Expect(None, EVERYONE, outsider=200),
    "premises_detail": Expect(own_premises, EVERYONE),
    "premises_edit": Expect(own_premises, HEAD_OFFICE),
    "staff_invite": Expect(own_premises, MANAGERS),
    "membership_end": Expect(staff_membership, MANAGERS),
    "membership_change_role": Expect(staff_membership, MANAGERS),
    "organisation_list": Expect(None, HEAD_OFFICE),
    "organisation_create": Expect(None, frozenset({"portal_admin"})),
    "organisation_detail": Expect(own_organisation, HEAD_OFFICE),
    "premises_create": Expect(
        lambda world: {"organisation_pk": world.premises.organisation_id}, HEAD_OFFICE
    ),
    "unlocker_cover_add": Expect(own_organisation, frozenset({"portal_admin"})),
    "audit_list": Expect(
        None, frozenset({"manager", "unlocker", "head_office", "portal_admin"}), outsider=200
    ),
}
