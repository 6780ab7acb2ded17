"""``zoho_tokens.conf.sdk_folder``: the SDK's resource folder is private, or refused.

Attack: another local account creates the predictable default folder first, open to all
(0777) or as a symlink to a folder of its own, or plants the lock file; it could then read
the metadata (whose file names encoded users' emails) or poison it. The suite runs as root,
so a folder of "another account" is made with ``os.chown``.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks

from tests.sdk.helpers import connect, lead_names, make_user
from zoho_tokens.conf.sdk_folder import (
    folder_problem,
    open_private_file,
    private_folder,
    resource_path,
)
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.sdk import acting_as
from zoho_tokens.sdk.metadata import LOCK_FILE_NAME, MetadataLock, ensure_resource_folder
from zoho_tokens.testing import FakeZoho

#: A user id that is not this process's (the suite runs as root, which may give files away).
OTHER_UID = 4242

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a folder to another account needs root",
)


def connected_alice(fake_zoho: FakeZoho) -> Any:
    """A Django user, alice, connected to Zoho."""
    user = make_user("alice")
    connect(fake_zoho, user, "alice.zoho@example.com")
    return user


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def resource_setting(settings: Any, tmp_path: Path) -> Path:
    """``SDK_RESOURCE_PATH`` set to a folder that does not exist yet."""
    path = tmp_path / "sdk"
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SDK_RESOURCE_PATH": str(path)}
    return path


def planted_open_folder(path: Path) -> Path:
    path.mkdir()
    path.chmod(0o777)
    return path


def planted_symlink(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    path.symlink_to(target)
    return path


def planted_foreign_folder(path: Path) -> Path:
    path.mkdir(mode=0o700)
    os.chown(path, OTHER_UID, OTHER_UID)
    return path


def e018_messages() -> list[str]:
    return [m.msg for m in run_checks() if m.id == "zoho_tokens.E018"]


# -- the folder -----------------------------------------------------------------------------


def test_the_folder_is_created_private(tmp_path: Path) -> None:
    os.umask(old := os.umask(0))  # whatever the umask: 0 here, the most open
    try:
        path = Path(private_folder(str(tmp_path / "new" / "sdk")))
    finally:
        os.umask(old)

    assert mode_of(path) == 0o700


def test_the_default_folder_is_per_user_under_the_temporary_folder(settings: Any) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SDK_RESOURCE_PATH": None}

    assert resource_path().endswith(f"zoho-tokens-sdk-{os.geteuid()}")


def test_a_folder_open_to_all_is_refused(tmp_path: Path) -> None:
    path = planted_open_folder(tmp_path / "sdk")

    with pytest.raises(ImproperlyConfiguredZoho, match="writable by other users"):
        private_folder(str(path))


def test_a_group_writable_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdk"
    path.mkdir()
    path.chmod(0o770)

    assert "writable by other users (mode 0770)" in (folder_problem(str(path)) or "")


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    path = planted_symlink(tmp_path / "sdk", tmp_path)

    with pytest.raises(ImproperlyConfiguredZoho, match="symbolic link"):
        private_folder(str(path))


@needs_root
def test_a_folder_of_another_account_is_refused(tmp_path: Path) -> None:
    path = planted_foreign_folder(tmp_path / "sdk")

    with pytest.raises(ImproperlyConfiguredZoho, match=f"owned by user id {OTHER_UID}"):
        private_folder(str(path))


def test_a_planted_metadata_folder_inside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "sdk"
    root.mkdir(mode=0o700)
    planted_open_folder(root / "resources")

    with pytest.raises(ImproperlyConfiguredZoho, match="resources"):
        ensure_resource_folder(str(root))


@pytest.mark.django_db
def test_acting_as_refuses_a_planted_folder_and_writes_nothing_there(
    fake_zoho: FakeZoho, resource_setting: Path
) -> None:
    user = connected_alice(fake_zoho)
    planted_open_folder(resource_setting)

    with pytest.raises(ImproperlyConfiguredZoho), acting_as(user):
        lead_names()

    assert list(resource_setting.iterdir()) == []


# -- every use: the whole check once, then whenever the folder is not the same one ----------


def test_a_folder_opened_to_all_after_its_check_is_refused_on_the_next_use(tmp_path: Path) -> None:
    path = Path(private_folder(str(tmp_path / "sdk")))
    path.chmod(0o777)

    with pytest.raises(ImproperlyConfiguredZoho, match="writable by other users"):
        private_folder(str(path))


def test_a_folder_replaced_by_a_symlink_after_its_check_is_refused(tmp_path: Path) -> None:
    path = Path(private_folder(str(tmp_path / "sdk")))
    path.rename(tmp_path / "moved")
    path.symlink_to(tmp_path / "moved")

    with pytest.raises(ImproperlyConfiguredZoho, match="symbolic link"):
        private_folder(str(path))


@needs_root
def test_a_folder_given_to_another_account_after_its_check_is_refused(tmp_path: Path) -> None:
    path = Path(private_folder(str(tmp_path / "sdk")))
    os.chown(path, OTHER_UID, OTHER_UID)

    with pytest.raises(ImproperlyConfiguredZoho, match=f"owned by user id {OTHER_UID}"):
        private_folder(str(path))


@needs_root
def test_a_folder_removed_and_planted_by_another_account_is_refused(tmp_path: Path) -> None:
    # A temporary-files cleaner removed it; another account made its own, same mode.
    path = Path(private_folder(str(tmp_path / "sdk")))
    path.rmdir()
    planted_foreign_folder(path)

    with pytest.raises(ImproperlyConfiguredZoho, match=f"owned by user id {OTHER_UID}"):
        private_folder(str(path))


def test_a_folder_removed_after_its_check_is_created_again_private(tmp_path: Path) -> None:
    path = Path(private_folder(str(tmp_path / "sdk")))
    path.rmdir()

    private_folder(str(path))

    assert mode_of(path) == 0o700


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_folders_above_are_checked_again_in_a_forked_child(tmp_path: Path) -> None:
    # Only root or this user can change the folders above once they passed (which is
    # why each use checks the folder alone); such a change is seen by the next process.
    above = tmp_path / "above"
    above.mkdir(mode=0o755)
    path = str(above / "sdk")
    private_folder(path)
    above.chmod(0o777)  # not sticky: from now on, anyone could replace sdk/

    assert private_folder(path) == path  # this process: the folder itself is unchanged
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's outcome is its exit status)
        try:
            private_folder(path)
        except ImproperlyConfiguredZoho:
            os._exit(3)
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 3


# -- the system check -----------------------------------------------------------------------


@pytest.mark.parametrize("plant", ["open", "symlink", "foreign"])
def test_the_system_check_reports_a_planted_folder(
    resource_setting: Path, tmp_path: Path, plant: str
) -> None:
    if plant == "foreign" and os.geteuid() != 0:
        pytest.skip("giving a folder to another account needs root")
    if plant == "open":
        planted_open_folder(resource_setting)
    elif plant == "symlink":
        planted_symlink(resource_setting, tmp_path)
    else:
        planted_foreign_folder(resource_setting)

    (message,) = e018_messages()
    assert str(resource_setting) in message


def test_the_system_check_is_quiet_for_a_private_or_missing_folder(resource_setting: Path) -> None:
    assert e018_messages() == []
    resource_setting.mkdir(mode=0o700)
    assert e018_messages() == []


# -- the lock file --------------------------------------------------------------------------


def test_a_symlinked_lock_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("")
    (tmp_path / LOCK_FILE_NAME).symlink_to(target)

    with pytest.raises(ImproperlyConfiguredZoho, match="symbolic link"):
        open_private_file(str(tmp_path / LOCK_FILE_NAME))


def test_a_lock_file_writable_by_others_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE_NAME
    lock.write_text("")
    lock.chmod(0o666)

    with pytest.raises(ImproperlyConfiguredZoho, match="writable by other users"):
        open_private_file(str(lock))


@needs_root
def test_a_lock_file_of_another_account_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE_NAME
    lock.write_text("")
    lock.chmod(0o600)
    os.chown(lock, OTHER_UID, OTHER_UID)

    with pytest.raises(ImproperlyConfiguredZoho, match=f"owned by user id {OTHER_UID}"):
        open_private_file(str(lock))


def test_the_lock_file_is_created_private(tmp_path: Path) -> None:
    descriptor = open_private_file(str(tmp_path / LOCK_FILE_NAME))
    os.close(descriptor)

    assert mode_of(tmp_path / LOCK_FILE_NAME) == 0o600


@pytest.mark.django_db
def test_the_metadata_lock_refuses_a_planted_lock_file(
    fake_zoho: FakeZoho, sdk_resource_path: Path
) -> None:
    user = connected_alice(fake_zoho)
    (sdk_resource_path / LOCK_FILE_NAME).symlink_to(sdk_resource_path / "victim")

    with acting_as(user), pytest.raises(ImproperlyConfiguredZoho), MetadataLock():
        pass


# -- the file names -------------------------------------------------------------------------


def email_whose_sdk_name_has_a_slash(api_domain: str, org_id: str) -> str:
    """An address for which the SDK's standard base64 file name would contain ``/``."""
    for n in range(1000):
        email = f"ann{n}?~@example.com"
        if "/" in base64.b64encode(f"{api_domain}{email}:{org_id}".encode()).decode():
            return email
    raise AssertionError("no such address in 1000 tries")


@pytest.mark.django_db
def test_a_user_whose_base64_name_has_a_slash_can_make_sdk_calls(
    fake_zoho: FakeZoho, sdk_resource_path: Path
) -> None:
    first = connect(fake_zoho, make_user("alice"), "alice.zoho@example.com")
    org_id = (first.user_name or "").rpartition(":")[2]
    email = email_whose_sdk_name_has_a_slash(first.api_domain or "", org_id)
    user = make_user("ann")
    connect(fake_zoho, user, email)

    with acting_as(user):
        names = lead_names()

    assert names
    files = [path for path in (sdk_resource_path / "resources").rglob("*") if path.is_file()]
    assert len(files) == 1
    assert files[0].parent == sdk_resource_path / "resources"
    assert email.encode() not in files[0].name.encode()
    assert len(files[0].name) == len("0" * 64 + ".json")
