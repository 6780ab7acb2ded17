"""``python manage.py rotate_zoho_token_keys``: re-encrypt every secret with the newest key."""

from __future__ import annotations

from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zoho_tokens.health import acting
from zoho_tokens.tokens.rotation import DEFAULT_BATCH_SIZE, RotationReport, rotate_keys


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ArgumentTypeError(
            _("expected a whole number of at least 1, got %(value)r") % {"value": value}
        )
    return number


class Command(BaseCommand):
    help = (
        "Re-encrypt every Zoho token secret with the first key of "
        "ZOHO_TOKENS['ENCRYPTION_KEYS'] and recompute the lookup digests. Idempotent; safe "
        "to run again after an interruption. Once it reports 0 rows, the old keys can be "
        "removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the rows that need re-encrypting; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with acting("command"):
            report = rotate_keys(
                batch_size=options["batch_size"],
                progress=self._progress if options["verbosity"] > 1 else None,
                dry_run=options["dry_run"],
            )
        if report.dry_run:
            done = ngettext(
                "%(count)d row would be re-encrypted with the newest key (dry run: nothing "
                "was written).",
                "%(count)d rows would be re-encrypted with the newest key (dry run: nothing "
                "was written).",
                report.reencrypted,
            )
        else:
            done = ngettext(
                "%(count)d row re-encrypted with the newest key.",
                "%(count)d rows re-encrypted with the newest key.",
                report.reencrypted,
            )
        _say(self.stdout, done, report.reencrypted)
        if report.unreadable:
            _say(
                self.stderr,
                ngettext(
                    "%(count)d row holds a secret that no configured key decrypts; it was "
                    "left as it is (see the log for its id).",
                    "%(count)d rows hold a secret that no configured key decrypts; they were "
                    "left as they are (see the log for their ids).",
                    report.unreadable,
                ),
                report.unreadable,
            )
        if report.changed_meanwhile:
            _say(
                self.stdout,
                ngettext(
                    "%(count)d row changed while it was being rotated; run the command again.",
                    "%(count)d rows changed while they were being rotated; run the command again.",
                    report.changed_meanwhile,
                ),
                report.changed_meanwhile,
            )

    def _progress(self, report: RotationReport) -> None:
        if report.dry_run:
            text = _("%(count)d rows to re-encrypt so far.")
        else:
            text = _("%(count)d rows re-encrypted so far.")
        self.stdout.write(text % {"count": report.reencrypted})


def _say(stream: OutputWrapper, text: str, count: int) -> None:
    """Write ``text`` (an ``ngettext`` choice with a ``%(count)d``) for ``count`` rows."""
    stream.write(text % {"count": count})
