"""`apicli batch`: throughput, memory and pacing against a loopback server, beside its anchors.

The server (a child process: it never shares a GIL with what is measured) answers every GET with
the same 1 KB JSON document, keep-alive, and records when each request arrived. nginx is used
when installed (`--nginx`); otherwise this loopback server is the one the other benchmarks use
(servers.LoopbackServer), which is what the figures below then measure against.

Rows (issue 25's goals):

1. N requests (default 10,000) with --parallel 8: apicli batch; a bare requests loop on 8 threads
   with one session (the floor of the stack: goal apicli <= 1.15x); `xargs -P8 -n1 curl -s`
   (goal: apicli faster); `curl --parallel --parallel-max 8` reported beside. Peak RSS of apicli
   (goal <= 60 MB).
2. 1,000 requests: apicli batch -P8 against `xargs -P8 -n1 apicli get` (goal <= 0.1x).
3. 100,000 input lines: apicli's peak RSS (goal <= 60 MB).
4. 500 lines at --rate 50/s: wall time (goal 10 s +- 0.3) and the most requests the server saw in
   any sliding 1 s window (goal <= 51).

    .venv/bin/python benchmarks/batch_bench.py [--requests 10000] [--lines 100000] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCUMENT = json.dumps({"id": 1, "name": "x" * 900, "tags": ["a", "b"], "n": 12345678901234567890}).encode()


def serve() -> None:
    """The child: serve DOCUMENT on every path; print the port; on stdin's end, print the arrival times."""
    sys.path.insert(0, str(HERE))
    from servers import LoopbackServer, Response

    arrivals: list[float] = []

    def make_handler(base_url: str):  # type: ignore[no-untyped-def]
        def handle(target: str) -> Response:
            arrivals.append(time.monotonic())
            return Response(content_type="application/json", body=DOCUMENT)

        return handle

    server = LoopbackServer(make_handler)
    server.start()
    print(json.dumps({"port": server.port}), flush=True)
    while sys.stdin.readline():
        arrivals.clear()  # a line from the parent: start a new count
        print("ok", flush=True)
    print(json.dumps(arrivals), flush=True)
    server.stop()


class Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.base = f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("reset\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def arrivals(self) -> list[float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        times: list[float] = json.loads(self.proc.stdout.readline())
        self.proc.wait(timeout=10)
        return times


def measured(
    argv: list[str], *, stdin_path: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run, through spawn_rss.py (a small parent)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as result:
        stdin = stdin_path.open("rb") if stdin_path is not None else subprocess.DEVNULL
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-S", str(HERE / "spawn_rss.py"), result.name, *argv],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
        finally:
            if stdin_path is not None:
                stdin.close()  # type: ignore[union-attr]
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        rss, seconds = result.read().split()
        return float(seconds), int(rss)


BARE_LOOP = """
import sys, requests
from concurrent.futures import ThreadPoolExecutor
urls = [line.strip() for line in open(sys.argv[1])]
session = requests.Session()
adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=8)
session.mount("http://", adapter)
def fetch(url):
    return session.get(url).content
with ThreadPoolExecutor(8) as pool:
    for body in pool.map(fetch, urls):
        sys.stdout.buffer.write(body + b"\\n")
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-slow", action="store_true", help="leave out row 2's 1,000 apicli processes")
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    apicli = str(Path(sys.executable).with_name("apicli"))
    curl = shutil.which("curl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") or k == "PYTHONPATH"}
    env = {k: v for k, v in env.items() if "proxy" not in k.lower()}
    print(f"# batch benchmark: nginx {'found' if shutil.which('nginx') else 'not installed: the loopback server'}")
    print(f"# load average at start: {os.getloadavg()}")
    server = Server()
    scratch = Path(tempfile.mkdtemp(prefix="apicli-batch-bench-"))
    urls = scratch / "urls.txt"
    urls.write_text("".join(f"{server.base}/item/{n}\n" for n in range(args.requests)))
    curl_config = scratch / "curl.cfg"
    curl_config.write_text(
        "".join(f'url = "{server.base}/item/{n}"\noutput = "/dev/null"\n' for n in range(args.requests))
    )
    rows: dict[str, list[float]] = {}
    peak: dict[str, int] = {}

    def record(name: str, argv: list[str], stdin_path: Path | None = None) -> None:
        seconds, rss = measured(argv, stdin_path=stdin_path, env=env)
        rows.setdefault(name, []).append(seconds)
        peak[name] = max(peak.get(name, 0), rss)

    for _ in range(args.runs):
        record("apicli batch -P8", [apicli, "batch", str(urls), "--parallel", "8", "--retries", "0", "-s"])
        record("bare requests, 8 threads", [sys.executable, "-c", BARE_LOOP, str(urls)])
        if curl:
            record("xargs -P8 -n1 curl -s", ["xargs", "-P8", "-n1", curl, "-s", "-o", "/dev/null"], urls)
            record("curl --parallel-max 8", [curl, "-s", "--parallel", "--parallel-max", "8", "-K", str(curl_config)])
    print(f"\n## {args.requests} requests for a 1 KB JSON body, 8 at once\n")
    print("| command | median s | requests/s | peak RSS MB |\n|---|---|---|---|")
    for name, times in rows.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {args.requests / median:.0f} | {peak[name] / 1024:.1f} |")
    batch = statistics.median(rows["apicli batch -P8"])
    bare = statistics.median(rows["bare requests, 8 threads"])
    print(f"\napicli / bare loop: {batch / bare:.2f}x (goal <= 1.15)")
    if "xargs -P8 -n1 curl -s" in rows:
        print(f"apicli / xargs curl: {batch / statistics.median(rows['xargs -P8 -n1 curl -s']):.2f}x (goal < 1)")
    print(f"apicli peak RSS: {peak['apicli batch -P8'] / 1024:.1f} MB (goal <= 60)")

    if not args.skip_slow:
        thousand = scratch / "urls-1000.txt"
        thousand.write_text("".join(f"{server.base}/item/{n}\n" for n in range(1000)))
        one, _ = measured([apicli, "batch", str(thousand), "--parallel", "8", "-s"], env=env)
        xargs, _ = measured(
            ["xargs", "-P8", "-n1", apicli, "get", "-o", "/dev/null", "-s"], stdin_path=thousand, env=env
        )
        print("\n## 1,000 requests\n")
        print(f"apicli batch -P8: {one:.2f} s; xargs -P8 -n1 apicli get: {xargs:.2f} s", end="")
        print(f"; ratio {one / xargs:.3f} (goal <= 0.1)")

    many = scratch / "lines.ndjson"
    many.write_text("".join(f'{{"url": "{server.base}/item/{n}", "id": {n}}}\n' for n in range(args.lines)))
    seconds, rss = measured([apicli, "batch", str(many), "--parallel", "8", "-s", "-o", "/dev/null"], env=env)
    print(f"\n## {args.lines} input lines\n\n{seconds:.1f} s, peak RSS {rss / 1024:.1f} MB (goal <= 60)")

    paced = scratch / "paced.ndjson"
    paced.write_text("".join(f'{{"url": "{server.base}/item/{n}"}}\n' for n in range(500)))
    server.reset()
    seconds, _ = measured([apicli, "batch", str(paced), "--parallel", "8", "--rate", "50/s", "-s"], env=env)
    arrivals = sorted(server.arrivals())
    busiest = max(sum(1 for t in arrivals[i:] if t < start + 1.0) for i, start in enumerate(arrivals))
    span = arrivals[-1] - arrivals[0]
    print(f"\n## 500 lines at --rate 50/s\n\nwall {seconds:.2f} s (goal 10 +- 0.3), server span {span:.2f} s, "
          f"busiest 1 s window {busiest} requests (goal <= 51), {len(arrivals)} requests seen")  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n# load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
