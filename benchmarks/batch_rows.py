"""`apicli batch` (issue 25) in run.py: its input files, its anchors, and the --rate rows.

Scenario 10 (scenarios._batch) times N requests for the 1 KB document at --parallel 8 beside a
bare requests loop on 8 threads with one session, `xargs -P8 -n1 curl -s` and `curl --parallel`;
N/10 requests beside `xargs -P8 -n1 apicli get`; and peak RSS over N and 10×N input lines.
`APICLI_BENCH_BATCH_SCALE` (default 1: N = 10,000) scales those counts for a quick run.

The --rate rows are measured here: 500 lines at --rate 50/s against the API server's /stamped
endpoint, which records when each request arrived; the run's wall time and the busiest sliding
1 s window come from the same run, the window from the server's own timestamps.
"""

from __future__ import annotations

import bisect
import json
import os
import statistics
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from envsetup import DATA_DIR
from measure import Command, RssLauncher, run_once

SCALE = float(os.environ.get("APICLI_BENCH_BATCH_SCALE", "1"))
REQUESTS = max(8, round(10_000 * SCALE))
FEW_REQUESTS = max(8, round(1_000 * SCALE))
LINES = max(8, round(100_000 * SCALE))
BATCH_DIR = DATA_DIR / "batch"

RATE_LINES, RATE, RATE_PER_SECOND = 500, "50/s", 50
RATE_GOAL_SECONDS, RATE_TOLERANCE = RATE_LINES / RATE_PER_SECOND, 0.3
WINDOW_GOAL = RATE_PER_SECOND + 1

# The floor of the stack apicli is built on: requests on 8 threads, one session, one pool.
BARE_LOOP = """
import sys, requests
from concurrent.futures import ThreadPoolExecutor
urls = [line.strip() for line in open(sys.argv[1])]
session = requests.Session()
session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=8))
def fetch(url):
    return session.get(url).content
with ThreadPoolExecutor(8) as pool:
    for body in pool.map(fetch, urls):
        sys.stdout.buffer.write(body + b"\\n")
"""


@dataclass(frozen=True)
class Inputs:
    urls: Path  # REQUESTS lines, each the document's URL
    curl_config: Path  # the same for curl -K
    few_urls: Path  # FEW_REQUESTS lines
    lines: Path  # LINES request objects, each with an id
    paced: Path  # RATE_LINES lines for /stamped


def write_inputs(static: str, api: str) -> Inputs:
    """The input files for this run's server ports (small: a few MB at most)."""
    BATCH_DIR.mkdir(parents=True, exist_ok=True)
    url = f"{static}/small.json"
    inputs = Inputs(*(BATCH_DIR / name for name in ("urls.txt", "curl.cfg", "few.txt", "lines.ndjson", "paced.ndjson")))
    inputs.urls.write_text(f"{url}\n" * REQUESTS)
    inputs.curl_config.write_text(f'url = "{url}"\n' * REQUESTS)
    inputs.few_urls.write_text(f"{url}\n" * FEW_REQUESTS)
    inputs.lines.write_text("".join(f'{{"url": "{url}", "id": {n}}}\n' for n in range(LINES)))
    inputs.paced.write_text(f'{{"url": "{api}/stamped"}}\n' * RATE_LINES)
    return inputs


@dataclass(frozen=True)
class RateRun:
    seconds: float  # the batch's wall time
    arrivals: list[float]  # when the server saw each request (its monotonic clock)

    @property
    def span(self) -> float:
        return self.arrivals[-1] - self.arrivals[0] if self.arrivals else 0.0

    @property
    def busiest(self) -> int:
        """The most requests the server saw in any 1 s window (each window starting at an arrival)."""
        times = self.arrivals
        return max((bisect.bisect_left(times, start + 1.0) - i for i, start in enumerate(times)), default=0)


def _arrivals(api: str) -> list[float]:
    """What the server recorded since it was last asked, oldest first; asking clears it."""
    with urllib.request.urlopen(f"{api}/arrivals", timeout=10) as response:
        return sorted(json.loads(response.read()))


def measure_rate(
    apicli: Path, api: str, paced: Path, env: dict[str, str], launcher: RssLauncher, runs: int
) -> list[RateRun]:
    """`runs` runs of the paced batch, each with the server's arrival times."""
    argv = [str(apicli), "batch", str(paced), "--parallel", "8", "--rate", RATE, "-s"]
    command = Command("apicli-rate", f"apicli batch --rate {RATE}", argv, runs, timeout=60)
    measured = []
    for _ in range(runs):
        _arrivals(api)  # forget whatever came before
        sample = run_once(command, env, None, launcher)
        if sample.returncode != 0:
            raise RuntimeError(f"apicli batch --rate exited {sample.returncode}: {sample.stderr_tail}")
        measured.append(RateRun(sample.seconds, _arrivals(api)))
    return measured


def rate_goal_rows(runs: list[RateRun]) -> list[list[str]]:
    """[goal, measured, PASS/FAIL]: the median wall time, and the busiest window of any run."""
    wall = statistics.median(run.seconds for run in runs)
    busiest = max(run.busiest for run in runs)
    complete = all(len(run.arrivals) == RATE_LINES for run in runs)
    timing_ok = abs(wall - RATE_GOAL_SECONDS) <= RATE_TOLERANCE
    return [
        [
            f"{RATE_LINES} lines at --rate {RATE}: median wall time {RATE_GOAL_SECONDS:g} s ± {RATE_TOLERANCE:g}",
            f"{wall:.2f} s",
            "PASS" if timing_ok and complete else "FAIL",
        ],
        [
            f"the server sees ≤ {WINDOW_GOAL} requests in any sliding 1 s window",
            str(busiest),
            "PASS" if busiest <= WINDOW_GOAL and complete else "FAIL",
        ],
    ]


def rate_section(number: int, runs: list[RateRun]) -> str:
    """The --rate rows as run.py shows them: each run, then the goals."""
    lines = [
        f"### {number}b. `apicli batch --rate {RATE}` over {RATE_LINES} lines, --parallel 8",
        "",
        "| Run | Wall time | Server span, first to last | Busiest 1 s window | Requests seen |",
        "|---|---|---|---|---|",
    ]
    for index, run in enumerate(runs, 1):
        lines.append(f"| {index} | {run.seconds:.2f} s | {run.span:.2f} s | {run.busiest} | {len(run.arrivals)} |")
    lines += ["", "| Goal | Measured | Result |", "|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rate_goal_rows(runs)]
    lines += [
        "",
        f"- The wall time is the process's, start-up included: {RATE_LINES} starts {1 / RATE_PER_SECOND * 1000:g} ms "
        f"apart span {(RATE_LINES - 1) / RATE_PER_SECOND:.2f} s, plus start-up and the last answer.",
        "- Arrival times are the API server's own (its monotonic clock, in its own process); the window is "
        "the most arrivals within 1 s of any arrival.",
    ]
    return "\n".join(lines) + "\n"
