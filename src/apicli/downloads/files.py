"""Where a download's bytes go: a locked `.part` file beside the target, or a stream.

Bytes are written to `NAME.part`; a small `NAME.part.meta` JSON beside it remembers
what `--continue` needs (which URL, the validator for If-Range, the total size).
Only `publish` gives the data its final name, after every check has passed: `-o FILE`
is replaced atomically, and a name the server or URL picked is linked into place
without ever overwriting an existing file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError
from ..formats import jsontext
from ..inputs.local_input import NotReadable, iter_chunks, open_local
from ..limits import PART_META, TooLarge, read_bounded, size_text
from ..output import StdoutSink
from .filenames import unique_path

PART_SUFFIX = ".part"
META_SUFFIX = ".meta"
_HASH_BLOCK = 1024 * 1024
_MAX_PART_CANDIDATES = 100


def url_key(url: str) -> str:
    """What the meta file stores to recognise a URL: a digest, so no secret in it reaches the disk."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PartMeta:
    url_key: str
    name: str | None = None
    validator: str | None = None
    total: int | None = None
    encoded: bool = False

    @classmethod
    def load(cls, path: Path) -> PartMeta | None:
        """The meta saved at `path`; None when there is none, DamagedMeta when it cannot be used.

        It is read like any local input: a regular file only, within PART_META, parsed without
        recursion, so a damaged or planted file (a FIFO, /dev/zero, deep JSON) is only a lost hint.
        """
        try:
            opened = open_local(path, regular_only=True)
        except NotReadable as exc:
            if not os.path.lexists(path):
                return None
            raise DamagedMeta(path, exc.reason) from None
        try:
            with opened.stream as stream:
                if opened.size is not None and opened.size > PART_META.bytes:
                    raise DamagedMeta(path, f"it is larger than {size_text(PART_META.bytes)}")
                data = jsontext.loads(read_bounded(iter_chunks(stream), PART_META, error=TooLarge))
        except TooLarge as exc:
            raise DamagedMeta(path, f"it is larger than {size_text(exc.limit)}") from None
        except OSError as exc:
            raise DamagedMeta(path, exc.strerror or str(exc)) from None
        except ValueError:
            raise DamagedMeta(path, "it is not the JSON apicli writes") from None
        if not isinstance(data, dict) or not isinstance(data.get("url_key"), str):
            raise DamagedMeta(path, "it is not the JSON apicli writes")
        total = data.get("total")
        return cls(
            url_key=data["url_key"],
            name=_str_or_none(data.get("name")),
            validator=_str_or_none(data.get("validator")),
            total=total if isinstance(total, int) and total >= 0 else None,
            encoded=data.get("encoded") is True,
        )

    @classmethod
    def load_hint(cls, path: Path) -> PartMeta | None:
        """Like `load`, with a damaged meta taken as none."""
        try:
            return cls.load(path)
        except DamagedMeta:
            return None


class DamagedMeta(Exception):
    """A .part.meta that exists but cannot be used: the part it describes cannot be trusted for a resume."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write to {str(path)!r}: {exc.strerror or exc}")


class Sink:
    """Receives a download's bytes; `size` is how many it holds."""

    size: int = 0
    label: str = ""

    def write(self, data: memoryview) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        """Drop what was written, to start again from zero."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the sink; anything not published stays where it is (a .part stays for --continue)."""


class StreamSink(Sink):
    """stdout (`-o -`) or a device such as /dev/null: written directly, cannot be rewound."""

    def __init__(self, stream: IO[bytes], label: str, *, owned: bool = False, target: str | None = None) -> None:
        self.stream = stream
        self.label = label
        self.owned = owned
        # How errors name it: the quoted path of a device, or "standard output".
        self.target = target if target is not None else repr(label)
        self.sink = StdoutSink(stream, self.target)
        self.size = 0

    def write(self, data: memoryview) -> None:
        # StdoutSink turns a closed pipe into a quiet end and other failures into OutputError.
        self.sink.write(data)
        self.sink.flush()
        self.size += len(data)

    def restart(self) -> None:
        if self.size:
            raise OutputError(
                f"cannot start {self.label} again from zero: {self.size} bytes were already written",
                hint="save to a file with -o FILE to make restarts possible",
            )

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.owned:
                self.stream.close()
            else:
                self.stream.flush()


class PartFile(Sink):
    """An open, exclusively locked `.part` file, appended to with plain os.write calls."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.label = path.name.removesuffix(PART_SUFFIX)
        self.size = os.lseek(fd, 0, os.SEEK_END)

    @property
    def meta_path(self) -> Path:
        return self.path.with_name(self.path.name + META_SUFFIX)

    @classmethod
    def open(cls, path: Path, *, keep: bool) -> PartFile | None:
        """Open and lock `path`; None when another download holds it. `keep=False` empties it."""
        try:
            # O_NOFOLLOW: a symlink planted at NAME.part must not redirect the write elsewhere.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        try:
            # flock is per open file, so this also keeps two threads of one run apart.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise _cannot_write(path, exc) from None
        part = cls(path, fd)
        if not keep:
            part.restart()
        return part

    def write(self, data: memoryview) -> None:
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
                self.size += written
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None

    def write_from_pipe(self, pipe: int, count: int) -> None:
        """Move `count` bytes waiting in `pipe` to the end of the file (the splice path)."""
        try:
            while count:
                moved = os.splice(pipe, self.fd, count)
                if not moved:
                    raise OSError(errno.EIO, "the pipe ran dry")
                count -= moved
                self.size += moved
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None

    def restart(self) -> None:
        try:
            # Truncating an already empty file is not free: ext4 then flushes the data written
            # next when the file is closed (its replace-via-truncate heuristic), ~0.1 s per 512 MiB.
            if os.lseek(self.fd, 0, os.SEEK_END):
                os.ftruncate(self.fd, 0)
            os.lseek(self.fd, 0, os.SEEK_SET)
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        self.size = 0

    def feed(self, hashers: list[Any]) -> None:
        """Hash what the part already holds, so a resumed download is checked whole."""
        if not hashers:
            return
        try:
            with self.path.open("rb") as existing:
                while block := existing.read(_HASH_BLOCK):
                    for hasher in hashers:
                        hasher.update(block)
        except OSError as exc:
            raise OutputError(f"cannot read {str(self.path)!r} to resume it: {exc.strerror or exc}") from None

    def save_meta(self, meta: PartMeta) -> None:
        # Without it --continue still works, only with fewer safety checks. Written beside and
        # renamed over, so whatever stood at the name (a FIFO, a link to a device) is replaced, not opened.
        fresh = self.meta_path.with_name(f"{self.meta_path.name}.{os.getpid()}.tmp")
        try:
            fresh.write_text(json.dumps(asdict(meta)), encoding="utf-8")
            os.replace(fresh, self.meta_path)
        except OSError:
            with contextlib.suppress(OSError):
                fresh.unlink()

    def load_meta(self) -> PartMeta | None:
        return PartMeta.load(self.meta_path)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def publish(self, final: Path) -> Path:
        """Rename onto `final`, replacing it: for a name the user chose with -o."""
        try:
            os.replace(self.path, final)
        except OSError as exc:
            raise _cannot_write(final, exc) from None
        self._forget_meta()
        return final

    def publish_unique(self, directory: Path, name: str) -> Path:
        """Give the data `name` in `directory`, or `name (1).ext`... if taken: never overwrites.

        A hard link fails when the name exists, so a file created meanwhile by someone else is
        never clobbered; where links are not supported, an exclusive create reserves the name.
        """
        for _ in range(_MAX_PART_CANDIDATES * 10):
            final = unique_path(directory, name)
            try:
                os.link(self.path, final)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
                    raise _cannot_write(final, exc) from None
                if not self._reserve(final):
                    continue
                return self.publish(final)
            with contextlib.suppress(OSError):
                self.path.unlink()
            self._forget_meta()
            return final
        raise OutputError(f"cannot find a free name for {name!r} in {str(directory)!r}")

    def _reserve(self, final: Path) -> bool:
        try:
            os.close(os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
        except FileExistsError:
            return False
        except OSError as exc:
            raise _cannot_write(final, exc) from None
        return True

    def _forget_meta(self) -> None:
        with contextlib.suppress(OSError):
            self.meta_path.unlink()


def part_path(final: Path) -> Path:
    return final.with_name(final.name + PART_SUFFIX)


def open_output_part(output: Path, *, resume: bool, adopt: bool = False) -> PartFile:
    """The locked part beside `-o FILE`; with `adopt`, FILE itself becomes the part to extend."""
    path = part_path(output)
    if adopt and not path_exists(path) and is_file(output):
        try:
            os.replace(output, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    part = PartFile.open(path, keep=resume)
    if part is None:
        raise OutputError(f"{str(path)!r} is being written by another download")
    return part


def open_directory_part(directory: Path, name: str) -> PartFile:
    """A fresh locked part for `name` in `directory`; `name.N.part` when another download holds `name.part`."""
    for number in range(_MAX_PART_CANDIDATES):
        candidate = directory / (name if number == 0 else f"{name}.{number}")
        part = PartFile.open(part_path(candidate), keep=False)
        if part is not None:
            return part
    raise OutputError(f"too many downloads of {name!r} in {str(directory)!r} at once")


def find_directory_part(directory: Path, url: str, name: str) -> PartFile | None:
    """The part a previous run left for `url` in `directory`, locked for this run; None if there is none.

    A part whose meta names this URL wins; else `name.part`, unless its meta says it is another URL's.
    """
    key = url_key(url)
    candidates: list[Path] = []
    with contextlib.suppress(OSError):
        for meta_file in directory.glob(f"*{PART_SUFFIX}{META_SUFFIX}"):
            meta = PartMeta.load_hint(meta_file)
            if meta is not None and meta.url_key == key:
                candidates.append(meta_file.with_name(meta_file.name.removesuffix(META_SUFFIX)))
    default = part_path(directory / name)
    default_meta = PartMeta.load_hint(default.with_name(default.name + META_SUFFIX))
    if default_meta is None or default_meta.url_key == key:
        candidates.append(default)
    for candidate in candidates:
        if is_file(candidate):
            part = PartFile.open(candidate, keep=True)
            if part is not None:
                return part
    return None


def is_file(path: Path) -> bool:
    """Like Path.is_file, but a path that cannot even be looked at (EACCES) is no file: opening it fails clearly."""
    try:
        return path.is_file()
    except OSError:
        return False


def is_directory(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def path_exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def make_directory(directory: Path) -> None:
    """Create the -d directory (and its parents); done before any request, so a bad DIR sends nothing."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create directory {str(directory)!r}: {exc.strerror or exc}") from None


def is_regular_target(path: Path) -> bool:
    """False for devices and pipes (/dev/null, /dev/stdout), which are written directly."""
    try:
        return not path.exists() or path.is_file()
    except OSError:
        return True
