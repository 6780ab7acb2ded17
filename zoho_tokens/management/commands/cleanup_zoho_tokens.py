"""``python manage.py cleanup_zoho_tokens``: retry pending revocations, delete dead rows."""

from __future__ import annotations

from argparse import ArgumentTypeError
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from zoho_tokens.conf import zoho_settings
from zoho_tokens.health import acting, prune_history
from zoho_tokens.tokens.cleanup import (
    CATEGORIES,
    DEFAULT_BATCH_SIZE,
    DEFAULT_OLDER_THAN_DAYS,
    REVOCATIONS_CONFIRMED,
    REVOCATIONS_PENDING,
    run_cleanup,
)


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ArgumentTypeError(
                _("expected a whole number of at least %(minimum)d, got %(value)r")
                % {"minimum": minimum, "value": value}
            )
        return number

    return parse


class Command(BaseCommand):
    help = (
        "Retry revocations at Zoho that are still pending, then delete revoked tokens and "
        "tokens needing re-authorisation older than --older-than days, tokens that can never "
        "work again, and grant tokens never exchanged; prune the tokens' history past "
        "ZOHO_TOKENS['HISTORY_DAYS']. Safe to run from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted; change nothing and contact no one.",
        )
        parser.add_argument(
            "--older-than",
            type=_whole_number(0),
            default=DEFAULT_OLDER_THAN_DAYS,
            metavar="DAYS",
            help="Keep revoked and re-authorisation-needing tokens this many days "
            f"(default {DEFAULT_OLDER_THAN_DAYS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=_whole_number(1),
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows deleted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        if dry_run:
            self.stdout.write(_("Dry run: nothing will be changed."))
        with acting("command"):
            counts = run_cleanup(
                older_than_days=options["older_than"],
                batch_size=options["batch_size"],
                dry_run=dry_run,
                stdout=self.stdout if options["verbosity"] > 1 else None,
            )
            pruned = prune_history(dry_run=dry_run)
        if dry_run:
            retries = _("Pending revocations at Zoho: %(pending)d, not retried in a dry run.")
        else:
            retries = _(
                "Pending revocations at Zoho: %(confirmed)d done, %(pending)d still pending."
            )
        self.stdout.write(
            retries
            % {"confirmed": counts[REVOCATIONS_CONFIRMED], "pending": counts[REVOCATIONS_PENDING]}
        )
        line = (
            _("%(label)s: %(count)d would be deleted.")
            if dry_run
            else _("%(label)s: %(count)d deleted.")
        )
        for category in CATEGORIES:
            label = category.describe(options["older_than"])
            self.stdout.write(line % {"label": label, "count": counts[category.name]})
        if zoho_settings.HISTORY_DAYS > 0:
            history = (
                _("History: %(count)d events older than %(days)d days would be deleted.")
                if dry_run
                else _("History: %(count)d events older than %(days)d days deleted.")
            )
            self.stdout.write(history % {"count": pruned, "days": zoho_settings.HISTORY_DAYS})
