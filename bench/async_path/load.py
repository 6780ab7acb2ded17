"""The load generator: ``clients`` concurrent clients, each asking for one user's call in a
loop for ``seconds``; every answer checked against the user asked for.

It runs on aiohttp, not httpx (which the package itself uses): from one process, 200
clients on httpx's shared pool could not ask for more than about 60 calls/s even of a
server that only sleeps 200 ms, when aiohttp asks for 900. The figures must be the
server's, not the load generator's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp


@dataclass
class LoadResult:
    """Latencies of the answered calls, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong_user: int = 0
    seconds: float = 0.0

    @property
    def calls_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run_load(
    url_of: Callable[[int], str],
    emails: dict[int, str],
    *,
    clients: int,
    seconds: float,
    midway: Callable[[], Awaitable[None]] | None = None,
) -> LoadResult:
    """Run the load; ``midway`` is awaited once, half-way through."""
    result = LoadResult()
    users = list(emails)
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        stop_at = time.monotonic() + seconds

        async def client(index: int) -> None:
            user = users[index % len(users)]
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    async with http.get(url_of(user)) as answer:
                        status, text = answer.status, await answer.text()
                except (aiohttp.ClientError, asyncio.TimeoutError) as err:
                    result.errors.append(type(err).__name__)
                    continue
                if status != 200:
                    result.errors.append(f"HTTP {status}")
                    continue
                result.latencies.append(time.monotonic() - started)
                if text != emails[user]:
                    result.wrong_user += 1

        async def act_midway() -> None:
            await asyncio.sleep(seconds / 2)
            if midway is not None:
                await midway()

        started = time.monotonic()
        await asyncio.gather(act_midway(), *(client(n) for n in range(clients)))
        result.seconds = time.monotonic() - started
    return result
