"""The shape areas answer "may they, now, and why not" in (accounts/actions.py)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template

from accounts.actions import NOT_PERMITTED, Allowed, allow, enforce, forbid, refuse


def test_enforce_passes_what_is_allowed_and_raises_the_why_otherwise():
    enforce(allow("claim"))
    with pytest.raises(PermissionDenied):
        enforce(forbid("claim"))
    with pytest.raises(ValidationError) as refused:
        enforce(refuse("claim", "Already claimed by Uma.", "already_claimed"))
    assert refused.value.messages == ["Already claimed by Uma."]
    assert refused.value.code == "already_claimed"


def test_a_refusal_about_the_state_is_still_permitted():
    assert refuse("claim", "Closed.", "closed").permitted
    assert not forbid("claim").permitted
    assert forbid("claim").code == NOT_PERMITTED
    assert allow("claim").permitted and allow("claim")
    assert not refuse("claim", "Closed.", "closed")


def test_allowed_lists_only_what_is_allowed_in_order():
    allowed = Allowed(
        [allow("place"), refuse("receive", "Place it first.", "draft"), allow("cancel")]
    )
    assert list(allowed) == ["place", "cancel"]
    assert len(allowed) == 2 and allowed
    assert "place" in allowed and "receive" not in allowed and "unknown" not in allowed
    assert allowed.place and not allowed.receive
    assert allowed["cancel"] and not allowed["receive"]
    assert allowed.why == {"receive": "Place it first."}
    assert allowed.verdict("receive").code == "draft"
    with pytest.raises(AttributeError):
        getattr(allowed, "unknown")  # noqa: B009
    assert not Allowed([refuse("receive", "No.", "draft")])


def test_templates_read_it_without_comparing_states():
    allowed = Allowed([allow("place"), refuse("receive", "Place it first.", "draft")])
    rendered = Template(
        "{% if actions.place %}P{% endif %}{% if actions.receive %}R{% endif %}"
        "{% if actions.unknown %}U{% endif %}:{{ actions.why.receive }}"
    ).render(Context({"actions": allowed}))
    assert rendered == "P:Place it first."


def test_forbid_names_the_action_and_says_why_in_plain_words():
    verdict = forbid("claim")
    assert (verdict.action, verdict.allowed) == ("claim", False)
    assert verdict.reason == "You cannot do this."
    assert verdict.code == NOT_PERMITTED


def test_enforce_puts_the_reason_on_the_field_asked():
    with pytest.raises(ValidationError) as refused:
        enforce(refuse("decline", "Claim it first.", "not_claimed"), field="reason")
    assert refused.value.message_dict == {"reason": ["Claim it first."]}
    assert [error.code for error in refused.value.error_dict["reason"]] == ["not_claimed"]


def test_one_allowed_action_is_enough_to_show_the_actions():
    assert Allowed([allow("claim"), refuse("release", "Not yours.", "not_claimer")])
    assert len(Allowed([allow("claim")])) == 1


def test_an_unknown_action_names_itself_and_a_copy_still_answers():
    import copy

    allowed = Allowed([allow("place")])
    with pytest.raises(AttributeError) as unknown:
        allowed.plaec  # noqa: B018
    assert str(unknown.value) == "plaec"
    copied = copy.copy(allowed)
    assert copied.place and list(copied) == ["place"]
