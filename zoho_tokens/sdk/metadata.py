"""The Zoho SDK's field-metadata files, made safe across worker processes.

Before it can read a module's records, the SDK fetches the module's fields
(``/settings/fields``) once per Zoho user and caches them in a JSON file per user under
``<resource path>/resources/``. It rewrites that file in place (truncate, then write) and
guards the read-modify-write with a lock that only covers the threads of one process. With
several worker processes, one process can read another's half-written file (``Expecting
value: line 1 column 1``: the call fails or returns nothing) or its placeholder, and two can
create the folder at once (``File exists``).

:func:`install` fixes that by replacing three SDK internals, each named below:

- ``Utility.write_to_file`` writes through a temporary file in the same folder and
  ``os.replace``: a reader sees the old file or the new one, never a part of one.
- ``Utility.lock`` (and ``ModuleFieldsHandler.lock``) become a lock that is also held
  across processes: an ``flock`` on ``<resource path>/resources.lock``, beside the
  folder. Every read-modify-write of the metadata files happens under it, so the first
  call of a user fetches the fields once and the other processes wait for the finished
  file. Where ``fcntl`` does not exist (Windows) it is the SDK's thread lock alone.
- The folder is created, race-free, before any call (:func:`ensure_resource_folder`),
  private to this process's user or refused (:mod:`zoho_tokens.conf.sdk_folder`); so is the lock.
- ``Converter.get_encoded_file_name`` names a user's file in standard base64 of the API
  domain and the user name: a ``/`` in it (``ada?@example.com`` has one) makes a path into
  a folder that does not exist, and every SDK call of that user fails; a long address
  exceeds the file system's name limit. :func:`hashed_file_name` names it by the SHA-256
  of the SDK's name instead: always one file, inside the folder, of a fixed length (and
  no email address readable in the folder's listing).

Left as the SDK has it: ``ModuleFieldsHandler.delete_fields`` (called only by the SDK's
explicit "refresh fields" helpers, which this app never calls) still rewrites the file in
place, now under the shared lock.

The cost: the SDK already runs every call's metadata check one thread at a time in a
process; with this lock, one at a time across the processes sharing the resource path
(a few hundred microseconds per call once the file exists).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
import weakref
from types import TracebackType
from typing import Any

from zoho_tokens.conf.sdk_folder import names_private_file, open_private_file, private_folder
from zoho_tokens.sdk.border import Constants, Converter, Initializer, ModuleFieldsHandler, Utility

if sys.platform != "win32":
    import fcntl

__all__ = [
    "LOCK_FILE_NAME",
    "MetadataLock",
    "ensure_resource_folder",
    "hashed_file_name",
    "install",
    "restore_shipped_internals",
    "write_atomically",
]

#: The lock file, beside the SDK's ``resources`` folder in the resource path.
LOCK_FILE_NAME = "resources.lock"


def _current_resource_path() -> str | None:
    # SDK internal: the resource path of the calling thread's initializer.
    initializer = Initializer.get_initializer()
    return getattr(initializer, "resource_path", None)


def ensure_resource_folder(resource_path: str) -> str:
    """Create ``<resource_path>/resources`` (private to this user) if missing; return it.

    The SDK checks ``os.path.exists`` and then calls ``os.makedirs`` without
    ``exist_ok``: two processes doing that at once make one fail with ``File exists``.
    Raises :class:`~zoho_tokens.exceptions.ImproperlyConfiguredZoho` when either folder is
    not private (:func:`zoho_tokens.conf.sdk_folder.private_folder`).
    """
    private_folder(resource_path)
    # SDK internal: Constants.FIELD_DETAILS_DIRECTORY names the folder of metadata files.
    return private_folder(os.path.join(resource_path, Constants.FIELD_DETAILS_DIRECTORY))


_ORIGINAL_FILE_NAME = Converter.get_encoded_file_name


def hashed_file_name(cls: type | None = None) -> str:
    """The metadata file of the calling thread's SDK user: the SHA-256 of the name the SDK
    would give it (replaces ``Converter.get_encoded_file_name``; see the module)."""
    return hashlib.sha256(_ORIGINAL_FILE_NAME().encode()).hexdigest() + ".json"


def write_atomically(file_path: str, file_contents: Any) -> None:
    """Write ``file_contents`` as JSON to ``file_path`` in one step (temp file + rename).

    Replaces the SDK's ``Utility.write_to_file``, which truncates the file and then writes
    it, so a reader in another process could see an empty or half-written file.
    """
    folder = os.path.dirname(file_path) or "."
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(file_contents, file)
        os.replace(temporary, file_path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


class MetadataLock:
    """A re-entrant lock held across the threads of this process and, with ``flock``,
    across the processes sharing the SDK's resource path.

    Used as ``with lock:`` (all the SDK does with ``Utility.lock``). The outermost
    acquisition of a thread takes the thread lock, then an exclusive ``flock`` on
    ``<resource path>/resources.lock`` of the calling thread's SDK initializer.

    The lock file stays open between acquisitions (an ``flock`` and its release, instead
    of an open, a check and a close each time). Each acquisition checks that the path
    still names that file, private (:func:`~zoho_tokens.conf.sdk_folder.names_private_file`),
    and opens the path again when it does not (the file removed or replaced, or another
    resource path). An ``flock`` belongs to the open file, which a forked child shares
    with its parent: the child never unlocks the inherited descriptor, it closes it and
    opens the file anew. Each instance keeps its own open file, so that two instances
    exclude each other, as two processes do.
    """

    def __init__(self) -> None:
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._held: int | None = None  # the locked file descriptor, while held
        #: (lock file path, descriptor) kept open between acquisitions, in this process.
        self._kept: tuple[str, int] | None = None
        _instances.add(self)

    def acquire(self) -> bool:
        """Take the lock (blocking)."""
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._held = self._lock_file()
            except BaseException:
                self._depth -= 1
                self._thread_lock.release()
                raise
        return True

    def release(self) -> None:
        """Give the lock back; the file lock goes with the outermost release."""
        try:
            self._depth -= 1
            if self._depth == 0 and self._held is not None:
                held, self._held = self._held, None
                self._unlock(held)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def _lock_file(self) -> int | None:
        resource_path = _current_resource_path()
        if sys.platform == "win32" or not resource_path:
            return None  # Windows has no flock: the SDK's thread lock alone
        private_folder(resource_path)
        path = os.path.join(resource_path, LOCK_FILE_NAME)
        while True:
            descriptor = self._descriptor(path)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                if names_private_file(path, descriptor):
                    return descriptor
                # Removed or replaced while kept (or while this waited for the lock): the
                # other processes lock the file the path names now. Never the old one.
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            except BaseException:
                self._forget(close=True)
                raise
            self._forget(close=True)

    def _descriptor(self, path: str) -> int:
        """The kept descriptor of the lock file ``path``, opened (and checked) if need be."""
        kept = self._kept
        if kept is not None and kept[0] == path:
            return kept[1]
        self._forget(close=True)
        descriptor = open_private_file(path)
        self._kept = (path, descriptor)
        return descriptor

    def _unlock(self, held: int) -> None:
        kept = self._kept
        if kept is None or kept[1] != held:
            # Not this process's own (inherited through a fork while held): closing its
            # copy leaves the parent's lock alone; unlocking would release it.
            os.close(held)
            return
        try:
            fcntl.flock(held, fcntl.LOCK_UN)
        except BaseException:
            self._forget(close=True)  # closing releases it too
            raise

    def _forget(self, *, close: bool) -> None:
        kept, self._kept = self._kept, None
        if kept is not None and close:
            os.close(kept[1])

    def _after_fork_in_child(self) -> None:
        # The kept descriptor shares its open file (and its flock) with the parent's.
        kept, self._kept = self._kept, None
        if kept is not None and kept[1] != self._held:
            os.close(kept[1])  # held: closed by the release, without unlocking

    def __del__(self) -> None:
        kept = getattr(self, "_kept", None)
        if kept is not None:
            with contextlib.suppress(OSError):
                os.close(kept[1])


_instances: weakref.WeakSet[MetadataLock] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for lock in list(_instances):
        lock._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_installed = threading.Lock()
_lock = MetadataLock()


#: The SDK internals :func:`install` replaces, as the SDK shipped them (read before any
#: install: this module is the one that installs).
_SHIPPED = {
    (Utility, "lock"): Utility.__dict__["lock"],
    (ModuleFieldsHandler, "lock"): ModuleFieldsHandler.__dict__["lock"],
    (Utility, "write_to_file"): Utility.__dict__["write_to_file"],
    (Converter, "get_encoded_file_name"): Converter.__dict__["get_encoded_file_name"],
}


def restore_shipped_internals() -> None:
    """Put back the SDK internals :func:`install` replaced, as the SDK shipped them: for
    measuring the SDK alone (``bench.request_path``), never while ``acting_as`` runs. The
    next initialisation by ``acting_as`` installs this module's again."""
    with _installed:
        for (owner, name), shipped in _SHIPPED.items():
            setattr(owner, name, shipped)


def install(resource_path: str) -> None:
    """Make the SDK's metadata files safe across processes (idempotent).

    Call it once the SDK is initialised with ``resource_path``; it creates the folder and
    replaces the SDK internals named in this module's docstring.
    """
    ensure_resource_folder(resource_path)
    with _installed:
        # SDK internal: every metadata read-modify-write runs under `with Utility.lock:`.
        if Utility.lock is not _lock:
            Utility.lock = _lock
        # SDK internal: its field refresh helpers use a lock of their own around the files.
        if ModuleFieldsHandler.lock is not _lock:
            ModuleFieldsHandler.lock = _lock
        # SDK internal: the one function through which Utility writes the metadata files.
        if Utility.write_to_file is not write_atomically:
            Utility.write_to_file = staticmethod(write_atomically)
        # SDK internal: every metadata file's name comes from this class method.
        if Converter.__dict__["get_encoded_file_name"].__func__ is not hashed_file_name:
            Converter.get_encoded_file_name = classmethod(hashed_file_name)
