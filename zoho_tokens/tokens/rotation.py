"""Key rotation: re-encrypt every secret with the newest key, so old keys can be removed.

The procedure (also in docs/howto-move-keys.md): put the new key first in ``ENCRYPTION_KEYS`` and keep
the old ones after it; deploy; run ``python manage.py rotate_zoho_token_keys``; once it
reports 0, remove the old keys. Keys derived from ``SECRET_KEY`` (used before dedicated
keys were set) are always tried last, so moving to dedicated keys is the same procedure:
set ``ENCRYPTION_KEYS``, deploy, rotate. ``rotate_keys(dry_run=True)`` counts without
writing (``--dry-run``; the ``zoho_tokens.W020`` check uses it).

Rows are processed in primary-key order, one batch per transaction, so an interrupted run
keeps what it committed and a re-run only touches what is left: it is idempotent. Each row
is written only if its ciphertexts are still the ones that were read, so a refresh that
lands in the middle is never overwritten (it was written with the newest key anyway, or is
picked up by the next run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from zoho_tokens import signals
from zoho_tokens.models import ZohoToken
from zoho_tokens.models.crypto import InvalidToken, Keyring, keyring
from zoho_tokens.models.state import DIGESTED_SECRET_NAMES, SECRET_COLUMNS, SECRET_NAMES

logger = logging.getLogger(__name__)

#: Rows read and written per transaction.
DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class RotationReport:
    """What a rotation run did."""

    #: Rows whose secrets (or lookup digests) were rewritten with the newest key.
    reencrypted: int = 0
    #: Rows holding a secret that no configured key decrypts (left as they are; logged).
    unreadable: int = 0
    #: Rows changed by someone else while being rotated (left for the next run).
    changed_meanwhile: int = 0
    #: True when nothing was written: ``reencrypted`` counts the rows that need it.
    dry_run: bool = False


def rotate_keys(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[RotationReport], None] | None = None,
    dry_run: bool = False,
) -> RotationReport:
    """Re-encrypt every secret not encrypted with the first key of ``ENCRYPTION_KEYS``,
    and recompute every lookup digest not made with it; return the counts.

    A second run right after the first reports 0 rows. ``progress`` is called with the
    running totals after each batch. With ``dry_run``, nothing is written and
    ``reencrypted`` counts the rows a run would re-encrypt (rows that still need an older
    key, or a digest made with one).
    """
    ring = keyring()
    reencrypted = unreadable = changed = 0
    for pks in ZohoToken.objects.primary_key_batches(batch_size):
        with transaction.atomic():
            batch = (
                ZohoToken.objects.filter(pk__in=pks).order_by("pk").values("pk", *SECRET_COLUMNS)
            )
            for row in batch:
                try:
                    updates = _updates_for(row, ring)
                except InvalidToken:
                    logger.warning(
                        "Zoho token %s: a secret cannot be decrypted with any configured key; "
                        "left as it is.",
                        row["pk"],
                    )
                    unreadable += 1
                    continue
                if not updates:
                    continue
                if dry_run:
                    reencrypted += 1
                    continue
                # update() also leaves updated_at alone: re-encrypting changes no token.
                unchanged = {column: row[column] for column in SECRET_COLUMNS}
                if ZohoToken.objects.filter(pk=row["pk"], **unchanged).update(**updates):
                    reencrypted += 1
                    signals.emit("reencrypted", row["pk"], "ok")
                else:
                    changed += 1
        if progress is not None:
            progress(RotationReport(reencrypted, unreadable, changed, dry_run))
    if not dry_run:
        logger.info("Key rotation: %d Zoho token rows re-encrypted.", reencrypted)
    return RotationReport(reencrypted, unreadable, changed, dry_run)


def _updates_for(row: dict[str, Any], ring: Keyring) -> dict[str, str]:
    """The columns of ``row`` to rewrite so that only the first key is needed."""
    updates: dict[str, str] = {}
    for name in SECRET_NAMES:
        ciphertext = row[f"{name}_encrypted"]
        if not ciphertext:
            continue
        plaintext = ring.decrypt(ciphertext)
        if not ring.is_current(ciphertext):
            updates[f"{name}_encrypted"] = ring.encrypt(plaintext)
        if name in DIGESTED_SECRET_NAMES:
            digest = ring.digest(plaintext)
            if row[f"{name}_digest"] != digest:
                updates[f"{name}_digest"] = digest
    return updates
