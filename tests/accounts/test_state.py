"""``zoho_tokens.accounts.state``: a callback's ``state`` is accepted from the session that
issued it, within ``STATE_MAX_AGE``, once; every other ``state`` is refused with its reason.

Sessions are real Django sessions (signed cookies: nothing to store). Time passing is written
into the session the way it would have aged, as the token tests write expiries into rows.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import SuspiciousOperation

from zoho_tokens.accounts.state import (
    MAX_PENDING,
    SESSION_KEY,
    OAuthFlow,
    StateError,
    consume_state,
    issue_state,
)

FLOW = OAuthFlow(
    next_url="/crm/leads/",
    login=True,
    redirect_uri="https://site.example/zoho/callback/",
    accounts_server="https://accounts.zoho.eu",
    scopes=("ZohoBooks.estimates.ALL",),
    enhanced_token_id=7,
)


def issue(session: SessionStore) -> str:
    """Start :data:`FLOW` in ``session``, as the connect view does."""
    return issue_state(session, **asdict(FLOW))


def age_every_pending_flow(session: SessionStore, seconds: float) -> None:
    """Make every flow pending in ``session`` look started ``seconds`` earlier."""
    for entry in session[SESSION_KEY]["pending"].values():
        entry["at"] -= seconds


def issued_ten_minutes_max_age(settings, *, age: float) -> tuple[SessionStore, str]:
    """A session and its state issued ``age`` seconds ago, with ``STATE_MAX_AGE`` 600."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "STATE_MAX_AGE": 600}
    session = SessionStore()
    state = issue(session)
    age_every_pending_flow(session, age)
    return session, state


def refusal(session: SessionStore, state: str | None) -> str:
    """The reason ``consume_state`` gives for refusing ``state``."""
    with pytest.raises(StateError) as refused:
        consume_state(session, state)
    return refused.value.reason


def test_a_state_comes_back_with_the_flow_it_was_issued_for() -> None:
    session = SessionStore()

    assert consume_state(session, issue(session)) == FLOW


def test_the_session_keeps_a_hash_of_the_state_never_the_state() -> None:
    session = SessionStore()
    state = issue(session)

    assert state not in str(session[SESSION_KEY])


def test_each_issued_state_is_new_and_long() -> None:
    session = SessionStore()
    states = {issue(session) for _ in range(5)}

    assert len(states) == 5
    assert min(len(state) for state in states) >= 43  # 32 random bytes, base64


@pytest.mark.parametrize("state", [None, ""])
def test_a_missing_state_is_refused_as_missing(state: str | None) -> None:
    session = SessionStore()
    issue(session)

    assert refusal(session, state) == "missing"


def test_a_tampered_state_is_refused_as_unknown() -> None:
    session = SessionStore()
    state = issue(session)
    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

    assert refusal(session, tampered) == "unknown"


def test_a_state_issued_to_another_session_is_refused_as_unknown() -> None:
    state = issue(SessionStore())

    assert refusal(SessionStore(), state) == "unknown"


def test_a_replayed_state_is_refused_as_used() -> None:
    session = SessionStore()
    state = issue(session)
    consume_state(session, state)

    assert refusal(session, state) == "used"


def test_a_state_older_than_state_max_age_is_refused_as_expired(settings) -> None:
    session, state = issued_ten_minutes_max_age(settings, age=601)

    assert refusal(session, state) == "expired"


def test_a_state_within_state_max_age_is_accepted(settings) -> None:
    session, state = issued_ten_minutes_max_age(settings, age=590)

    assert consume_state(session, state) == FLOW


def test_an_expired_state_is_spent_even_though_it_was_refused() -> None:
    session = SessionStore()
    state = issue(session)
    age_every_pending_flow(session, 3600)
    refusal(session, state)

    assert refusal(session, state) == "used"


def test_starting_more_flows_than_the_limit_forgets_the_oldest() -> None:
    session = SessionStore()
    oldest = issue(session)
    newer = [issue(session) for _ in range(MAX_PENDING)]

    assert refusal(session, oldest) == "unknown"
    assert consume_state(session, newer[0]) == FLOW


def test_a_session_value_that_is_not_ours_counts_as_no_flow() -> None:
    session = SessionStore()
    session[SESSION_KEY] = "garbage"

    assert refusal(session, "any-state") == "unknown"


@pytest.mark.parametrize("reason", ["missing", "unknown", "used", "expired"])
def test_a_state_error_is_a_suspicious_operation_with_its_own_message(reason: str) -> None:
    err = StateError(reason)

    assert isinstance(err, SuspiciousOperation)
    assert err.http_status == 400
    assert "state" not in str(err.user_message).lower()


def test_the_expired_message_gives_the_time_allowed_in_minutes(settings) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "STATE_MAX_AGE": 900}

    assert "within 15 minutes" in str(StateError("expired").user_message)
