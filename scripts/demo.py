"""``make demo``: run the example project against a fake Zoho (or real Zoho) until Ctrl-C.

Without Zoho credentials in the environment it starts the fake Zoho of
``zoho_tokens.testing`` (consent page with Accept and Deny, a handful of Leads) and the
development server, on a fresh SQLite database, since the fake forgets every token when it
stops. With ``ZOHO_CLIENT_ID`` and ``ZOHO_CLIENT_SECRET`` (and ``ZOHO_DATA_CENTER``, default
``us``) it talks to real Zoho instead and keeps its database between runs.

Both servers run in their own process groups, so one Ctrl-C reaches this script only, and
it stops them in order rather than leaving a half-stopped pair behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from demo_processes import (
    LOOPBACK,
    MANAGE,
    ROOT,
    DemoError,
    first_free_port,
    manage,
    port_is_free,
    start,
    start_relayed,
    stop,
    wait_until_listening,
)

#: The first free port of each range is used; real Zoho needs exactly the registered one.
DJANGO_PORTS = range(8000, 8010)
FAKE_ZOHO_PORTS = range(8765, 8775)

#: The OAuth client the fake Zoho knows (shaped like Zoho's: "1000." and 27 characters).
FAKE_CLIENT_ID = "1000.DEMOEXAMPLEPROJECTCLIENT0"
FAKE_CLIENT_SECRET = "demo-client-secret-for-the-fake-zoho"
FAKE_LEADS = 6
FAKE_DATABASE = ROOT / "example_project" / "demo-fake-zoho.sqlite3"
REAL_DATABASE = ROOT / "example_project" / "db.sqlite3"

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: stop the servers as for Ctrl-C."""


def real_zoho_env(env: dict[str, str], port: int) -> dict[str, str]:
    """The environment for real Zoho: the redirect URI the console must have registered."""
    env["ZOHO_DATA_CENTER"] = env.get("ZOHO_DATA_CENTER") or "us"
    env["ZOHO_REDIRECT_URI"] = f"http://{LOOPBACK}:{port}/zoho/callback/"
    env["EXAMPLE_DATABASE"] = str(REAL_DATABASE)
    for name in ("ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN"):
        env.pop(name, None)
    return env


def fake_zoho_env(env: dict[str, str], zoho_port: int) -> dict[str, str]:
    """The environment that points the example project at the fake Zoho."""
    fake_url = f"http://{LOOPBACK}:{zoho_port}"
    env.update(
        ZOHO_CLIENT_ID=FAKE_CLIENT_ID,
        ZOHO_CLIENT_SECRET=FAKE_CLIENT_SECRET,
        ZOHO_DATA_CENTER="us",
        ZOHO_ACCOUNTS_URL=fake_url,
        ZOHO_API_DOMAIN=fake_url,
        EXAMPLE_DATABASE=str(FAKE_DATABASE),
    )
    env.pop("ZOHO_REDIRECT_URI", None)
    return env


def banner(url: str, zoho: str) -> str:
    """What to do next, printed once both servers listen."""
    rule = "=" * 72
    return "\n".join(
        [
            rule,
            f"  The example project is running at  {url}",
            f"  Log in as {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}"
            f" (also the Django admin: {url}admin/)",
            f"  Zoho: {zoho}",
            "  Press Ctrl-C to stop.",
            rule,
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line: ports only, the rest comes from the environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, help="the web server's port (default 8000, or next free)"
    )
    parser.add_argument(
        "--zoho-port", type=int, help="the fake Zoho's port (default 8765, or next free)"
    )
    return parser.parse_args(argv)


def on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """SIGTERM / SIGHUP: leave through the same cleanup as Ctrl-C."""
    raise Stop


@dataclass(frozen=True)
class Plan:
    """What to run: the environment of both servers, their ports, and which Zoho."""

    env: dict[str, str]
    port: int
    #: None with real Zoho (no fake is started).
    zoho_port: int | None
    zoho: str


def plan(args: argparse.Namespace) -> Plan:
    """Real Zoho when its credentials are in the environment, else the fake."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
    }
    has_id, has_secret = bool(env.get("ZOHO_CLIENT_ID")), bool(env.get("ZOHO_CLIENT_SECRET"))
    if has_id != has_secret:
        raise DemoError("set both ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET for real Zoho, or neither")
    if has_id:
        port = args.port or DJANGO_PORTS[0]
        if not port_is_free(port):
            raise DemoError(
                f"port {port} is in use, and real Zoho only redirects to the registered URI "
                f"http://{LOOPBACK}:{port}/zoho/callback/; free it or pass --port (and register "
                "that port's URI in Zoho's API console)"
            )
        env = real_zoho_env(env, port)
        zoho = (
            f"real Zoho, data centre {env['ZOHO_DATA_CENTER']!r}; the redirect URI registered "
            f"in Zoho's API console must be {env['ZOHO_REDIRECT_URI']}"
        )
        return Plan(env, port, None, zoho)
    port = args.port or first_free_port(DJANGO_PORTS)
    zoho_port = args.zoho_port or first_free_port(FAKE_ZOHO_PORTS)
    env = fake_zoho_env(env, zoho_port)
    zoho = (
        f"the fake Zoho at {env['ZOHO_ACCOUNTS_URL']} (its consent page has Accept and "
        f"Deny; you consent as ada@example.com or grace@example.com, who see {FAKE_LEADS} leads)"
    )
    return Plan(env, port, zoho_port, zoho)


def prepare_database(demo: Plan) -> None:
    """Migrate, and create the demo administrator."""
    if demo.zoho_port is not None:
        # The fake forgets its tokens when it stops, so tokens kept from a previous run
        # could only fail: start from an empty database.
        FAKE_DATABASE.unlink(missing_ok=True)
    print("Preparing the database ...", flush=True)
    manage("migrate", "--noinput", "-v", "0", env=demo.env)
    manage("demo_user", "--username", DEMO_USERNAME, "--password", DEMO_PASSWORD, env=demo.env)


def fake_zoho_command(port: int) -> list[str]:
    """``python -m zoho_tokens.testing`` with the demo's client and Leads."""
    return [
        *(sys.executable, "-m", "zoho_tokens.testing", "--quiet"),
        *("--port", str(port), "--leads", str(FAKE_LEADS)),
        *("--client-id", FAKE_CLIENT_ID, "--client-secret", FAKE_CLIENT_SECRET),
    ]


def serve(demo: Plan) -> None:
    """Start the fake Zoho (if any) and the web server; return only by an exception."""
    servers: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        if demo.zoho_port is not None:
            fake = start(fake_zoho_command(demo.zoho_port), demo.env, quiet=True)
            servers.append(("the fake Zoho", fake))
            wait_until_listening(demo.zoho_port, fake, "the fake Zoho")
        runserver = [sys.executable, str(MANAGE), "runserver", f"{LOOPBACK}:{demo.port}"]
        web, relay = start_relayed(runserver, demo.env)
        servers.append(("the development server", web))
        wait_until_listening(demo.port, web, "the development server")
        relay.wait_for_start_up_lines()
        print(banner(f"http://{LOOPBACK}:{demo.port}/", demo.zoho), flush=True)
        while True:
            for name, process in servers:
                if process.poll() is not None:
                    raise DemoError(f"{name} exited with status {process.returncode}")
            time.sleep(0.5)
    finally:
        # A second Ctrl-C (make forwards one too) must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for _name, process in reversed(servers):
            stop(process)
        if servers:
            print(f"\nStopped {' and '.join(name for name, _ in servers)}.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; 0 after Ctrl-C, 1 with a message when something is wrong."""
    args = parse_args(argv)
    # Ctrl-C must stop the demo even when it was started with SIGINT ignored (a shell
    # script's background job inherits that), where Python would not install its handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_stop_signal)
    signal.signal(signal.SIGHUP, on_stop_signal)
    try:
        demo = plan(args)
        prepare_database(demo)
        serve(demo)
    except (KeyboardInterrupt, Stop):
        return 0
    except DemoError as err:
        print(f"make demo: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
