"""Server-sent events: how soon each event reaches apicli's stdout, and the CPU it takes.

A loopback server sends 10,000 events, each carrying the moment it was sent
(time.monotonic_ns, the same clock in every process on this machine). The reader
timestamps each NDJSON line as it arrives on `apicli get --events`'s stdout; the
latency is the difference. CPU time (user + system) is compared with a bare
requests `iter_lines` loop over the same stream.

    .venv/bin/python benchmarks/sse_latency.py [--events 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APICLI = str(Path(sys.executable).with_name("apicli"))
BARE_LOOP = (
    "import requests, sys\n"
    "with requests.get(sys.argv[1], stream=True, timeout=60) as r:\n"
    "    for line in r.iter_lines():\n"
    "        if line.startswith(b'data: '):\n"
    "            sys.stdout.buffer.write(line[6:] + b'\\n'); sys.stdout.flush()\n"
)


def serve(listener: socket.socket, events: int, gap: float) -> None:
    """Answer one request per run with `events` events, one every `gap` seconds; stops by itself."""
    listener.settimeout(30)
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            for number in range(events):
                sent = time.monotonic_ns()
                conn.sendall(b'data: {"n": %d, "sent": %d}\n\n' % (number, sent))
                time.sleep(gap)
            conn.sendall(b"data: [DONE]\n\n")


def measure(argv: list[str]) -> tuple[list[float], float]:
    """Latencies in ms of every event, and the child's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    latencies = []
    for line in proc.stdout:
        arrived = time.monotonic_ns()
        if not line.startswith(b"{"):
            continue  # the bare loop also prints the closing [DONE]
        record = json.loads(line)
        sent = record["data"]["sent"] if "data" in record else record["sent"]
        latencies.append((arrived - sent) / 1e6)
    proc.wait(timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return latencies, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--gap", type=float, default=0.0005, help="seconds between events")
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/events"
    threading.Thread(target=serve, args=(listener, args.events, args.gap), daemon=True).start()
    rows = []
    for label, argv in (
        ("apicli get --events", [APICLI, "get", url, "--events"]),
        ("bare requests iter_lines loop", [sys.executable, "-c", BARE_LOOP, url]),
    ):
        latencies, cpu = measure(argv)
        rows.append((label, len(latencies), statistics.median(latencies), max(latencies), cpu))
    listener.close()
    print("| Tool | Events | Median latency | Max latency | CPU time | × bare loop CPU |\n|---|---|---|---|---|---|")
    bare_cpu = rows[1][4]
    for label, count, median, worst, cpu in rows:
        print(f"| {label} | {count} | {median:.2f} ms | {worst:.1f} ms | {cpu:.2f} s | {cpu / bare_cpu:.2f}× |")


if __name__ == "__main__":
    main()
