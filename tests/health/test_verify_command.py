"""``manage.py verify_zoho_tokens`` against the fake Zoho: it finds the dead tokens, with
Zoho's reason, spending at most one refresh per token."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.health.helpers import refreshes_per_token, store_tokens
from zoho_tokens import signals
from zoho_tokens.models import ReconsentReason, TokenEvent, TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db(transaction=True)


def verify(*args: str) -> tuple[int, str]:
    """Run the command; its exit status and what it printed."""
    out = StringIO()
    try:
        call_command("verify_zoho_tokens", *args, stdout=out)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue()
    return 0, out.getvalue()


def kill_37(fake: FakeZoho, rows: list[ZohoToken]) -> dict[int, str]:
    """Kill 37 tokens as Zoho does behind the app's back; row id -> the reason expected.

    12 removed under Connected Apps, 10 by a password change, 10 pushed out by 20 newer
    consents of the same user (Zoho keeps 20): Zoho answers ``invalid_code`` to all 32.
    The 5 of the second client die with the client (``invalid_client``)."""
    dead: dict[int, str] = {}
    ours = [row for row in rows if row.client_id == fake.client_id]
    for row in ours[0:12]:
        fake.remove_connected_app(row.email or "")
        dead[row.pk] = ReconsentReason.REVOKED
    for row in ours[100:110]:
        fake.change_password(row.email or "")
        dead[row.pk] = ReconsentReason.REVOKED
    for row in ours[500:510]:
        for _ in range(20):
            fake.grant_tokens(row.email)
        dead[row.pk] = ReconsentReason.REVOKED
    doomed = [row for row in rows if row.client_id != fake.client_id]
    fake.delete_client(doomed[0].client_id or "")
    dead.update({row.pk: ReconsentReason.CLIENT_DELETED for row in doomed})
    return dead


def test_finds_exactly_the_37_dead_of_1000_with_their_reasons(fake_zoho):
    rows = store_tokens(fake_zoho, 995) + store_tokens(
        fake_zoho, 5, prefix="other", client=("doomed-client", "doomed-secret")
    )
    expected = kill_37(fake_zoho, rows)
    fake_zoho.reset_counts()
    reconsent: list[tuple[int, str]] = []

    def receiver(sender, token, reason, **kwargs):
        reconsent.append((token.pk, reason))

    signals.reconsent_required.connect(receiver)
    try:
        status, output = verify("--json")
    finally:
        signals.reconsent_required.disconnect(receiver)

    report = json.loads(output)
    assert status == 1
    assert report["counts"]["alive"] == 963
    assert report["counts"]["dead"] == 37
    assert {e["token_id"]: e["reason"] for e in report["not_alive"]} == expected
    assert sorted(reconsent) == sorted(expected.items())
    marked = ZohoToken.objects.filter(status=TokenStatus.NEEDS_REAUTH)
    assert {row.pk: row.reconsent_reason for row in marked} == expected
    # Nothing a later revocation needs was dropped.
    assert all(row.refresh_token_encrypted for row in marked)
    per_token = refreshes_per_token(fake_zoho)
    assert len(per_token) == 1000
    assert max(per_token.values()) == 1


def test_a_second_run_checks_only_the_living(fake_zoho):
    rows = store_tokens(fake_zoho, 6)
    fake_zoho.remove_connected_app(rows[2].email or "")
    assert verify()[0] == 1
    fake_zoho.reset_counts()

    status, output = verify()

    assert status == 0
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 5
    assert "The user must connect again" in output


def test_dry_run_asks_zoho_and_changes_nothing(fake_zoho):
    rows = store_tokens(fake_zoho, 4)
    fake_zoho.change_password(rows[0].email or "")
    before = {row.pk: row.access_token for row in ZohoToken.objects.all()}

    status, output = verify("--dry-run")

    assert status == 1
    assert "Dry run: nothing was changed here." in output
    assert not ZohoToken.objects.exclude(status=TokenStatus.ACTIVE).exists()
    assert {row.pk: row.access_token for row in ZohoToken.objects.all()} == before
    assert not TokenEvent.objects.exists()


def test_the_table_names_each_dead_token_and_its_reason(fake_zoho):
    rows = store_tokens(fake_zoho, 3)
    fake_zoho.remove_connected_app(rows[1].email or "")

    _status, output = verify()

    line = next(line for line in output.splitlines() if line.strip().startswith(str(rows[1].pk)))
    assert "revoked" in line
    assert rows[1].email in line


def test_zoho_unreachable_exits_2_and_marks_nothing(fake_zoho, short_http_timeout):
    store_tokens(fake_zoho, 5)
    fake_zoho.fail("refresh", "down")

    status, output = verify("--json")

    report = json.loads(output)
    assert status == 2
    # After three silent answers in a row, the other tokens of that server wait.
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") <= 3
    assert report["counts"]["unreachable"] == 5
    assert ZohoToken.objects.filter(status=TokenStatus.ACTIVE).count() == 5


def test_a_throttle_is_not_a_dead_token(fake_zoho):
    rows = store_tokens(fake_zoho, 2)
    fake_zoho.fail("refresh", "throttle", times=1)

    status, output = verify("--json")

    assert json.loads(output)["counts"]["throttled"] == 1
    assert status == 0
    assert ZohoToken.objects.filter(pk__in=[r.pk for r in rows], status="active").count() == 2


def test_filters_by_user_data_centre_and_age(fake_zoho):
    rows = store_tokens(fake_zoho, 3)
    ZohoToken.objects.filter(pk=rows[1].pk).update(location="eu")

    verify("--user", "user0")
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1
    verify("--data-centre", "EU")
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 2
    # Both were just refreshed: only the third is older than an hour's silence... none is.
    verify("--older-than", "1h")
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 2


def test_the_history_records_each_check_by_the_command(fake_zoho):
    rows = store_tokens(fake_zoho, 2)
    fake_zoho.remove_connected_app(rows[0].email or "")

    verify()

    events = TokenEvent.objects.filter(kind="verified").order_by("token_id")
    assert [(e.token_id, e.outcome, e.actor) for e in events] == [
        (rows[0].pk, "dead", "command"),
        (rows[1].pk, "alive", "command"),
    ]


def test_a_wrong_option_says_what_it_expects():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="a number and a unit"):
        call_command("verify_zoho_tokens", "--older-than", "soon")


def test_a_token_without_a_refresh_token_is_skipped_not_called_alive(fake_zoho):
    rows = store_tokens(fake_zoho, 2)
    ZohoToken.objects.filter(pk=rows[0].pk).update(refresh_token_encrypted="")

    status, output = verify("--json")

    report = json.loads(output)
    assert status == 0
    assert report["counts"]["skipped"] == 1
    assert report["counts"]["alive"] == 1
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1


class Terminal(StringIO):
    """Output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar_and_a_pipe_does_not(fake_zoho):
    store_tokens(fake_zoho, 3)
    terminal = Terminal()
    try:
        call_command("verify_zoho_tokens", stdout=terminal)
    except SystemExit:
        pass

    assert "\r[" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()
    assert "\r" not in verify()[1]


def test_json_on_a_terminal_stays_plain_json(fake_zoho):
    store_tokens(fake_zoho, 2)
    terminal = Terminal()

    call_command("verify_zoho_tokens", "--json", stdout=terminal)

    assert json.loads(terminal.getvalue())["counts"]["alive"] == 2
