"""The SDK's field-metadata cost per user: requests to Zoho, files and bytes on disk.

``python -m bench.request_path.metadata_cost [--users 1,10,100] [--fields 300]``: for each N, N users
connected to a fake Zoho whose Leads have ``--fields`` fields (a real Leads module has a
few hundred) make one ``get_records`` each, on an empty resource path, in one process.
Prints the metadata requests (``/settings/fields``, ``/settings/modules``), the files under
the resource path and their size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

KEY = "pwWUxjnHBWNSwmXY4x69S5HdfN6OQ8GKWzvVRNT8jwM="  # bench only, not secret


@dataclass(frozen=True)
class Cost:
    """What N users' first calls left behind."""

    users: int
    fields_requests: int
    modules_requests: int
    files: int
    total_bytes: int

    @property
    def bytes_per_user(self) -> int:
        """The resource path's growth per user."""
        return self.total_bytes // max(self.files, 1)


def _configure() -> None:
    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "zoho_tokens"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ZOHO_TOKENS={"ENCRYPTION_KEYS": [KEY]},
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def measure(users: int, fields: int, work_dir: str) -> Cost:
    """N users' first ``get_records`` each, on an empty resource path."""
    from django.contrib.auth import get_user_model
    from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations

    from zoho_tokens.sdk.as_user import acting_as
    from zoho_tokens.testing import DEFAULT_SCOPES, FakeZoho, reset_zoho_sdk
    from zoho_tokens.testing.crm.handlers import make_wide_leads
    from zoho_tokens.tokens.connect import connect_with_code

    run = f"u{users}-f{fields}"
    resource_path = os.path.join(work_dir, run)
    reset_zoho_sdk()
    with FakeZoho(leads=make_wide_leads(5, fields)) as fake:
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "CLIENT_ID": fake.client_id,
            "CLIENT_SECRET": fake.client_secret,
            "ACCOUNTS_URL": fake.url,
            "API_DOMAIN": fake.url,
            "SDK_RESOURCE_PATH": resource_path,
        }
        people = []
        for number in range(users):
            email = f"{run}-{number}@example.com"
            fake.add_user(email, f"User {number}")
            person = get_user_model().objects.create_user(f"{run}-{number}")
            code = fake.issue_code(user=email, scopes=DEFAULT_SCOPES)
            connect_with_code(code, accounts_server=fake.url, redirect_uri=None, user=person)
            people.append(person)
        fake.reset_counts()
        # Zoho answers a list call only with `fields` (50 at most), as the fake does.
        params = ParameterMap()
        params.add(GetRecordsParam.fields, "Last_Name,Email")
        for person in people:
            with acting_as(person):
                RecordOperations("Leads").get_records(params)
        files = [path for path in Path(resource_path).rglob("*.json") if path.is_file()]
        return Cost(
            users=users,
            fields_requests=fake.count("/crm/v8/settings/fields"),
            modules_requests=fake.count("/crm/v8/settings/modules"),
            files=len(files),
            total_bytes=sum(path.stat().st_size for path in files),
        )


def render(costs: list[Cost], fields: int) -> str:
    """A Markdown table of the costs."""
    lines = [
        f"| Users | `/settings/fields` | `/settings/modules` | Files | Bytes (total) | "
        f"Bytes per user ({fields} fields) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.users} | {c.fields_requests} | {c.modules_requests} | {c.files} | "
        f"{c.total_bytes:,} | {c.bytes_per_user:,} |"
        for c in costs
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,100")
    parser.add_argument("--fields", type=int, default=300)
    args = parser.parse_args(argv)
    _configure()
    with tempfile.TemporaryDirectory(prefix="zoho-metadata-") as work_dir:
        costs = [measure(int(n), args.fields, work_dir) for n in args.users.split(",")]
    print(render(costs, args.fields))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
