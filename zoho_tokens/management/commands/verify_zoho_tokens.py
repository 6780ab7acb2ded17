"""``python manage.py verify_zoho_tokens``: ask Zoho which stored tokens still work."""

from __future__ import annotations

import json
import re
from argparse import ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zoho_tokens.health import TokenCheck, VerifyReport, acting, verify_tokens
from zoho_tokens.models import TokenStatus, ZohoToken, ZohoTokenQuerySet

_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: str) -> timedelta:
    match = _DURATION.match(value.strip().lower())
    if match is None:
        raise ArgumentTypeError(
            _("expected a number and a unit (m, h, d or w), such as 7d; got %(value)r")
            % {"value": value}
        )
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = (
        "Check each active Zoho token at Zoho with one refresh (no CRM API credit), mark "
        "those Zoho no longer accepts as needing the user to connect again, and report. "
        "Exit status: 0 all fine, 1 some need to connect again, 2 Zoho could not answer "
        "for some."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this Django user's tokens (username or id).")
        parser.add_argument(
            "--older-than",
            type=_duration,
            metavar="AGE",
            help="Only tokens not refreshed for this long (e.g. 30m, 12h, 7d, 2w).",
        )
        parser.add_argument(
            "--data-centre", "--data-center", dest="data_centre", help="Only this data centre."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Ask Zoho, but change nothing here: mark no token, store no access token.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = _selected(options)
        bar = _ProgressBar(self.stdout, tokens.count()) if self._shows_progress(options) else None
        with acting("command"):
            report = verify_tokens(
                tokens, dry_run=options["dry_run"], progress=bar.step if bar else None
            )
        if bar is not None:
            bar.finish()
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(report), indent=2))
        else:
            self._print_table(report)
        if report.exit_status:
            raise SystemExit(report.exit_status)

    def _shows_progress(self, options: dict[str, Any]) -> bool:
        stream = getattr(self.stdout, "_out", self.stdout)
        return not options["json"] and bool(getattr(stream, "isatty", lambda: False)())

    def _print_table(self, report: VerifyReport) -> None:
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was changed here."))
        labels = {
            "alive": _("Zoho accepts them"),
            "dead": _("The user must connect again"),
            "throttled": _("Zoho asked to slow down (not checked)"),
            "unreachable": _("Zoho did not answer (not checked)"),
            "error": _("Zoho refused for another reason"),
            "gone": _("Disconnected while checking"),
            "skipped": _("No refresh token to check with"),
        }
        for verdict, count in report.counts.items():
            self.stdout.write(f"{labels[verdict]:<42} {count:>7}")
        if report.dead:
            self.stdout.write("")
            self.stdout.write(_("Tokens that need the user to connect again:"))
            self.stdout.write(f"{'id':>8}  {_('data centre'):<11}  {_('reason'):<15}  Zoho user")
            for check in report.dead:
                self.stdout.write(
                    f"{check.token_id:>8}  {check.location:<11}  {check.reason:<15}  "
                    f"{check.zoho_user}"
                )


def _selected(options: dict[str, Any]) -> ZohoTokenQuerySet:
    tokens = ZohoToken.objects.filter(status=TokenStatus.ACTIVE)
    if options["user"]:
        user = options["user"]
        by_name = Q(user__username=user)
        tokens = tokens.filter(by_name | Q(user_id=int(user)) if user.isdigit() else by_name)
    if options["data_centre"]:
        tokens = tokens.filter(location=options["data_centre"].lower())
    if options["older_than"] is not None:
        cutoff = timezone.now() - options["older_than"]
        tokens = tokens.filter(
            Q(last_refreshed_at__lt=cutoff)
            | Q(last_refreshed_at__isnull=True, created_at__lt=cutoff)
        )
    return tokens


def _as_json(report: VerifyReport) -> dict[str, Any]:
    def entry(check: TokenCheck) -> dict[str, Any]:
        return {
            "token_id": check.token_id,
            "zoho_user": check.zoho_user,
            "data_centre": check.location,
            "verdict": check.verdict.value,
            "reason": check.reason,
        }

    return {
        "dry_run": report.dry_run,
        "exit_status": report.exit_status,
        "counts": report.counts,
        "not_alive": [entry(c) for c in report.checks if c.verdict.value != "alive"],
    }


class _ProgressBar:
    """A one-line bar on a terminal, redrawn at most once per percent."""

    WIDTH = 30

    def __init__(self, out: Any, total: int) -> None:
        self.out, self.total, self.done, self.drawn = out, max(total, 1), 0, -1

    def step(self, check: TokenCheck) -> None:
        self.done += 1
        percent = self.done * 100 // self.total
        if percent != self.drawn:
            self.drawn = percent
            filled = self.WIDTH * self.done // self.total
            self.out.write(
                f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}",
                ending="",
            )
            self.out.flush()

    def finish(self) -> None:
        self.out.write("")
