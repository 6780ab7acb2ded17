"""What the benchmark ran on: CPU, memory, load, and the versions of everything measured."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import datetime, timezone
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _mysql_driver() -> str:
    """mysqlclient when installed (bench/settings.py prefers it), else PyMySQL."""
    from bench.settings import MYSQL_DRIVER

    return (
        f"{MYSQL_DRIVER} {_version('mysqlclient' if MYSQL_DRIVER == 'mysqlclient' else 'PyMySQL')}"
    )


def _mysql_connector() -> str:
    version = _version("mysql-connector-python")
    try:
        import _mysql_connector  # noqa: F401
    except ImportError:
        return f"{version} (pure Python; its C extension does not load here)"
    return f"{version} (C extension)"


def describe(server_versions: dict[str, str]) -> list[tuple[str, str]]:
    """``(what, value)`` pairs for the report's machine section."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        ("Date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", _cpu_model()),
        ("Cores", str(os.cpu_count())),
        ("RAM", _memory_gib()),
        ("Load average at start (1, 5, 15 min)", load),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django", _version("Django")),
        ("django-zoho-tokens", _version("django-zoho-tokens")),
        ("Zoho SDK (zohocrmsdk8_0)", _version("zohocrmsdk8_0")),
        ("cryptography", _version("cryptography")),
        ("SQLite (Python's sqlite3)", sqlite3.sqlite_version),
        *sorted(server_versions.items()),
        ("psycopg", _version("psycopg")),
        ("Django's MariaDB driver", _mysql_driver()),
        ("mysql-connector-python (DBStore's driver)", _mysql_connector()),
    ]
