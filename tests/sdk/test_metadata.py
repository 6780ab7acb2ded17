"""``zoho_tokens.sdk.metadata``: the SDK's field-metadata files, safe across processes.

The SDK caches each user's field metadata in a JSON file under the resource path. Several
workers making one user's first call at once must all get their records: no half-written
file read (``Expecting value: line 1 column 1``), no folder created twice (``File exists``),
no placeholder read as "this module has no fields" (an empty result).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import subprocess
import sys
import threading

import pytest

from tests.multiproc import ChildSetup, run_together
from tests.sdk.metadata_children import LEADS, first_calls_in_rounds
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk.as_user import ensure_initialized
from zoho_tokens.sdk.metadata import (
    LOCK_FILE_NAME,
    MetadataLock,
    ensure_resource_folder,
    hashed_file_name,
    restore_shipped_internals,
    write_atomically,
)
from zoho_tokens.testing import DEFAULT_SCOPES, FakeZoho
from zoho_tokens.testing.crm.handlers import REALISTIC_LEAD_FIELDS, make_wide_leads
from zoho_tokens.tokens.connect import connect_with_code

PROCESSES = 4
#: Rounds of "every process makes the user's first call on an empty folder". Without the
#: fix, about one call in eight fails (16 of 120 in a run of 30 rounds), so 20 rounds (80
#: calls) cannot pass by luck; 30 took about twice as long as the one-minute budget on the
#: busy two-core CI machine, most of it the SDK parsing 300 fields per call.
ROUNDS = 20


@pytest.fixture
def wide_leads(fake_zoho: FakeZoho) -> None:
    """The fake's CRM serves ``LEADS`` leads with realistic (300) fields."""
    fake_zoho.leads = make_wide_leads(LEADS)


def connect(fake_zoho: FakeZoho) -> ZohoToken:
    code = fake_zoho.issue_code(scopes=DEFAULT_SCOPES)
    return connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None).token


# -- tests -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_first_calls_of_one_user_in_four_processes_all_get_their_records(
    fake_zoho, wide_leads, sdk_resource_path, tmp_path
):
    token = connect(fake_zoho)
    barrier = multiprocessing.get_context("spawn").Barrier(PROCESSES)
    call = (
        first_calls_in_rounds,
        (token.pk, REALISTIC_LEAD_FIELDS, str(tmp_path / "rounds"), ROUNDS, barrier),
    )

    outcomes = run_together(ChildSetup.from_parent(), [call] * PROCESSES)

    assert [outcome.error for outcome in outcomes] == [None] * PROCESSES
    problems = [result for outcome in outcomes for result in outcome.value if result != "ok"]
    assert problems == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_first_calls_of_one_user_in_four_processes_fetch_the_fields_once(
    fake_zoho, wide_leads, sdk_resource_path, tmp_path
):
    token = connect(fake_zoho)
    rounds = 3
    barrier = multiprocessing.get_context("spawn").Barrier(PROCESSES)
    call = (
        first_calls_in_rounds,
        (token.pk, REALISTIC_LEAD_FIELDS, str(tmp_path / "r"), rounds, barrier),
    )
    fake_zoho.reset_counts()

    run_together(ChildSetup.from_parent(), [call] * PROCESSES)

    assert fake_zoho.count("/crm/v8/settings/fields") == rounds


# -- the pieces ------------------------------------------------------------------------


def test_the_sdk_internals_we_replace_are_where_we_expect_them():
    # If the SDK moves or renames these, the metadata files are unprotected again: this
    # test fails first. (zoho_tokens/sdk/metadata.py names each with a comment.)
    import inspect

    from zohocrmsdk.src.com.zoho.crm.api.util.constants import Constants
    from zohocrmsdk.src.com.zoho.crm.api.util.module_fields_handler import ModuleFieldsHandler
    from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

    assert Constants.FIELD_DETAILS_DIRECTORY == "resources"
    assert callable(Utility.write_to_file)
    assert hasattr(Utility.lock, "__enter__")
    assert hasattr(ModuleFieldsHandler.lock, "__enter__")
    source = inspect.getsource(Utility.get_fields_info)
    assert "with Utility.lock:" in source
    assert "Utility.write_to_file(" in source
    assert "open(" not in source


@pytest.mark.django_db
def test_initialising_the_sdk_installs_the_process_safe_metadata_files(
    fake_zoho, sdk_resource_path
):
    from zohocrmsdk.src.com.zoho.crm.api.util.module_fields_handler import ModuleFieldsHandler
    from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

    ensure_initialized()

    assert isinstance(Utility.lock, MetadataLock)
    assert ModuleFieldsHandler.lock is Utility.lock
    assert Utility.write_to_file is write_atomically


@pytest.mark.django_db
def test_the_sdk_as_shipped_can_be_put_back_and_acting_as_installs_ours_again(
    fake_zoho, sdk_resource_path
):
    # bench.request_path measures "the SDK alone" as shipped, in the process acting_as ran in.
    from zohocrmsdk.src.com.zoho.crm.api.util.converter import Converter
    from zohocrmsdk.src.com.zoho.crm.api.util.module_fields_handler import ModuleFieldsHandler
    from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

    from zoho_tokens.testing import reset_zoho_sdk

    ensure_initialized()
    restore_shipped_internals()

    assert not isinstance(Utility.lock, MetadataLock)
    assert not isinstance(ModuleFieldsHandler.lock, MetadataLock)
    assert Utility.write_to_file is not write_atomically
    assert Converter.__dict__["get_encoded_file_name"].__func__ is not hashed_file_name

    reset_zoho_sdk()
    ensure_initialized()
    assert isinstance(Utility.lock, MetadataLock)
    assert Utility.write_to_file is write_atomically
    assert Converter.__dict__["get_encoded_file_name"].__func__ is hashed_file_name


@pytest.mark.django_db
def test_initialising_the_sdk_creates_a_private_metadata_folder(fake_zoho, sdk_resource_path):
    ensure_initialized()

    folder = sdk_resource_path / "resources"
    assert folder.is_dir()
    assert folder.stat().st_mode & 0o777 == 0o700


def test_creating_the_metadata_folder_again_is_no_error(tmp_path):
    ensure_resource_folder(str(tmp_path))

    assert ensure_resource_folder(str(tmp_path)) == str(tmp_path / "resources")


def test_an_atomic_write_leaves_the_whole_file_and_nothing_else(tmp_path):
    target = tmp_path / "user.json"
    target.write_text('{"old": true}')

    write_atomically(str(target), {"leads": {"Last_Name": {"type": "String"}}})

    assert json.loads(target.read_text()) == {"leads": {"Last_Name": {"type": "String"}}}
    assert [path.name for path in tmp_path.iterdir()] == ["user.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "user.json"
    target.write_text('{"old": true}')

    with pytest.raises(TypeError):
        write_atomically(str(target), {"unserialisable": object()})

    assert json.loads(target.read_text()) == {"old": True}
    assert [path.name for path in tmp_path.iterdir()] == ["user.json"]


@pytest.mark.django_db
def test_the_metadata_lock_is_held_against_other_processes(fake_zoho, sdk_resource_path):
    from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

    ensure_initialized()
    lock_file = sdk_resource_path / LOCK_FILE_NAME
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n    sys.exit(3)\n"
    )

    with Utility.lock, Utility.lock:  # re-entrant in one thread
        held = subprocess.run([sys.executable, "-c", probe, str(lock_file)], check=False)
    free = subprocess.run([sys.executable, "-c", probe, str(lock_file)], check=False)

    assert (held.returncode, free.returncode) == (3, 0)


# -- the lock file kept open between acquisitions --------------------------------------------

PROBE = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_RDWR)\n"
    "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "except BlockingIOError:\n    sys.exit(3)\n"
)


def held_against_another_process(lock_file) -> bool:
    """Whether another process finds the file ``lock_file`` names locked."""
    probe = subprocess.run([sys.executable, "-c", PROBE, str(lock_file)], check=False)
    return probe.returncode == 3


@pytest.mark.django_db
def test_a_lock_file_removed_while_kept_is_not_the_one_locked(fake_zoho, sdk_resource_path):
    ensure_initialized()
    lock, lock_file = MetadataLock(), sdk_resource_path / LOCK_FILE_NAME
    with lock:
        pass
    lock_file.unlink()  # the open descriptor now names a file no other process can open

    with lock:
        held = held_against_another_process(lock_file)

    assert held


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["symlink", "shared"])
def test_a_lock_file_changed_while_kept_is_refused(fake_zoho, sdk_resource_path, change):
    ensure_initialized()
    lock, lock_file = MetadataLock(), sdk_resource_path / LOCK_FILE_NAME
    with lock:
        pass
    if change == "symlink":
        lock_file.unlink()
        lock_file.symlink_to(sdk_resource_path / "victim")
    else:
        lock_file.chmod(0o666)

    with pytest.raises(ImproperlyConfiguredZoho):
        lock.acquire()


@pytest.mark.django_db
def test_two_locks_of_one_process_exclude_each_other(fake_zoho, sdk_resource_path):
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    ensure_initialized()
    first, second = MetadataLock(), MetadataLock()
    taken = threading.Event()
    initializer = Initializer.get_initializer()

    def take_second() -> None:
        Initializer.LOCAL.init = initializer  # this thread's SDK user, as acting_as sets
        with second:
            taken.set()

    with first:
        thread = threading.Thread(target=take_second)
        thread.start()
        taken_while_held = taken.wait(0.5)
    thread.join(10)

    assert (taken_while_held, taken.is_set()) == (False, True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.django_db
def test_a_forked_child_waits_for_the_lock_its_parent_holds(fake_zoho, sdk_resource_path):
    # The kept descriptor's open file (and its flock) is shared with a forked child: a
    # child locking it would "take" the lock its parent holds.
    ensure_initialized()
    lock = MetadataLock()
    with lock:
        pass  # the lock file is now kept open
    from_parent, to_child = os.pipe()
    from_child, to_parent = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        try:
            os.read(from_parent, 1)  # the parent holds the lock
            with lock:
                os.write(to_parent, b"t")
        finally:
            os._exit(0)
    try:
        with lock:
            os.write(to_child, b"h")
            taken_while_held = bool(select.select([from_child], [], [], 1.0)[0])
        taken_after = bool(select.select([from_child], [], [], 10.0)[0])
    finally:
        os.waitpid(child, 0)
        for descriptor in (to_child, from_parent, from_child, to_parent):
            os.close(descriptor)

    assert (taken_while_held, taken_after) == (False, True)
