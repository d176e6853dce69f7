"""Server-sent events: how soon each event reaches apicli's stdout, and the CPU it takes.

A loopback server sends 10,000 events, one every 0.5 ms, each carrying the moment it was
sent (time.monotonic_ns, the same clock in every process on this machine). The reader
timestamps each NDJSON line as it arrives on `apicli get --events`'s stdout; the latency
is the difference. CPU time (user + system, from the kernel's accounting of the child) is
compared with a bare requests `iter_lines` loop over the same stream. Issue 15's goals:
a median latency of at most 5 ms, and at most 1.5× the bare loop's CPU time.

Each tool gets one unmeasured warm-up run, then the tools take turns for --runs rounds and
the figures are medians over the rounds. Each round also runs every tool on an empty stream:
its start-up, a fixed cost both pay, which the per-event column leaves out. The environment
is the caller's less PYTHON* and proxy variables, as in run.py.

The bare loop reads 512 bytes at a time (iter_lines' default), so it holds each event until
about ten more have arrived: its latency is a few ms, and it wakes its Python loop and its
reader once per burst. apicli writes every event as it arrives, which costs a wake-up of
both per event. The third row is the floor for that: a requests loop that reads what has
arrived (as apicli does), checks each event's data with orjson, and writes and flushes it,
with nothing else (no event-stream parsing, no options).

    .venv/bin/python benchmarks/sse_latency.py [--events 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from envsetup import clean_env

APICLI = str(Path(sys.executable).with_name("apicli"))
BARE_LOOP = (
    "import requests, sys\n"
    "with requests.get(sys.argv[1], stream=True, timeout=60) as r:\n"
    "    for line in r.iter_lines():\n"
    "        if line.startswith(b'data: '):\n"
    "            sys.stdout.buffer.write(line[6:] + b'\\n'); sys.stdout.flush()\n"
)
PER_EVENT_LOOP = (
    "import orjson, requests, sys\n"
    "out = sys.stdout.buffer\n"
    "with requests.get(sys.argv[1], stream=True, timeout=60) as r:\n"
    "    read1, pending = r.raw._fp.read1, b''  # http.client's read1, as apicli reads an event stream\n"
    "    while chunk := read1(16384):\n"
    "        *events, pending = (pending + chunk).split(b'\\n\\n')\n"
    "        for event in events:\n"
    "            if event != b'data: [DONE]':\n"
    "                orjson.loads(event[6:])\n"
    "                out.write(b'{\"data\":' + event[6:] + b'}\\n')\n"
    "        out.flush()\n"
)
LATENCY_GOAL_MS = 5.0
CPU_GOAL = 1.5  # × the bare loop's CPU time


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    argv: Callable[[str], list[str]]


TOOLS = (
    Tool("apicli", "apicli get --events", lambda url: [APICLI, "get", url, "--events"]),
    Tool("bare", "bare requests iter_lines loop", lambda url: [sys.executable, "-c", BARE_LOOP, url]),
    Tool("floor", "floor: requests loop, flush per event", lambda url: [sys.executable, "-c", PER_EVENT_LOOP, url]),
)


@dataclass
class Row:
    tool: Tool
    latencies: list[float] = field(default_factory=list)  # ms, every event of every measured run
    cpu: list[float] = field(default_factory=list)  # seconds per measured run
    startup: list[float] = field(default_factory=list)  # seconds per empty-stream run
    short_runs: int = 0  # runs that delivered fewer events than were sent


def serve(listener: socket.socket, gap: float) -> None:
    """Answer each request with the events its query asks for (`?n=N`), one every `gap` seconds, then [DONE].

    Stops once no request has come for 30 s, or when the listener is closed."""
    listener.settimeout(30)
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn, contextlib.suppress(OSError):  # a client that went away ends only its own answer
            request_line = conn.recv(65536).split(b"\r\n", 1)[0]
            found = re.search(rb"[?&]n=(\d+)", request_line)
            events = int(found.group(1)) if found else 0
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            for number in range(events):
                conn.sendall(b'data: {"n": %d, "sent": %d}\n\n' % (number, time.monotonic_ns()))
                time.sleep(gap)
            conn.sendall(b"data: [DONE]\n\n")


def measure(argv: list[str], env: dict[str, str]) -> tuple[list[float], float]:
    """Latencies in ms of every event, and the child's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
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
    return latencies, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(events: int, gap: float, runs: int, *, log: Callable[[str], None] = lambda _: None) -> list[Row]:
    """Warm up each tool, then `runs` rounds with the tools in turn (the order rotating)."""
    env = clean_env()
    listener = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}/events"
    threading.Thread(target=serve, args=(listener, gap), daemon=True).start()
    rows = [Row(tool) for tool in TOOLS]
    try:
        for row in rows:
            measure(row.tool.argv(f"{base}?n=100"), env)  # warm-up: page cache, bytecode caches
        for round_number in range(runs):
            shift = round_number % len(rows)
            for row in rows[shift:] + rows[:shift]:
                row.startup.append(measure(row.tool.argv(f"{base}?n=0"), env)[1])
                latencies, cpu = measure(row.tool.argv(f"{base}?n={events}"), env)
                row.latencies += latencies
                row.cpu.append(cpu)
                row.short_runs += len(latencies) < events
                log(f"  {row.tool.key}: {cpu:.3f} s CPU, median latency {statistics.median(latencies or [0]):.2f} ms")
    finally:
        listener.close()
    return rows


def cpu_ratio(rows: list[Row]) -> float:
    apicli, bare = rows[0], rows[1]
    return statistics.median(apicli.cpu) / statistics.median(bare.cpu)


def goal_rows(rows: list[Row]) -> list[list[str]]:
    """[goal, measured, PASS/FAIL] for each of issue 15's SSE goals."""
    apicli = rows[0]
    if not apicli.latencies or apicli.short_runs:
        return [[goal, "—", "FAIL (events missing)"] for goal in _goal_names(apicli)]
    latency = statistics.median(apicli.latencies)
    ratio = cpu_ratio(rows)
    latency_name, cpu_name = _goal_names(apicli)
    return [
        [latency_name, f"{latency:.2f} ms", "PASS" if latency <= LATENCY_GOAL_MS else "FAIL"],
        [cpu_name, f"{ratio:.2f}×", "PASS" if ratio <= CPU_GOAL else "FAIL"],
    ]


def _goal_names(apicli: Row) -> tuple[str, str]:
    return (
        f"{apicli.tool.label}: median latency ≤ {LATENCY_GOAL_MS:g} ms",
        f"{apicli.tool.label}: CPU ≤ {CPU_GOAL:g}× {TOOLS[1].label}",
    )


def format_report(rows: list[Row], events: int) -> str:
    """A markdown table of the medians, and the goals with their verdicts."""
    bare_cpu = statistics.median(rows[1].cpu)
    lines = [
        "| Tool | Runs | Events per run | Median latency | Max latency | CPU time | Start-up CPU | CPU per event"
        " | × bare loop CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cpu, startup = statistics.median(row.cpu), statistics.median(row.startup)
        delivered = f"{events}" + (f" ({row.short_runs} runs short)" if row.short_runs else "")
        latency = f"{statistics.median(row.latencies):.2f} ms" if row.latencies else "—"
        worst = f"{max(row.latencies):.1f} ms" if row.latencies else "—"
        per_event = (cpu - startup) / events * 1e6 if events else 0.0
        lines.append(
            f"| {row.tool.label} | {len(row.cpu)} | {delivered} | {latency} | {worst} | {cpu:.3f} s"
            f" | {startup * 1000:.0f} ms | {per_event:.1f} µs | {cpu / bare_cpu:.2f}× |"
        )
    lines += ["", "| Goal | Measured | Result |", "|---|---|---|"]
    lines += [f"| {' | '.join(goal)} |" for goal in goal_rows(rows)]
    return "\n".join(lines) + "\n"


SCENARIO_TITLE = "Server-sent events: `get --events` on {events:,} events from a loopback server, one every {gap:g} ms"


def scenario_section(number: int, rows: list[Row], events: int, gap: float) -> str:
    """The scenario as run.py shows it: heading, table, goals, and what the rows measure."""
    title = SCENARIO_TITLE.format(events=events, gap=gap * 1000)
    notes = [
        "CPU time is user + system of the process, from the kernel's accounting; latency is from the moment the"
        " server sent an event to the moment its line reached the reader.",
        "The bare loop holds each event until ~10 have arrived (iter_lines reads 512 bytes at a time); the floor"
        " row writes each as it arrives, as apicli does, and does nothing else.",
    ]
    return f"### {number}. {title}\n\n" + format_report(rows, events) + "\n" + "".join(f"- {n}\n" for n in notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--gap", type=float, default=0.0005, help="seconds between events")
    parser.add_argument("--runs", type=int, default=5, help="measured rounds (each tool once per round)")
    args = parser.parse_args()
    rows = run(args.events, args.gap, args.runs, log=lambda text: print(text, file=sys.stderr, flush=True))
    print(format_report(rows, args.events), end="")


if __name__ == "__main__":
    main()
