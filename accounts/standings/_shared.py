"""The three levels every standing speaks in, their order and their colours."""

from __future__ import annotations

from ..models import StandingLevel

Level = StandingLevel
RED, AMBER, GREEN = Level.RED, Level.AMBER, Level.GREEN
# Most urgent first: sorting by an area puts red premises at the top.
SEVERITY = {RED: 0, AMBER: 1, GREEN: 2}
# NHS.UK tag colours for the three levels: the one place a level becomes a colour.
TAG_COLOURS = {RED: "red", AMBER: "orange", GREEN: "green"}
STALE_TAG_COLOUR = "grey"
