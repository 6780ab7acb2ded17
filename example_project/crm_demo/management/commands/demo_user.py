"""``manage.py demo_user``: create (or reset) the demo administrator and print how to log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create or reset the demo superuser (for make demo; never on a real site)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument("--email", default="demo@example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        user, _created = get_user_model().objects.update_or_create(
            username=options["username"],
            defaults={"email": options["email"], "is_staff": True, "is_superuser": True},
        )
        user.set_password(options["password"])
        user.save()
        self.stdout.write(
            f"Demo administrator: username {options['username']!r}, "
            f"password {options['password']!r}"
        )
