from tests.records.factories import GuidancePageFactory
from tests.url_access import EVERYONE, Expect, own_organisation, own_premises

PORTAL_ADMIN = frozenset({"portal_admin"})
READINESS = frozenset({"manager", "head_office", "portal_admin"})
HEAD_OFFICE = frozenset({"head_office", "portal_admin"})


def published_page(world):
    return {"slug": GuidancePageFactory(slug="url-check-page").slug}


def first_version(world):
    return {"slug": GuidancePageFactory(slug="url-check-page").slug, "number": 1}


def staff_membership(world):
    return {"pk": world.staff.memberships.get().pk}


EXPECTATIONS = {
    "guidance_list": Expect(None, EVERYONE, outsider=200),
    "guidance_page": Expect(published_page, EVERYONE, outsider=200),
    "guidance_create": Expect(None, PORTAL_ADMIN),
    "guidance_due_for_review": Expect(None, PORTAL_ADMIN),
    "guidance_edit": Expect(published_page, PORTAL_ADMIN),
    "guidance_history": Expect(published_page, PORTAL_ADMIN),
    "guidance_version": Expect(first_version, PORTAL_ADMIN),
    "readiness_premises": Expect(own_premises, READINESS),
    "readiness_edit": Expect(staff_membership, READINESS),
    "readiness_organisation": Expect(own_organisation, HEAD_OFFICE),
    "readiness_organisation_csv": Expect(own_organisation, HEAD_OFFICE),
    "scr_governance_edit": Expect(own_organisation, HEAD_OFFICE),
}
