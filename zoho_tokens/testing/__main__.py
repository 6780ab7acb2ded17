"""``python -m zoho_tokens.testing``: run the fake Zoho until interrupted (for demos).

The first line printed is ``Fake Zoho listening on http://127.0.0.1:<port>``; then come
the Django settings that point django-zoho-tokens at it.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from zoho_tokens.testing.accounts.users import DEFAULT_USER, FakeZohoUser
from zoho_tokens.testing.crm.handlers import make_leads
from zoho_tokens.testing.fake import FakeZoho

#: The users who can consent when no ``--user`` is given: two, so that one can be connected
#: by one Django user while the other signs in with Zoho (the example's "things to try").
DEMO_USERS = (DEFAULT_USER, FakeZohoUser("grace@example.com", "Grace Hopper"))


def _user(value: str) -> FakeZohoUser:
    email, _, full_name = value.partition("=")
    if "@" not in email:
        raise argparse.ArgumentTypeError(f"expected EMAIL or EMAIL=Full Name, got {value!r}")
    return FakeZohoUser(email, full_name or email.partition("@")[0].title())


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m zoho_tokens.testing",
        description="Serve a fake Zoho (Accounts and CRM API) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--client-id", default="fake-client-id")
    parser.add_argument("--client-secret", default="fake-client-secret")
    parser.add_argument("--location", default="us", help="reported in the callback")
    parser.add_argument("--leads", type=int, default=5, help="how many leads to serve")
    parser.add_argument(
        "--user",
        dest="users",
        action="append",
        type=_user,
        metavar="EMAIL[=Full Name]",
        help="a user who can consent (repeatable; default ada@example.com and grace@example.com)",
    )
    parser.add_argument(
        "--auto-consent",
        action="store_true",
        help="redirect straight back with a code instead of showing the consent page",
    )
    parser.add_argument(
        "--no-scope-check",
        action="store_true",
        help="serve CRM calls whatever scopes the token has (Zoho checks them)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until Ctrl+C or SIGTERM."""
    args = build_parser().parse_args(argv)
    fake = FakeZoho(
        client_id=args.client_id,
        client_secret=args.client_secret,
        location=args.location,
        users=args.users or DEMO_USERS,
        leads=make_leads(args.leads),
        auto_consent=args.auto_consent,
        port=args.port,
        enforce_scopes=not args.no_scope_check,
        log_requests=not args.quiet,
    )
    if not args.quiet:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        fake.start()
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        print(
            f"Port {args.port} is already in use (another fake Zoho?); pick another with "
            f"--port {args.port + 1}, or --port 0 for any free one.",
            file=sys.stderr,
        )
        return 1
    try:
        _announce_and_wait(fake, stop)
    finally:
        fake.stop()
    return 0


def _announce_and_wait(fake: FakeZoho, stop: threading.Event) -> None:
    """Print the URL, the settings and the users; wait until ``stop`` is set."""
    settings = {
        "CLIENT_ID": fake.client_id,
        "CLIENT_SECRET": fake.client_secret,
        "DATA_CENTER": fake.location,
        "ACCOUNTS_URL": fake.url,
        "API_DOMAIN": fake.url,
    }
    print(f"Fake Zoho listening on {fake.url}", flush=True)
    print("Use these Django settings (plus your ENCRYPTION_KEYS):")
    print("ZOHO_TOKENS = " + json.dumps(settings, indent=4))
    consent = "automatic" if fake.auto_consent else "consent page"
    users = ", ".join(user.email for user in fake.users)
    print(f"Users: {users}; consent: {consent}.")
    if fake.enforce_scopes:
        # The SDK reads /settings/fields before get_records, as real Zoho requires.
        print(
            "Scopes are checked like Zoho's: the SDK's get_records needs "
            "ZohoCRM.settings.fields.READ (or ZohoCRM.settings.ALL) besides "
            "ZohoCRM.modules.*; --no-scope-check turns the checks off."
        )
    print("Press Ctrl+C to stop.", flush=True)
    while not stop.wait(0.5):
        pass


if __name__ == "__main__":
    sys.exit(main())
