"""What may be done with an import run in each state (imports/actions.py), and the run's
page offering exactly that."""

import pytest

from imports.actions import run_state
from imports.models import ImportRun

Status = ImportRun.Status

# status -> (may_confirm, may_discard, shows_outcome, shows_changes, tag colour)
EXPECTED = {
    Status.CHECKING: (False, False, False, False, "yellow"),
    Status.BLOCKED: (False, True, True, False, "red"),
    Status.READY: (True, True, True, True, "blue"),
    Status.APPLYING: (False, False, False, False, "yellow"),
    Status.APPLIED: (False, False, True, True, "green"),
    Status.DISCARDED: (False, False, False, False, "grey"),
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_each_state_allows_what_it_should(status):
    state = run_state(ImportRun(status=status))
    assert (
        state.may_confirm,
        state.may_discard,
        state.shows_outcome,
        state.shows_changes,
        state.tag_colour,
    ) == EXPECTED[status]


def test_every_status_has_an_expectation():
    assert set(EXPECTED) == set(Status)


def test_missing_memberships_can_be_ended_once_after_import():
    from django.utils import timezone

    assert run_state(ImportRun(status=Status.APPLIED)).may_end_missing
    assert not run_state(ImportRun(status=Status.READY)).may_end_missing
    ended = ImportRun(status=Status.APPLIED, missing_ended_at=timezone.now())
    assert not run_state(ended).may_end_missing
