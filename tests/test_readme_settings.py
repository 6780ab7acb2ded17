"""The settings reference documents exactly the keys of ``zoho_tokens.conf.DEFAULTS``.

The table sits between ``<!-- settings-table -->`` and ``<!-- /settings-table -->`` in
docs/reference-settings.md; each row starts with the key in backticks and gives the default as a Python
literal in backticks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from zoho_tokens.conf import DEFAULTS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference-settings.md"
START, END = "<!-- settings-table -->", "<!-- /settings-table -->"
ROW = re.compile(r"^\|\s*`(?P<key>[A-Z_]+)`\s*\|\s*`(?P<default>[^`]*)`\s*\|(?P<meaning>.*)\|\s*$")


def settings_rows(text: str) -> list[re.Match[str]]:
    """The table rows of ``text`` that document a key (header and rule lines skipped)."""
    if START not in text or END not in text:
        pytest.fail(f"{PAGE.name} lacks the {START} ... {END} markers around the settings table")
    table = text.split(START, 1)[1].split(END, 1)[0]
    lines = [line for line in table.strip().splitlines() if line.strip()]
    # The header and the |---| rule are not settings; every other line must be one.
    body = lines[2:]
    rows = [ROW.match(line) for line in body]
    unparsed = [line for line, row in zip(body, rows, strict=True) if row is None]
    assert not unparsed, (
        f"settings table rows not in the form | `KEY` | `default` | ... |: {unparsed}"
    )
    return [row for row in rows if row is not None]


@pytest.fixture(scope="module")
def rows() -> list[re.Match[str]]:
    return settings_rows(PAGE.read_text(encoding="utf-8"))


def test_settings_table_lists_every_key_of_conf_defaults(rows):
    assert set(DEFAULTS) - {row["key"] for row in rows} == set()


def test_settings_table_lists_no_key_unknown_to_conf(rows):
    assert {row["key"] for row in rows} - set(DEFAULTS) == set()


def test_settings_table_lists_each_key_once(rows):
    keys = [row["key"] for row in rows]
    assert sorted(key for key in set(keys) if keys.count(key) > 1) == []


def test_settings_table_gives_each_keys_default_from_conf(rows):
    documented = {row["key"]: ast.literal_eval(row["default"]) for row in rows}
    assert {key: documented.get(key) for key in DEFAULTS} == DEFAULTS


def test_settings_table_explains_each_key(rows):
    assert [row["key"] for row in rows if not row["meaning"].strip()] == []
