"""The SDK's resource folder: private to the user this process runs as, or refused.

The SDK caches each Zoho user's field metadata in a JSON file under ``<resource path>/
resources/``, named after that user. The default resource path is a predictable folder
under the temporary directory, which another local account could create first: open to
all (it could then read the files, which name users, or plant poisoned metadata), or as a
symlink to a folder of its choosing. So the folder is created ``0700``, and a folder (or
lock file) that is a symlink, is not owned by this process's user, or is writable by its
group or by others is refused with :class:`~zoho_tokens.exceptions.ImproperlyConfiguredZoho`
(and reported by the system check ``zoho_tokens.E018``), never used.

It lives in ``conf``, not in the ``sdk`` wing, because the system check runs it, and must
not import the SDK to do so: ``runserver`` runs the checks in a thread while the main thread
may be importing the SDK, and the SDK's circular imports then deadlock.
"""

from __future__ import annotations

import os
import stat
import tempfile

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ImproperlyConfiguredZoho

__all__ = [
    "folder_problem",
    "open_private_file",
    "private_folder",
    "resource_path",
]

#: Permission bits that let someone other than the owner change a folder or file.
SHARED_WRITE = stat.S_IWGRP | stat.S_IWOTH

HINT = (
    "Remove it (or fix its owner and mode: chmod 700) and let the app create it, or set "
    "ZOHO_TOKENS['SDK_RESOURCE_PATH'] to a folder only this user can write to."
)


def _uid() -> int | None:
    # Windows has no user ids: its folders are private to a user by their access lists.
    return os.geteuid() if hasattr(os, "geteuid") else None


def resource_path() -> str:
    """The SDK's resource path: ``SDK_RESOURCE_PATH``, else ``zoho-tokens-sdk-<uid>`` under
    the temporary directory (one per user id, so that two accounts never share one)."""
    return zoho_settings.SDK_RESOURCE_PATH or os.path.join(
        tempfile.gettempdir(), f"zoho-tokens-sdk-{_uid() or 0}"
    )


def _problem(status: os.stat_result, kind: str) -> str | None:
    """What makes an ``lstat`` result unsafe to use as a private ``kind``, or None."""
    uid = _uid()
    if stat.S_ISLNK(status.st_mode):
        return f"is a symbolic link (a private {kind} must be the {kind} itself)"
    if uid is not None and status.st_uid != uid:
        return f"is owned by user id {status.st_uid}, not by this process's user id {uid}"
    if uid is not None and status.st_mode & SHARED_WRITE:
        return f"is writable by other users (mode {stat.S_IMODE(status.st_mode):04o})"
    return None


def folder_problem(path: str) -> str | None:
    """Why the existing folder ``path`` must not be used, or None when it is private (or
    does not exist yet: it will be created so)."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    problem = _problem(status, "folder")
    if problem is None and not stat.S_ISDIR(status.st_mode):
        problem = "is not a folder"
    return problem


def private_folder(path: str) -> str:
    """Create the folder ``path`` (mode ``0700``, with its parents) if missing, and return
    it; raises :class:`ImproperlyConfiguredZoho` when it is not private (see the module)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    problem = folder_problem(path)
    if problem is not None:
        raise ImproperlyConfiguredZoho(
            f"The Zoho SDK's folder {path!r} {problem}, so another account could read or "
            f"change the SDK's files in it; it is not used. {HINT}"
        )
    return path


def open_private_file(path: str) -> int:
    """Open (creating, mode ``0600``) the file ``path`` for reading and writing, never
    through a symlink; its descriptor. Raises :class:`ImproperlyConfiguredZoho` when it is
    not a regular file private to this process's user."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as err:
        if os.path.islink(path):
            raise ImproperlyConfiguredZoho(
                f"The Zoho SDK's file {path!r} is a symbolic link; it is not used. {HINT}"
            ) from err
        raise
    status = os.fstat(descriptor)
    problem = _problem(status, "file")
    if problem is None and not stat.S_ISREG(status.st_mode):
        problem = "is not a regular file"
    if problem is not None:
        os.close(descriptor)
        raise ImproperlyConfiguredZoho(
            f"The Zoho SDK's file {path!r} {problem}; it is not used. {HINT}"
        )
    return descriptor
