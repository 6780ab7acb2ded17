"""Attack: a throttled answer (Zoho's, or whoever answers in its place) with many long
``X-Rate-Limit-*`` headers. They are quoted in the error's message, which reaches logs and
error reports: both the message and the headers kept on the error have a bound."""

from __future__ import annotations

import pytest

from tests.api.test_numbers_from_zoho import answered_by
from tests.api.wiretap import Wiretap
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]

#: http.client takes up to 100 headers of up to 64 kB each: megabytes in one message.
HEADERS = {f"X-Rate-Limit-Padding-{n:03d}": "9" * 20_000 for n in range(60)}


def test_rate_limit_headers_are_quoted_within_a_bound(fake_zoho: FakeZoho, settings) -> None:
    with Wiretap(status=429, headers={**HEADERS, "X-Rate-Limit-Remaining": "0"}) as tap:
        row = answered_by(fake_zoho, tap, settings)
        with pytest.raises(ZohoThrottledError) as raised:
            session_for(row, "crm").get("org")

    err = raised.value
    assert len(str(err)) < 2_000
    assert sum(len(k) + len(v) for k, v in err.rate_limit.items()) < 2_000
    assert err.rate_limit.get("x-rate-limit-remaining") == "0"
