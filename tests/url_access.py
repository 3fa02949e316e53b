"""What each URL answers to each role. Each area lists its URLs in
tests/<area>/url_expectations.py as EXPECTATIONS = {url name: Expect(...)}.
"""

from collections.abc import Callable
from dataclasses import dataclass

LOGIN = "login"  # a redirect to the sign-in page
EVERYONE = frozenset({"staff", "manager", "unlocker", "head_office", "portal_admin"})


@dataclass(frozen=True)
class Expect:
    # world -> URL kwargs naming objects of the world's first organisation (or None)
    kwargs: Callable | None
    # roles that get 200 for that organisation's objects
    allowed: frozenset
    # what the other signed-in roles get
    denied: int = 404
    anonymous: int | str = LOGIN
    # what a manager of another organisation gets; for object URLs it must be 404
    outsider: int | str = 404
    # what a POST from a manager of another organisation gets, for URLs naming an object:
    # 404 for an action on this organisation's object (a POST-only button answers 405 to
    # a GET, so it says so here), 405 where the view takes no POST. None: as `outsider`.
    outsider_post: int | str | None = None

    def post_by_outsider(self):
        return self.outsider if self.outsider_post is None else self.outsider_post


def own_premises(world):
    return {"pk": world.premises.pk}


def own_organisation(world):
    return {"pk": world.premises.organisation_id}
