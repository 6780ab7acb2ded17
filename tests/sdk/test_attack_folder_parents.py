"""Attack on the SDK folder from above and from the side: a folder above it that another
account may write to (it renames the private folder away after every check and puts its own
in its place), a symlink of another account on the way, and a private folder left readable
by all (``0755``, by an older version or a umask) whose file names name Zoho users.

The suite runs as root, so "another account" is made with ``os.chown``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.sdk.test_folder import OTHER_UID, needs_root
from zoho_tokens.conf.sdk_folder import folder_problem, private_folder
from zoho_tokens.exceptions import ImproperlyConfiguredZoho


def test_a_folder_under_a_folder_open_to_all_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: anyone may rename sdk/ away and plant their own

    with pytest.raises(ImproperlyConfiguredZoho, match="other users may write to"):
        private_folder(str(shared / "sdk"))
    assert "other users may write to" in (folder_problem(str(shared / "sdk")) or "")


def test_a_folder_under_a_sticky_folder_open_to_all_is_used(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: nobody renames what is not theirs

    assert private_folder(str(shared / "sdk")) == str(shared / "sdk")


@needs_root
def test_a_folder_inside_another_accounts_folder_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    (theirs / "sdk").mkdir(mode=0o700)

    assert f"owned by user id {OTHER_UID}" in (folder_problem(str(theirs / "sdk")) or "")


@needs_root
def test_a_path_through_another_accounts_symlink_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(mine)
    os.lchown(link, OTHER_UID, OTHER_UID)

    with pytest.raises(ImproperlyConfiguredZoho, match="symbolic link"):
        private_folder(str(link / "sdk"))


def test_a_private_folder_readable_by_all_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "sdk"
    path.mkdir()
    path.chmod(0o755)

    private_folder(str(path))

    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
