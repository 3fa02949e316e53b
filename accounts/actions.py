"""The shape in which every area answers "may this person do this, now, and if not, why".

Each area keeps its own allowed-actions module, the one truth for the objects it moves
through states: `smartcards/actions.py` (unlock and renewal requests), `eps/actions.py`
(token orders and PCSE orderers), `nhsmail/actions.py` (new-starter account requests and
personal accounts). Such a module asks `accounts.permissions.has_permission` for the role
part and adds the state part. It answers with a `Verdict`; services `enforce` it before
they change anything, and views hand templates an `Allowed` built from it, so a template
shows exactly what the module allows and never compares a status itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

# The code of a refusal because the person holds no role for the action on this object at
# all (their scope, not the object's state): views answer 404, services PermissionDenied.
NOT_PERMITTED = "not_permitted"


@dataclass(frozen=True)
class Verdict:
    """One answer: `allowed`, and when not, `reason` (a sentence for the person, shown as
    is) and `code` (a stable word tests and callers can match, e.g. "already_claimed").
    Truthy when allowed."""

    action: str
    allowed: bool
    reason: str = ""
    code: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def permitted(self) -> bool:
        """False when the refusal is about who the person is, not the object's state."""
        return self.allowed or self.code != NOT_PERMITTED


def allow(action: str) -> Verdict:
    return Verdict(action, True)


def refuse(action: str, reason: str, code: str) -> Verdict:
    return Verdict(action, False, reason, code)


def forbid(action: str) -> Verdict:
    return Verdict(action, False, "You cannot do this.", NOT_PERMITTED)


def enforce(verdict: Verdict, *, field: str | None = None) -> None:
    """Raise unless allowed: PermissionDenied when the person holds no role for it,
    otherwise ValidationError(reason, code) naming what stands in the way now (on
    `field` when given, so a form shows it by that field)."""
    if verdict.allowed:
        return
    if not verdict.permitted:
        raise PermissionDenied
    error = ValidationError(verdict.reason, code=verdict.code)
    raise ValidationError({field: error}) if field else error


class Allowed:
    """The verdicts for every action of one object as one person sees it, for templates:
    `{% if actions.claim %}` (in Python `actions.claim` or `actions["claim"]`) is true only
    when the module allows it, `actions.why.resolve` is the reason when it does not, and
    iterating gives the allowed action names in the module's order. An action the module
    does not know is a KeyError (an AttributeError in Python), so a misspelt name shows
    nothing rather than a wrong button."""

    def __init__(self, verdicts: Iterable[Verdict]):
        self.verdicts = {str(verdict.action): verdict for verdict in verdicts}

    def __getitem__(self, action: str) -> bool:
        return self.verdicts[str(action)].allowed

    def __getattr__(self, action: str) -> bool:
        verdicts = self.__dict__.get("verdicts", {})
        if action not in verdicts:
            raise AttributeError(action)
        return verdicts[action].allowed

    def __iter__(self):
        return (name for name, verdict in self.verdicts.items() if verdict.allowed)

    def __contains__(self, action: object) -> bool:
        verdict = self.verdicts.get(str(action))
        return bool(verdict and verdict.allowed)

    def __len__(self) -> int:
        return sum(1 for verdict in self.verdicts.values() if verdict.allowed)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"Allowed({list(self)})"

    @property
    def why(self) -> dict[str, str]:
        """{action: reason} for each refused action."""
        return {name: v.reason for name, v in self.verdicts.items() if not v.allowed}

    def verdict(self, action: str) -> Verdict:
        return self.verdicts[str(action)]
