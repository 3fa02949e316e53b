"""What an area gives when it registers its standing, and the registered areas.

Areas register when Django starts (their AppConfig.ready), so accounts never imports an
area."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..models import Premises
from ._shared import Level

if TYPE_CHECKING:
    from ..models import User


@dataclass(frozen=True)
class Standing:
    """What an area's standing module says of one premises on one day.

    level: a StandingLevel value. reason: one sentence, saying why for anything short of
    green and what stands behind it for green. figures: the numbers behind it, JSON-able
    (ints, bools, strings, None), keyed by the names the area module documents.
    """

    level: str
    reason: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Area:
    """An area's standing, as it registers itself.

    work_out(premises_queryset, on) -> {premises_id: Standing} for every premises of the
    queryset, in a fixed number of queries. after_refresh(standings, on, notify), when
    given, runs in the refresh's transaction after the rows are stored (the NHSmail area
    uses it to record transitions and tell people). leaving_effect(premises, user, on),
    when given, says what the person leaving the premises on day `on` would do to the
    area's standing there: a LeavingEffect, or None when it changes nothing worth saying.
    """

    key: str
    label: str
    position: int
    work_out: Callable
    # The URL name of the area's page for one premises (takes the premises pk).
    premises_page: str = ""
    level_labels: dict = field(default_factory=lambda: dict(Level.choices))
    after_refresh: Callable | None = None
    leaving_effect: Callable | None = None

    def label_for(self, level):
        return self.level_labels[level]


@dataclass(frozen=True)
class LeavingEffect:
    """What a membership ending does to one area at its premises, in a sentence
    ("Calder Pharmacy will have one live linked NHSmail account: not compliant");
    breaks_rule when the premises would drop to red because of it."""

    area: str
    sentence: str
    breaks_rule: bool


def leaving_effects(premises: Premises, user: User, on: date) -> list[LeavingEffect]:
    """Every registered area's LeavingEffect of `user` leaving `premises` on day `on`,
    in page order: for the page that ends a membership, before it is confirmed."""
    effects = []
    for registered in areas():
        if registered.leaving_effect is not None:
            effect = registered.leaving_effect(premises, user, on)
            if effect is not None:
                effects.append(effect)
    return effects


_AREAS: dict[str, Area] = {}


def register(area: Area) -> None:
    """Add an area's standing; each area calls it from its AppConfig.ready. A second
    registration under the same key replaces the first."""
    _AREAS[area.key] = area


def areas() -> list[Area]:
    """The registered areas, in the order pages show them."""
    return sorted(_AREAS.values(), key=lambda area: area.position)


def area(key: str) -> Area:
    """The registered Area for a key; KeyError for one that is not registered."""
    return _AREAS[key]


def _selected(area_keys):
    if area_keys is None:
        return areas()
    return [area(key) for key in area_keys]
