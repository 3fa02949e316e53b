"""What may be done with an import run in its state, and how the state is shown: the one
place the portal decides it. Services refuse what it refuses; pages show what it lists
(through `{% import_run_state run as state %}`), never comparing status words.

A run goes checking -> ready (nothing wrong) or blocked (rows in error) -> applying ->
applied; a ready or blocked run may be discarded instead (docs/decisions/0014).
"""

from dataclasses import dataclass

from .models import ImportRun

Status = ImportRun.Status

# NHS.UK tag colour of each status; a run being checked or applied is "yellow".
STATUS_TAG_COLOURS = {
    Status.APPLIED: "green",
    Status.BLOCKED: "red",
    Status.READY: "blue",
    Status.DISCARDED: "grey",
}
BUSY_TAG_COLOUR = "yellow"


# The rules, as plain functions of a run's status (and what else they read), so each is
# decided once and every part of it can be tested directly; RunState hands off to them.


def may_confirm(status: str) -> bool:
    """Only a run checked with no row in error can be imported."""
    return status == Status.READY


def may_discard(status: str) -> bool:
    """A run not yet imported, whatever its check found, can be thrown away."""
    return status in (Status.READY, Status.BLOCKED)


def shows_outcome(status: str, busy: bool) -> bool:
    """The row counts and the rows' outcome (CSV) exist once checked, until discarded."""
    return not busy and status != Status.DISCARDED


def shows_changes(status: str) -> bool:
    """What the file adds and changes: before confirming, and as the record after."""
    return status in (Status.READY, Status.APPLIED)


def may_end_missing(status: str, missing_ended_at: object) -> bool:
    """Memberships left out of an imported staff list can be ended once, after import."""
    return status == Status.APPLIED and not missing_ended_at


def tag_colour(status: str) -> str:
    """The NHS.UK tag colour of a run in `status`."""
    return STATUS_TAG_COLOURS.get(status, BUSY_TAG_COLOUR)


@dataclass(frozen=True)
class RunState:
    """An import run's state as the pages and services read it. Every attribute is a bool,
    except `tag_colour` (an NHS.UK tag colour name)."""

    run: ImportRun

    @property
    def busy(self) -> bool:
        return self.run.is_busy

    @property
    def applying(self) -> bool:
        return self.run.status == Status.APPLYING

    @property
    def blocked(self) -> bool:
        return self.run.status == Status.BLOCKED

    @property
    def ready(self) -> bool:
        return self.run.status == Status.READY

    @property
    def applied(self) -> bool:
        return self.run.status == Status.APPLIED

    @property
    def may_confirm(self) -> bool:
        return may_confirm(self.run.status)

    @property
    def may_discard(self) -> bool:
        return may_discard(self.run.status)

    @property
    def shows_outcome(self) -> bool:
        return shows_outcome(self.run.status, self.busy)

    @property
    def shows_changes(self) -> bool:
        return shows_changes(self.run.status)

    @property
    def may_end_missing(self) -> bool:
        return may_end_missing(self.run.status, self.run.missing_ended_at)

    @property
    def tag_colour(self) -> str:
        return tag_colour(self.run.status)


def run_state(run: ImportRun) -> RunState:
    """The state of `run` as the portal reads it (see RunState)."""
    return RunState(run)
