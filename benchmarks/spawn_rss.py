"""Run one command and write its peak RSS (KiB) and wall time (s) to a file.

With --tree, the peak is the command's whole process tree (apicli and its jq child together):
the largest sum of the processes' PSS, sampled every 100 ms (PSS counts a page two processes
share half to each, so a forked child's inherited pages are not counted twice), or ru_maxrss
when that is larger. A sample can miss a peak shorter than its interval.

Used by the harness when GNU time is not installed. Measured commands cannot be spawned
by the harness directly: a child's ru_maxrss starts from the peak RSS of the process that
forked it (the kernel carries the old memory map's high-water mark through fork and
exec), so every command would report at least the harness's own peak. This process is
small, so the floor it leaves is small too (about 8 MB, against GNU time's 1 MB).

    python -I -S spawn_rss.py [--tree] RESULT_FILE COMMAND [ARG ...]
"""

import os
import sys
import time

SAMPLE_EVERY = 0.1


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc's children lists."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except OSError:
            pass  # it has just exited
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    tree = sys.argv[1] == "--tree"
    result_file, argv = sys.argv[1 + tree], sys.argv[2 + tree :]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(2, f"spawn_rss: {argv[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    tree_peak = 0
    while True:
        waited, status, usage = os.wait4(pid, os.WNOHANG if tree else 0)
        if waited:
            break
        tree_peak = max(tree_peak, sum(_pss_kb(member) for member in _tree(pid)))
        time.sleep(SAMPLE_EVERY)
    elapsed = time.perf_counter() - start
    with open(result_file, "w") as out:
        out.write(f"{max(usage.ru_maxrss, tree_peak)} {elapsed:.6f}\n")
    code = os.waitstatus_to_exitcode(status)
    # Same convention as the shell and GNU time: death by signal N exits with 128 + N.
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
