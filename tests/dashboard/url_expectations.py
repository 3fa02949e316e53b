from tests.url_access import Expect, own_premises

WATCHERS = frozenset({"manager", "head_office", "portal_admin"})

EXPECTATIONS = {
    # Another organisation's manager has a dashboard of their own premises.
    "dashboard": Expect(None, WATCHERS, outsider=200),
    "dashboard_table": Expect(None, WATCHERS, outsider=200),
    "premises_overview": Expect(own_premises, WATCHERS),
}
