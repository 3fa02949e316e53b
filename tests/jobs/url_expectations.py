from tests.url_access import Expect

PORTAL_ADMIN = frozenset({"portal_admin"})
NOBODY = frozenset()

EXPECTATIONS = {
    "job_list": Expect(None, PORTAL_ADMIN),
    # POST only: a GET is refused before anything is looked up.
    "job_run_now": Expect(
        lambda world: {"name": "standings-daily"},
        NOBODY,
        denied=405,
        outsider=405,
        outsider_post=404,
    ),
}
