"""A newcomer's project: the tutorial (docs/tutorial.md) followed to the letter.

``django-admin startproject`` in a temporary folder; the tutorial's blocks pasted where it
says (``"tutorial-create"``, ``"tutorial-settings"``, ``"tutorial-urls"``, ``"tutorial-views"``,
``"tutorial-leads-template"``, ``"tutorial-estimates-template"``); the fake Zoho started as it
says (``"tutorial-fake"``); its commands run (``"tutorial-run"``: the environment, ``migrate``,
a user who is not staff, ``runserver``); then, in Chromium, that user logs in on the page the
tutorial gives, connects Zoho on the fake's consent page, and sees the ``acting_as`` leads
page and the ``session_for`` Books page. Finally ``check --deploy`` with the production
checklist's settings file (``"production-settings"``, ``"production-check"``) reports nothing.

On SQLite (the tutorial's database) and on PostgreSQL (``NEWCOMER_POSTGRES_URL``, else
``POSTGRES_URL``: a fresh database on that server, dropped afterwards). A server that does not
answer skips that case locally, and fails it under ``CI=true``.

The only things this test adds to what a newcomer does: ports of its own (``--port`` for the
fake, an address for ``runserver``), and for PostgreSQL one ``DATABASES`` line.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import readme
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.testing.crm.handlers import make_leads

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The address the tutorial gives for the fake Zoho, replaced by this test's own port.
DOCUMENTED_FAKE = "127.0.0.1:8765"
USERNAME, PASSWORD = "ada", "try-zoho-tokens"
#: Seconds a command of the tutorial may take.
COMMAND_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until something listens on ``port``; fail with ``log`` if ``process`` died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} ended:\n{log.read_text(errors='replace')}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"nothing listens on {port} after 60 s:\n{log.read_text(errors='replace')}")


def commands(label: str) -> list[str]:
    """The command lines of the console block ``label``."""
    lines = [line.strip() for line in readme.block(label).splitlines()]
    return [line.removeprefix("$ ") for line in lines if line and not line.startswith("#")]


class Newcomer:
    """A terminal in a temporary folder: runs the tutorial's commands as a shell would."""

    def __init__(self, folder: Path, fake_port: int, site_port: int) -> None:
        self.cwd = folder
        self.fake_port, self.site_port = fake_port, site_port
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "ZOHO_", "PYTEST_")) and key != "PYTHONPATH"
        }
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"
        # The package under test: this checkout, whatever the virtualenv's install points at.
        self.env["PYTHONPATH"] = str(readme.ROOT)
        self.servers: list[subprocess.Popen[bytes]] = []

    def argv(self, command: str) -> tuple[dict[str, str], list[str]]:
        """``NAME=value ... program args`` as (environment additions, argv)."""
        words = shlex.split(command)
        extra = {}
        while words and re.fullmatch(r"\w+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            extra[name] = value
        program = {"python": [sys.executable], "django-admin": [sys.executable, "-m", "django"]}
        return extra, [*program.get(words[0], [words[0]]), *words[1:]]

    def run(self, command: str, env: dict[str, str] | None = None) -> str:
        """Run one command line of the tutorial (in ``env``, by default the terminal's)."""
        if command.startswith("cd "):
            self.cwd = self.cwd / command[3:].strip()
            return ""
        if command.startswith("export "):
            self.export(command.removeprefix("export "))
            return ""
        if re.search(r"\|\||&&|[|>]", command):
            # A shell line (``test -f KEY || python ... > KEY``): bash runs it, as a terminal would.
            return self._finish(command, ["bash", "-c", command], {}, env)
        extra, argv = self.argv(command)
        if argv[1:3] == ["-m", "zoho_tokens.testing"]:
            return self.serve([*argv, "--port", str(self.fake_port)], self.fake_port, "fake")
        if argv[-2:] == ["manage.py", "runserver"]:
            site = f"127.0.0.1:{self.site_port}"
            return self.serve([*argv, site, "--noreload"], self.site_port, "site")
        return self._finish(command, argv, extra, env)

    def _finish(
        self, command: str, argv: list[str], extra: dict[str, str], env: dict[str, str] | None
    ) -> str:
        """Run ``argv`` in the terminal's folder and environment; its output, or a failure."""
        done = subprocess.run(
            argv,
            cwd=self.cwd,
            env={**(self.env if env is None else env), **extra},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def export(self, assignments: str) -> None:
        """``export A=1 B=2``, or ``export A=$(command)``."""
        substituted = re.fullmatch(r"(\w+)=\$\((.*)\)", assignments)
        if substituted:
            self.env[substituted[1]] = self.run(substituted[2]).strip()
            return
        for word in shlex.split(assignments):
            name, _, value = word.partition("=")
            self.env[name] = value.replace(DOCUMENTED_FAKE, f"127.0.0.1:{self.fake_port}")

    def serve(self, argv: list[str], port: int, name: str) -> str:
        """Start a server in the background (a second terminal) and wait for its port."""
        log = self.cwd / f"{name}.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                argv, cwd=self.cwd, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        self.servers.append(server)
        wait_for_port(port, server, log)
        return ""

    def paste(self, label: str, path: str, append: bool = False) -> None:
        """Paste the block ``label`` into ``path`` (relative to the current folder)."""
        target = self.cwd / path
        target.parent.mkdir(parents=True, exist_ok=True)
        before = target.read_text(encoding="utf-8") + "\n" if append else ""
        target.write_text(before + readme.block(label), encoding="utf-8")

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the tutorial's SQLite; else the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    import psycopg

    server = urlsplit(
        os.environ.get("NEWCOMER_POSTGRES_URL")
        or os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    name = f"newcomer_{secrets.token_hex(4)}"
    maintenance = urlunsplit(server._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as error:
        where = f"{server.hostname}:{server.port or 5432}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL server for the newcomer test at {where}: {error}")
        pytest.skip(f"no PostgreSQL server answers at {where} (NEWCOMER_POSTGRES_URL)")
    yield urlunsplit(server._replace(path=f"/{name}"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory, database: str | None) -> Iterator[Newcomer]:
    """The tutorial's steps 2 to 7 done: the site and the fake Zoho running."""
    person = Newcomer(tmp_path_factory.mktemp("newcomer"), free_port(), free_port())
    try:
        for command in commands("tutorial-create"):  # startproject, cd, startapp
            person.run(command)
        person.paste("tutorial-settings", "mysite/settings.py", append=True)
        if database is not None:
            with (person.cwd / "mysite" / "settings.py").open("a") as settings:
                settings.write(
                    "\n# The newcomer test on PostgreSQL: the one line it adds.\n"
                    f"DATABASES = {{'default': __import__('dj_database_url').parse({database!r})}}\n"
                )
        person.paste("tutorial-urls", "mysite/urls.py")
        person.paste("tutorial-views", "crm/views.py")
        for label in ("tutorial-leads-template", "tutorial-estimates-template"):
            path, _source = readme.template(label)
            person.paste(label, path)
        for command in commands("tutorial-fake"):
            person.run(command)
        for command in commands("tutorial-run"):
            person.run(command)
        yield person
    finally:
        person.stop()


def test_the_tutorial_connects_a_user_who_is_not_staff_and_shows_their_pages(
    newcomer: Newcomer, page: Any, screenshot: Any
) -> None:
    site = f"http://127.0.0.1:{newcomer.site_port}"

    page.goto(f"{site}/leads/")
    screenshot(page, "login")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("#zoho-tokens-log-in")
    page.wait_for_url(re.compile(rf"^http://127\.0\.0\.1:{newcomer.fake_port}/"))
    screenshot(page, "consent")
    page.click("#accept")
    page.wait_for_url(f"{site}/leads/")
    screenshot(page, "leads")
    leads = page.locator("#leads li").all_inner_texts()
    connected = page.content()

    page.click("text=My Zoho Books estimates")
    page.wait_for_url(f"{site}/estimates/")
    screenshot(page, "estimates")

    assert "Zoho CRM is connected as ada@example.com." in connected
    # The fake's five leads (`python -m zoho_tokens.testing` serves five), in the template's words.
    assert leads == [
        f"{lead['First_Name']} {lead['Last_Name']}, {lead['Company']} ({lead['Email']})"
        for lead in make_leads(5)
    ]
    assert page.locator("h1").inner_text() == "My Zoho Books estimates"
    assert page.locator("#estimates li").all_inner_texts() == ["No estimates yet."]
    staff = newcomer.run(
        'python manage.py shell -c "from django.contrib.auth.models import User; '
        f"print(User.objects.get(username='{USERNAME}').is_staff)\""
    )
    assert staff.strip().splitlines()[-1] == "False"


def test_the_leads_page_says_zoho_is_not_available_when_the_fake_stops(
    newcomer: Newcomer, page: Any, screenshot: Any
) -> None:
    site = f"http://127.0.0.1:{newcomer.site_port}"
    page.goto(f"{site}/leads/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("#zoho-tokens-log-in")
    page.wait_for_load_state()
    if page.url.startswith(f"http://127.0.0.1:{newcomer.fake_port}/"):  # not connected yet
        page.click("#accept")
    page.wait_for_url(f"{site}/leads/")
    (fake, _site) = newcomer.servers
    fake.terminate()
    fake.wait(timeout=10)

    answer = page.goto(f"{site}/leads/")
    screenshot(page, "zoho-unavailable")

    assert answer.status == 503
    assert str(ZohoUnavailableError.user_message) in page.inner_text("body")


def test_the_production_settings_pass_check_deploy(newcomer: Newcomer) -> None:
    newcomer.paste("production-settings", "mysite/production.py")
    production = {
        # The checklist: no fake Zoho.
        **{
            k: v
            for k, v in newcomer.env.items()
            if k not in ("ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN")
        },
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "crm-tools.example.com",
        "ZOHO_REDIRECT_URI": "https://crm-tools.example.com/zoho/callback/",
        # The client registered at Zoho (the fake's is refused: zoho_tokens.W018).
        "ZOHO_CLIENT_ID": "1000.NEWCOMERPRODUCTIONCLIENT",
        "ZOHO_CLIENT_SECRET": secrets.token_hex(20),
    }

    (command,) = commands("production-check")
    output = newcomer.run(command, production)

    assert "System check identified no issues" in output
