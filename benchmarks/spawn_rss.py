"""Run one command and write its peak RSS (KiB) and wall time (s) to a file.

Used by the harness when GNU time is not installed. Measured commands cannot be spawned
by the harness directly: a child's ru_maxrss starts from the peak RSS of the process that
forked it (the kernel carries the old memory map's high-water mark through fork and
exec), so every command would report at least the harness's own peak. This process is
small, so the floor it leaves is small too (about 8 MB, against GNU time's 1 MB).

    python -I -S spawn_rss.py RESULT_FILE COMMAND [ARG ...]
"""

import os
import sys
import time


def main() -> int:
    result_file, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(2, f"spawn_rss: {argv[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    with open(result_file, "w") as out:
        out.write(f"{usage.ru_maxrss} {elapsed:.6f}\n")
    code = os.waitstatus_to_exitcode(status)
    # Same convention as the shell and GNU time: death by signal N exits with 128 + N.
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
