from datetime import timedelta

from django.utils import timezone

from api.models import ApiToken
from tests.url_access import EVERYONE, Expect, own_organisation

HEAD_OFFICE = frozenset({"head_office", "portal_admin"})
NOBODY = frozenset()
# API endpoints take a token, never a session: every browser request answers 401.
TOKEN_ONLY = {"denied": 401, "anonymous": 401, "outsider": 401}


def a_token(world):
    token = ApiToken.objects.create(
        organisation=world.premises.organisation,
        name="HR sync",
        token_hash="0" * 64,
        token_prefix="pdp_0000",
        created_by=world.head_office,
        expires_at=timezone.now() + timedelta(days=30),
    )
    return {"pk": world.premises.organisation_id, "token_pk": token.pk}


def own_premises(world):
    return {"pk": world.premises.pk}


def staff_membership(world):
    return {"pk": world.staff.memberships.get().pk}


EXPECTATIONS = {
    "api_token_list": Expect(own_organisation, HEAD_OFFICE),
    "api_token_revoke": Expect(a_token, HEAD_OFFICE),
    # The docs and schema need a signed-in person (or, for the schema, an API token).
    "api_docs": Expect(None, EVERYONE, outsider=200),
    "api_schema": Expect(None, EVERYONE, anonymous=401, outsider=200),
    # Any other path under /api/ answers the API's JSON 404, whoever asks.
    "api_not_found": Expect(None, NOBODY, anonymous=404),
    "api_premises_list": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_premises_detail": Expect(own_premises, NOBODY, **TOKEN_ONLY),
    "api_membership_list": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_membership_detail": Expect(staff_membership, NOBODY, **TOKEN_ONLY),
    "api_membership_end": Expect(staff_membership, NOBODY, **TOKEN_ONLY),
    "api_nhsmail_accounts": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_nhsmail_links": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_nhsmail_link_end": Expect(lambda world: {"pk": 1}, NOBODY, **TOKEN_ONLY),
    "api_smartcard_requests": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_eps_stock": Expect(None, NOBODY, **TOKEN_ONLY),
    "api_eps_orders": Expect(None, NOBODY, **TOKEN_ONLY),
}
