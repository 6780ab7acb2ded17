"""Zoho's error answers become this package's exceptions; every call has a total time limit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.conftest import connect
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import MissingScopeError, ZohoAPIError, ZohoUnavailableError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho, FaultKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


def test_a_crm_error_keeps_zohos_code_and_details(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"))

    with pytest.raises(ZohoAPIError) as caught:
        session.get("NoSuchModule")

    error = caught.value
    assert (error.status_code, error.code, error.details, error.service) == (
        400,
        "INVALID_MODULE",
        {"resource_path_index": 0},
        "crm",
    )


def test_a_books_error_keeps_its_integer_code_and_message(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "books")

    with pytest.raises(ZohoAPIError) as caught:
        session.post("estimates", json={"line_items": []})

    error = caught.value
    assert (error.status_code, error.code, error.service) == (400, "4", "books")
    assert "customer_id" in error.details


def test_a_crm_scope_mismatch_says_which_scope_and_to_connect_again(
    fake_zoho: FakeZoho, settings
) -> None:
    row = connect(fake_zoho, "alice", scopes=("ZohoCRM.users.READ", "ZohoCRM.org.READ"))
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": ["ZohoCRM.users.READ", "ZohoCRM.org.READ"],
    }

    with pytest.raises(MissingScopeError) as caught:
        session_for(row).get("Leads")

    assert caught.value.scopes == ["ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ"]
    assert "connect Zoho again" in str(caught.value)


def test_a_scope_mismatch_with_every_scope_configured_asks_to_connect_again(
    fake_zoho: FakeZoho,
) -> None:
    row = connect(fake_zoho, "alice", scopes=("ZohoCRM.users.READ", "ZohoCRM.org.READ"))

    with pytest.raises(MissingScopeError, match="must connect Zoho again"):
        session_for(row).get("Leads")


@pytest.mark.parametrize(
    ("kind", "error"),
    [("http_500", "server_error"), ("down", "unreachable")],
    ids=["a_server_error", "an_unreachable_zoho"],
)
def test_a_server_error_or_an_unreachable_zoho_is_unavailable(
    fake_zoho: FakeZoho, kind: FaultKind, error: str
) -> None:
    session = session_for(connect(fake_zoho, "alice"))
    fake_zoho.fail("crm", kind)

    with pytest.raises(ZohoUnavailableError) as caught:
        session.get("org")

    assert caught.value.error == error


def test_a_slow_answer_times_out_after_http_timeout(fake_zoho: FakeZoho, settings) -> None:
    session = session_for(connect(fake_zoho, "alice"))
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 0.5}
    fake_zoho.fail("crm", "slow")
    started = time.monotonic()

    with pytest.raises(ZohoUnavailableError) as caught:
        session.get("org")

    assert (caught.value.error, time.monotonic() - started < fake_zoho.slow_seconds) == (
        "timeout",
        True,
    )


@pytest.fixture
def dribbling_server() -> Iterator[str]:
    """A server that answers at once, then sends its body one byte every 0.1 s for 5 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n"
            )
            for _ in range(50):
                if stop.wait(0.1):
                    return
                try:
                    connection.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(timeout=10)


def test_the_time_limit_covers_reading_the_whole_answer(
    fake_zoho: FakeZoho, settings, dribbling_server: str
) -> None:
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(api_domain=dribbling_server)
    # The dribbling server plays the API domain (a configured one: the token may go there).
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "HTTP_TIMEOUT": 1,
        "API_DOMAIN": dribbling_server,
    }
    started = time.monotonic()

    with pytest.raises(ZohoUnavailableError) as caught:
        session_for(row).get("org")

    assert (caught.value.error, time.monotonic() - started < 3) == ("timeout", True)


def test_a_scope_mismatch_carries_a_working_connect_url(
    fake_zoho: FakeZoho, settings, client, django_user_model
) -> None:
    row = connect(fake_zoho, "alice", scopes=("ZohoCRM.users.READ", "ZohoCRM.org.READ"))
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "EXTRA_SCOPES": ["ZohoCRM.modules.ALL"]}

    with pytest.raises(MissingScopeError) as caught:
        session_for(row).get("Leads")
    url = caught.value.connect_url
    client.force_login(row.user)
    to_zoho = client.get(url)["Location"]

    assert url is not None
    assert url.startswith("/zoho/connect/?scope=")
    assert to_zoho.startswith(f"{fake_zoho.url}/oauth/v2/auth?")
    assert "ZohoCRM.modules.ALL" in parse_qs(urlsplit(to_zoho).query)["scope"][0].split(",")
