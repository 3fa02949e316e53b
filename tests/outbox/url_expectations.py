from tests.url_access import Expect

PORTAL_ADMIN = frozenset({"portal_admin"})
NOBODY = frozenset()

EXPECTATIONS = {
    "outbox_list": Expect(None, PORTAL_ADMIN),
    # POST only: a GET is refused before anything is looked up; anyone but a portal
    # admin posting gets 404 (tests/outbox/test_outbox_page.py covers the admin's POST).
    "outbox_retry": Expect(
        lambda world: {"pk": 1},
        NOBODY,
        denied=405,
        outsider=405,
        outsider_post=404,
    ),
}
