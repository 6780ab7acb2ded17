"""What the numbers say: the report's numbered findings about DjangoTokenStore, and what
the refresh storm shows."""

from __future__ import annotations

from bench.report.figures import (
    DJANGO_PREFIX,
    DJANGO_SQLITE,
    FLOOR,
    TARGET_SIZE,
    Results,
    Run,
    duration,
    ratio,
    server_floor,
)
from bench.store import breakdown


def findings(run: Run, results: Results) -> list[str]:
    """What the numbers say about DjangoTokenStore, those the run has figures for."""
    found = [
        _flat_on_sqlite(run, results),
        _where_the_time_goes(run),
        _servers(results),
        _get_tokens(results),
        _save(results),
    ]
    return [finding for finding in found if finding]


def _flat_on_sqlite(run: Run, results: Results) -> str | None:
    small, large = run.sizes[0], run.sizes[-1]
    a = results.median(DJANGO_SQLITE, "find_user", small)
    b = results.median(DJANGO_SQLITE, "find_user", large)
    c = results.median(DJANGO_SQLITE, "find_refresh", small)
    d = results.median(DJANGO_SQLITE, "find_refresh", large)
    if not (a and b and c and d):
        return None
    cleanup = next((c for c in run.cleanups if c.backend == "SQLite"), None)
    return (
        f"1. **On SQLite, `find_token` stays flat as the table grows**: by user name "
        f"{duration(a)} at {small:,} tokens, {duration(b)} at {large:,}; by refresh token "
        f"{duration(c)} and {duration(d)}. SQLite keeps no statistics unless someone runs "
        "`ANALYZE` (Django never does); `zoho_tokens_status_idx` leads with "
        "`status_changed_at`, so `status = ?` cannot use it and the planner takes the "
        "digest indexes (plans below)."
        + (
            f" The cleanup's batch queries scan in key order: {cleanup.rows:,} rows in "
            f"{cleanup.seconds:.1f} s on SQLite."
            if cleanup
            else ""
        )
    )


def _where_the_time_goes(run: Run) -> str | None:
    total, lookup, read = (
        run.step(breakdown.TOTAL),
        run.step(breakdown.LOOKUP),
        run.step(breakdown.READ),
    )
    hand, decrypt = run.step(breakdown.HAND_OUT), run.step(breakdown.DECRYPT)
    floor, orm = run.step(breakdown.FLOOR), run.step(breakdown.ORM)
    if not (total and lookup and read and hand and decrypt and floor and orm):
        return None
    return (
        f"2. **Where `find_token`'s {duration(total)} goes** (by user name, SQLite, "
        f"{run.sizes[-1]:,} tokens; {total / floor:.1f}x the floor's {duration(floor)}): "
        f"`lookups_for` builds the lookup and its digest in {duration(lookup)}; "
        f"`read_active` runs one precompiled parameterised SELECT and builds the "
        f"`ZohoToken` (the ORM's converters, `Model.from_db`) in {duration(read)}; "
        f"`hand_out` decrypts three secrets and fills the SDK token in {duration(hand)} "
        f"(one decryption {duration(decrypt)}, the `keyring()` lookup included); the "
        f"remaining {duration(max(0.0, total - lookup - read - hand))} is the store's glue "
        f"around them (mostly the queryset `_rows()` builds to name the database, then "
        f"the refresh check; `python -m bench.store.profile` shows the tree). The same "
        f"read through the ORM's query compiler, `lookup.filter(ZohoToken.objects"
        f".usable()).order_by('-updated_at').first()`, takes {duration(orm)}, "
        f"{orm / read:.1f}x `read_active`: that is why the store reads without it."
    )


def _servers(results: Results) -> str | None:
    server_lines = []
    for server in ("PostgreSQL", "MariaDB"):
        mine = results.median(f"DjangoTokenStore ({server})", "find_user", TARGET_SIZE)
        own = results.median(server_floor(server), "find_user", TARGET_SIZE)
        sqlite_floor = results.median(FLOOR, "find_user", TARGET_SIZE)
        if mine and own and sqlite_floor:
            server_lines.append(
                f"{server} {duration(mine)}, {ratio(mine / own)} its own indexed SELECT "
                f"({duration(own)}, which alone is {ratio(own / sqlite_floor)} the SQLite floor)"
            )
    if not server_lines:
        return None
    return (
        f"3. **PostgreSQL and MariaDB** use the digest indexes (plans below; how flat "
        f"that keeps `find_token` is in the targets table). `find_token` by user name at "
        f"{TARGET_SIZE:,} tokens: "
        + "; ".join(server_lines)
        + ". The 20x target is defined against the in-process SQLite floor; a store on "
        "a database server cannot meet it, since the server's own indexed SELECT (one "
        "round trip through the driver) already takes nearly all of that budget, or more."
    )


def _get_tokens(results: Results) -> str | None:
    per_row = results.median(DJANGO_SQLITE, "get_tokens", TARGET_SIZE)
    if not per_row:
        return None
    return (
        f"4. `get_tokens` costs {duration(per_row / TARGET_SIZE)} per row on SQLite (model "
        "instances of 25 columns through the ORM, with their datetime converters, then "
        "three decryptions and an SDK token per row). No target asks for more."
    )


def _save(results: Results) -> str | None:
    mine = results.median(DJANGO_SQLITE, "save", TARGET_SIZE)
    floor = results.median(FLOOR, "save", TARGET_SIZE)
    if not (mine and floor):
        return None
    return (
        f"5. `save_token` takes {ratio(mine / floor)} the floor's single UPDATE-and-commit "
        "on SQLite (a SELECT ... FOR UPDATE, three encryptions, an UPDATE of every "
        "column, a commit whose `fsync` dominates both): nothing worth fixing."
    )


def storm_findings(run: Run) -> list[str]:
    """Why DBStore and DjangoTokenStore differ in the storm (when both ran)."""
    sdk = next((s for s in run.storms if not s.store.startswith(DJANGO_PREFIX)), None)
    ours = [s for s in run.storms if s.store.startswith(DJANGO_PREFIX)]
    if sdk is None or not ours:
        return []
    return [
        "Waits are alike because every DBStore worker refreshes at once, in parallel; the "
        f"difference is what it costs at Zoho. DBStore sent {sdk.refresh_calls} refreshes for "
        f"one token: {sdk.throttled} were refused by the throttle (those workers' API calls "
        f"fail) and {sdk.distinct_access_tokens} different access tokens were minted, spending "
        "the refresh token's whole 10-minute budget (and Zoho keeps only 15 live access tokens "
        "per refresh token). DjangoTokenStore sent one refresh: the first worker refreshes "
        "under the row's lock (on SQLite: the database's write lock), the others wait for it "
        "and read the new token.",
        "",
    ]
