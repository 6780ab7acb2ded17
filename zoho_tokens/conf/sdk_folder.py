"""The SDK's resource folder: private to the user this process runs as, or refused.

The SDK caches each Zoho user's field metadata in a JSON file under ``<resource path>/
resources/``, named after that user. The default resource path is a predictable folder
under the temporary directory, which another local account could create first: open to
all (it could then read the files, which name users, or plant poisoned metadata), or as a
symlink to a folder of its choosing. So the folder is created ``0700``, and a folder (or
lock file) that is a symlink, is not owned by this process's user, or is writable by its
group or by others is refused with :class:`~zoho_tokens.exceptions.ImproperlyConfiguredZoho`
(and reported by the system check ``zoho_tokens.E018``), never used.

Every use checks the folder; the whole check (the folders above it included) runs the
first time a process uses the path, in a forked child again, and whenever the folder is no
longer the one found private (another device, inode, owner or mode): each other use costs
one ``lstat``. That is enough because, once the whole check has passed, only root or this
user may change the folder or any folder above it (see :func:`_ancestor_problem`): what
another account can do (remove it from a sticky ``/tmp`` after root's cleaner did, plant
its own, a symlink) changes what the path names, and the next use runs the whole check.

It lives in ``conf``, not in the ``sdk`` wing, because the system check runs it, and must
not import the SDK to do so: ``runserver`` runs the checks in a thread while the main thread
may be importing the SDK, and the SDK's circular imports then deadlock.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ImproperlyConfiguredZoho

__all__ = [
    "folder_problem",
    "names_private_file",
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


#: path -> (user id, device, inode, owner, mode) of the folder the whole check last found
#: private there, in this process (the user id too: a process may change its own).
_checked: dict[str, tuple[int | None, int, int, int, int]] = {}
_checked_lock = threading.Lock()
MAX_CHECKED = 64


def _forget_checks() -> None:
    """Run the whole check again on the next use of every path (a forked child, tests)."""
    with _checked_lock:
        _checked.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_checks)


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


def _ancestor_problem(path: str) -> str | None:
    """Why a folder above ``path`` lets another account replace ``path``, or None.

    Whoever may write in a folder may rename what is in it and put their own in its place,
    after every check of ``path`` itself. So every folder above it (as the system reaches
    it, through symlinks) must belong to root or to this user, and be writable by no one
    else unless it is sticky (``/tmp``: others may not rename what is not theirs). A
    symlink on the way must belong to root or to this user too.
    """
    uid = _uid()
    if uid is None:
        return None
    trusted = {0, uid}
    absolute = os.path.abspath(path)
    parents = [os.path.dirname(absolute)]
    while os.path.dirname(parents[-1]) != parents[-1]:
        parents.append(os.path.dirname(parents[-1]))
    real = os.path.realpath(parents[0])
    for parent in parents:
        if os.path.islink(parent) and os.lstat(parent).st_uid not in trusted:
            return f"is reached through the symbolic link {parent!r} of user id {os.lstat(parent).st_uid}"
    while True:
        try:
            status = os.stat(real)
        except FileNotFoundError:
            status = None
        if status is not None:
            if status.st_uid not in trusted:
                return f"is inside {real!r}, owned by user id {status.st_uid}"
            if status.st_mode & SHARED_WRITE and not status.st_mode & stat.S_ISVTX:
                return f"is inside {real!r}, which other users may write to (and so replace it)"
        if os.path.dirname(real) == real:
            return None
        real = os.path.dirname(real)


def folder_problem(path: str) -> str | None:
    """Why the folder ``path`` must not be used, or None when it is private (or does not
    exist yet: it will be created so) and no other account may replace it (see
    :func:`_ancestor_problem`)."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return _ancestor_problem(path)
    problem = _problem(status, "folder")
    if problem is None and not stat.S_ISDIR(status.st_mode):
        problem = "is not a folder"
    return problem or _ancestor_problem(path)


def _tighten(path: str) -> None:
    """Take the group's and others' read and search rights off the folder ``path`` (one of
    this user's, checked: an older version, or a umask, left it ``0755``; its file names
    name Zoho users). Opened without following a symlink, changed through that handle."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        if _problem(status, "folder") is None and stat.S_IMODE(status.st_mode) & 0o077:
            os.fchmod(descriptor, stat.S_IMODE(status.st_mode) & 0o700)
    finally:
        os.close(descriptor)


def _identity(status: os.stat_result) -> tuple[int | None, int, int, int, int]:
    return (_uid(), status.st_dev, status.st_ino, status.st_uid, status.st_mode)


def _still_checked(path: str) -> bool:
    """Whether ``path`` names the very folder the whole check last found private there, in
    the same state (one ``lstat``)."""
    known = _checked.get(path)
    if known is None:
        return False
    try:
        return _identity(os.lstat(path)) == known
    except OSError:
        return False


def private_folder(path: str) -> str:
    """Create the folder ``path`` (mode ``0700``, with its parents) if missing, and return
    it; raises :class:`ImproperlyConfiguredZoho` when it is not private (see the module:
    the whole check runs again whenever the folder is not the one last found private)."""
    if _still_checked(path):
        return path
    os.makedirs(path, mode=0o700, exist_ok=True)
    problem = folder_problem(path)
    if problem is not None:
        raise ImproperlyConfiguredZoho(
            f"The Zoho SDK's folder {path!r} {problem}, so another account could read or "
            f"change the SDK's files in it; it is not used. {HINT}"
        )
    if _uid() is not None:
        _tighten(path)
    with _checked_lock:
        # lstat, not the handle _tighten used: what the next use will compare is the path.
        status = os.lstat(path)
        if _problem(status, "folder") is None and stat.S_ISDIR(status.st_mode):
            if len(_checked) >= MAX_CHECKED:
                _checked.clear()  # a process uses one or two paths; a test suite, many
            _checked[path] = _identity(status)
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


def names_private_file(path: str, descriptor: int) -> bool:
    """Whether ``path`` still names the file open as ``descriptor`` (not a symlink, and
    not another file put in its place), and that file is still a regular file private to
    this process's user: the check :func:`open_private_file` makes, for a descriptor kept
    open between uses. Two ``stat`` calls."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    opened = os.fstat(descriptor)
    return (
        (status.st_dev, status.st_ino) == (opened.st_dev, opened.st_ino)
        and stat.S_ISREG(status.st_mode)
        and _problem(status, "file") is None
    )
