"""THE one place for file modes, owner-only folders and atomic writes.

The day cache, the archive, the CLI's ``-o`` and the demo write through here. Rows may
hold user info, so what the library creates for itself is owner-only: folders ``0700``,
files ``0600``. A folder the library would create or write into is never a symbolic link:
following one would write the rows (and ``chmod``) wherever the link points.

Examples
--------
>>> import tempfile, stat
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     target = Path(tmp) / "store" / "day.txt"
...     with atomic_write(target) as part:
...         _ = part.write_text("whole")
...     modes = oct(stat.S_IMODE(target.parent.stat().st_mode)), oct(stat.S_IMODE(target.stat().st_mode))
...     text = target.read_text()
>>> modes, text
(('0o700', '0o600'), 'whole')
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from digitalcx_frames.errors import ConfigurationError

__all__ = ["DIR_MODE", "FILE_MODE", "atomic_write", "open_private", "private_dir", "refuse_symlink"]

DIR_MODE: Final = 0o700
"""Mode of every folder the library creates for its stores."""
FILE_MODE: Final = 0o600
"""Mode of every file the library writes."""


def refuse_symlink(path: Path) -> None:
    """Raise :class:`~digitalcx_frames.ConfigurationError` if ``path`` is a symbolic link.

    >>> refuse_symlink(Path("/nonexistent/anything"))  # a missing path is fine
    """
    if path.is_symlink():
        raise ConfigurationError(
            f"{path} is a symbolic link; digitalcx_frames does not follow links inside its stores. "
            "Remove the link (or point the store at the real folder)"
        )


def private_dir(path: Path) -> Path:
    """Make ``path`` an owner-only folder, creating it and its missing parents (each ``0700``).

    Folders that already existed above ``path`` are left as they are; ``path`` itself is
    made ``0700``. A symbolic link at ``path`` or at any folder created here is refused.

    Raises
    ------
    ConfigurationError
        When ``path`` is a symbolic link.
    OSError
        When the folder cannot be created (a file in the way, no permission).
    """
    refuse_symlink(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and not probe.is_symlink():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):  # every folder created here is owner-only, not just the last
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        refuse_symlink(folder)
        folder.chmod(DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    refuse_symlink(path)
    path.chmod(DIR_MODE)
    return path


@contextlib.contextmanager
def atomic_write(target: Path, *, private_folder: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place only if the block succeeds.

    A failure (or Ctrl-C) inside the block leaves no partial file under any name a reader
    looks at: temporary names start with ``.`` and end with ``.tmp``, and are removed. The
    file is readable by its owner only (rows may hold user info). A symbolic link at
    ``target`` is replaced by the file, never followed.

    Parameters
    ----------
    target
        The file to write.
    private_folder
        Create the folder (owner-only, see :func:`private_dir`) if needed. ``False``
        leaves the folder as it is, for files written where the user asked (the CLI's
        ``-o``, the demo).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "x.txt"
    ...     try:
    ...         with atomic_write(target) as part:
    ...             _ = part.write_text("half")
    ...             raise RuntimeError("disk full")
    ...     except RuntimeError:
    ...         pass
    ...     left = sorted(p.name for p in Path(tmp).iterdir())
    >>> left
    []
    """
    if private_folder:
        private_dir(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(FILE_MODE)
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def open_private(path: Path) -> int:
    """Open (creating ``0600``) a file for reading and writing without following a link; returns the fd.

    Raises
    ------
    ConfigurationError
        When ``path`` is a symbolic link.
    """
    refuse_symlink(path)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, FILE_MODE)
    except OSError:
        refuse_symlink(path)  # a link made between the check and the open (ELOOP)
        raise
