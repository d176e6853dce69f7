"""Benchmark apicli side by side with curl, HTTPie and xh, and write benchmarks/RESULTS.md.

    python benchmarks/run.py [--runs N] [--only SCENARIO,...] [--quick] [--baseline APICLI]

It installs HTTPie and xh into benchmarks/.venv (once), generates the test documents into
benchmarks/.data (once), starts its own loopback servers, shows with curl that they are
not the bottleneck, then runs each scenario with the tools interleaved run by run and
reports medians and their ratios to the anchors, with each goal's PASS or FAIL. With
--baseline, another checkout's apicli runs beside every apicli row, and each row's
after/before ratio passes within 5%.
Scenarios: small, large, pretty, paginate, parallel, download, ci, sse, jqstream, batch (or their
numbers, 1-10).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batch_rows import measure_rate, rate_goal_rows, rate_section
from datafiles import BINARY_SIZE, LARGE_NAME, ensure_data_files
from envsetup import (
    BENCH_DIR,
    DATA_DIR,
    REPO_DIR,
    Tools,
    discover_tools,
    load_average,
    machine_description,
    stripped_variables,
    tool_env,
    tool_versions,
)
from measure import Command, RssLauncher, hyperfine_medians, measure_interleaved, run_once
from report import (
    BeforeAfter,
    ScenarioResult,
    before_after_pairs,
    before_after_summary,
    format_before_after,
    format_results_page,
    format_scenario,
    format_seconds,
    format_server_check,
    format_summary,
    summary_rows,
)
from scenarios import (
    BASELINE_ROUNDS,
    PARALLEL,
    SCENARIO_KEYS,
    RunPlan,
    Scenario,
    build_scenarios,
    with_baseline,
    with_stderr_tty,
)
from servers import FAST_PAGES, SLOW_DELAY, SLOW_PAGES, Endpoints, running_servers
from sse_latency import goal_rows as sse_goal_rows
from sse_latency import run as run_sse
from sse_latency import scenario_section as sse_section

SSE_EVENTS, SSE_GAP = 10_000, 0.0005

SCRATCH = DATA_DIR / "scratch"
# Bytes of stderr above which a download is taken to have drawn a progress bar.
PROGRESS_OUTPUT_BYTES = 200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=_positive, help="measured runs per command (replaces the per-scenario defaults)")
    parser.add_argument(
        "--only",
        type=_scenario_list,
        default=list(SCENARIO_KEYS),
        help=f"comma-separated scenarios: {', '.join(SCENARIO_KEYS)} (or 1-{len(SCENARIO_KEYS)})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and no HTTPie in the --pretty scenario (about 2 minutes)"
    )
    parser.add_argument(
        "--tool-runs",
        action="append",
        default=[],
        metavar="[SCENARIO.]TOOL=N",
        help="runs for one tool, e.g. httpie=3 or pretty.httpie=2 (repeatable)",
    )
    parser.add_argument(
        "--tty-stderr",
        action="store_true",
        help="give the download scenario's tools a terminal on stderr, so progress bars are drawn",
    )
    parser.add_argument(
        "--no-hyperfine", action="store_true", help="skip the hyperfine cross-check (--quick skips it too)"
    )
    parser.add_argument(
        "--baseline",
        type=_executable,
        metavar="APICLI",
        help="another checkout's apicli executable: run beside every apicli row, compared after/before"
        f" (at least {BASELINE_ROUNDS} rounds unless --runs says otherwise)",
    )
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md", help="where to write the report")
    parser.add_argument("--server-ttl", type=float, default=1800.0, help="seconds after which the servers stop")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _executable(text: str) -> Path:
    path = Path(text).absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r} is not an executable file")
    return path


def _scenario_list(text: str) -> list[str]:
    chosen = []
    for word in filter(None, (w.strip() for w in text.split(","))):
        key = SCENARIO_KEYS[int(word) - 1] if word.isdigit() and 1 <= int(word) <= len(SCENARIO_KEYS) else word
        if key not in SCENARIO_KEYS:
            raise argparse.ArgumentTypeError(f"unknown scenario {word!r}; choose from {', '.join(SCENARIO_KEYS)}")
        chosen.append(key)
    return chosen


def _tool_runs(pairs: list[str]) -> dict[str, int]:
    runs = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not value.isdigit():
            sys.exit(f"--tool-runs expects [SCENARIO.]TOOL=N, got {pair!r}")
        runs[key.strip()] = int(value)
    return runs


@dataclass(frozen=True)
class _Probe:
    """One curl command against one endpoint, and how to read its median."""

    scenarios: tuple[str, ...]
    endpoint: str
    argv: list[str]
    reading: Callable[[float], str]


def _rate(size: int) -> Callable[[float], str]:
    return lambda seconds: (
        f"{size / seconds / 1e9:.2f} GB/s" if size / seconds >= 1e9 else f"{size / seconds / 1e6:.0f} MB/s"
    )


def server_check(
    tools: Tools, urls: Endpoints, only: list[str], env: dict[str, str], quick: bool, launcher: RssLauncher
) -> str:
    """Time curl against every endpoint the chosen scenarios use: what the server can deliver."""
    if tools.curl is None:
        return "### Server check\n\ncurl is not installed, so the server could not be checked.\n"
    curl = str(tools.curl)
    ideal = -(-SLOW_PAGES // PARALLEL) * SLOW_DELAY
    probes = [
        _Probe(("small",), "1 KB JSON", [curl, "-s", f"{urls.static}/small.json"], lambda _: "process start-up bound"),
        _Probe(
            ("large", "pretty"),
            "40 MB JSON",
            [curl, "-s", f"{urls.static}/large.json"],
            _rate(DATA_DIR.joinpath(LARGE_NAME).stat().st_size),
        ),
        _Probe(
            ("paginate",),
            f"{FAST_PAGES} pages, one keep-alive connection",
            [curl, "-s", f"{urls.api}/fast?page=[1-{FAST_PAGES}]"],
            lambda seconds: f"{seconds / FAST_PAGES * 1000:.2f} ms per page",
        ),
        _Probe(
            ("parallel",),
            f"{SLOW_PAGES} pages at {SLOW_DELAY * 1000:.0f} ms, {PARALLEL} at a time",
            [curl, "-s", "--parallel", "--parallel-max", str(PARALLEL), f"{urls.api}/slow?page=[1-{SLOW_PAGES}]"],
            lambda seconds: f"{seconds / ideal:.2f}× the ideal {ideal:.2f} s: requests overlap",
        ),
        _Probe(
            ("download",),
            "512 MiB binary",
            [curl, "-s", "-o", "/dev/null", f"{urls.static}/blob.bin"],
            _rate(BINARY_SIZE),
        ),
    ]
    chosen = [p for p in probes if set(p.scenarios) & set(only)]
    commands = [Command(f"curl:{i}", p.endpoint, p.argv, 3 if quick else 5) for i, p in enumerate(chosen)]
    print("Server check (curl):", file=sys.stderr, flush=True)
    rows = []
    for probe, m in zip(chosen, measure_interleaved(commands, env, SCRATCH, launcher), strict=True):
        if m.ok and m.median is not None:
            rows.append([probe.endpoint, format_seconds(m.median), probe.reading(m.median)])
        else:
            rows.append([probe.endpoint, f"failed ({m.failure or 'not run'})", "—"])
    return format_server_check(rows)


def run_scenario(
    scenario: Scenario, env: dict[str, str], hyperfine: Path | None, launcher: RssLauncher
) -> ScenarioResult:
    print(f"\n[{scenario.number}] {scenario.title}", file=sys.stderr, flush=True)
    measurements = measure_interleaved(scenario.commands, env, SCRATCH, launcher)
    if scenario.hyperfine and hyperfine is not None:
        runs = max((m.command.runs for m in measurements), default=0)
        print("  hyperfine cross-check ...", file=sys.stderr, flush=True)
        hyperfine_medians(hyperfine, measurements, env, runs, SCRATCH)
    return ScenarioResult(scenario, measurements)


def compare_with_baseline(result: ScenarioResult, env: dict[str, str], launcher: RssLauncher) -> list[BeforeAfter]:
    """Each apicli row against its baseline twin; a pair that looks worse is measured once more."""
    pairs = []
    for pair in before_after_pairs(result):
        if pair.needs_rerun():
            print(f"  {pair.after.command.key}: {pair.ratio:.3f}× the baseline, measuring again", file=sys.stderr)
            again = measure_interleaved([pair.after.command, pair.before.command], env, SCRATCH, launcher)
            pair = BeforeAfter(pair.scenario, pair.after, pair.before, (again[0], again[1]))
        pairs.append(pair)
    return pairs


def batch_rate(
    apicli: Path, urls: Endpoints, env: dict[str, str], launcher: RssLauncher, plan: RunPlan
) -> tuple[list[list[str]], str]:
    """Scenario 10b: `apicli batch --rate 50/s`, paced by the server's own clock (summary rows, section)."""
    from batch_rows import BATCH_DIR

    number = SCENARIO_KEYS.index("batch") + 1
    runs = plan.count("batch", "rate", 5, 1)
    print(f"\n[{number}b] apicli batch --rate 50/s, {runs} runs", file=sys.stderr, flush=True)
    measured = measure_rate(apicli, urls.api, BATCH_DIR / "paced.ndjson", env, launcher, runs)
    rows = [[f"{number}b. batch --rate", *row] for row in rate_goal_rows(measured)]
    return rows, rate_section(number, measured)


def _no_warmup(results: list[ScenarioResult]) -> str:
    cold = [f"{r.scenario.key}.{m.command.key}" for r in results for m in r.measurements if m.command.warmup == 0]
    return f", except {', '.join(cold)} (slow: their first run is measured)" if cold else ""


def progress_bar_note(results: list[ScenarioResult]) -> str:
    """Say whether apicli's downloads drew a progress bar, judging by what they wrote to stderr."""
    download = next((r for r in results if r.scenario.key == "download"), None)
    if download is None:
        return "download scenario not run"
    notes = []
    for m in download.measurements:
        if not m.command.key.startswith("apicli"):
            continue
        where = "a pseudo-terminal" if m.command.stderr_tty else "a file"
        if m.stderr_bytes_first < 0:
            notes.append(f"`{m.command.label}`: stderr on {where}; no download completed, so unknown")
            continue
        bar = "on" if m.stderr_bytes_first > PROGRESS_OUTPUT_BYTES else "off"
        notes.append(f"`{m.command.label}`: stderr on {where}, {m.stderr_bytes_first} bytes written: bar {bar}")
    return "; ".join(notes)


def baseline_version(baseline: Path, env: dict[str, str]) -> str:
    """What the baseline says with --version, for the report."""
    try:
        done = subprocess.run([str(baseline), "--version"], capture_output=True, text=True, env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"--version failed ({exc})"
    return (done.stdout.strip().splitlines() or ["no --version output"])[0]


def busy_machine_notice(load_at_start: str, load_at_end: str) -> list[str]:
    """A warning when other work competed for the CPUs: the figures are then noisy and inflated."""
    cores = os.cpu_count() or 1
    try:
        # The run itself keeps about one core busy, so the load at the end counts one less.
        others = max(float(load_at_start.split()[0]), float(load_at_end.split()[0]) - 1)
    except (ValueError, IndexError):
        return []
    if others < cores / 2:
        return []
    return [
        f"other work kept a load of about {others:.1f} on {cores} cores around this run, so absolute"
        " times are inflated and noisy; compare ratios, and rerun on an idle machine before drawing conclusions."
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    load_at_start = load_average()
    plan = RunPlan(runs=args.runs, quick=args.quick, tool_runs=_tool_runs(args.tool_runs))
    tools = discover_tools()
    files = ensure_data_files(DATA_DIR)
    env = tool_env()
    hyperfine = None if args.no_hyperfine or args.quick else tools.hyperfine
    launcher = RssLauncher()
    floor = run_once(Command("true", "true", ["true"], 1), env, None, launcher).rss_kb * 1024 / 1e6

    results: list[ScenarioResult] = []
    compared: list[BeforeAfter] = []
    baseline_rounds = BASELINE_ROUNDS if args.runs is None else None
    with running_servers(DATA_DIR, args.server_ttl) as urls:
        check = server_check(tools, urls, args.only, env, args.quick, launcher)
        print("\n" + check)
        shorten = {
            urls.static: "$STATIC",
            urls.api: "$API",
            str(SCRATCH): ".data/scratch",
            str(DATA_DIR): ".data",
            str(BENCH_DIR): "benchmarks",
            str(REPO_DIR): ".",
        }
        for scenario in build_scenarios(tools, urls, files, plan):
            if scenario.key not in args.only:
                continue
            if scenario.key == "download" and args.tty_stderr:
                scenario = with_stderr_tty(scenario)
            if args.baseline and tools.apicli:
                scenario = with_baseline(scenario, tools.apicli, args.baseline, baseline_rounds)
            result = run_scenario(scenario, env, hyperfine, launcher)
            results.append(result)
            if args.baseline:
                compared += compare_with_baseline(result, env, launcher)
            print("\n" + format_scenario(result, shorten), flush=True)
        rate_rows: list[list[str]] = []
        if "batch" in args.only and tools.apicli is not None:
            rate = batch_rate(tools.apicli, urls, env, launcher, plan)
            rate_rows, rate_text = rate
            print("\n" + rate_text, flush=True)
        ports = f"$STATIC = {urls.static} (static files), $API = {urls.api} (paginated API)"

    sections = [format_scenario(r, shorten) for r in results]
    summary = summary_rows(results)
    if rate_rows:
        sections.append(rate_text)
        summary += rate_rows
    runs = [
        f"{r.scenario.key}: " + ", ".join(f"{m.command.key} {m.command.runs}" for m in r.measurements) for r in results
    ]
    if "sse" in args.only:
        number = SCENARIO_KEYS.index("sse") + 1
        sse_runs = plan.count("sse", "apicli", 5, 1)  # a CPU ratio of two ~0.35 s figures: noisy, so more rounds
        print(f"\n[{number}] server-sent events, {sse_runs} rounds", file=sys.stderr, flush=True)
        sse_rows = run_sse(SSE_EVENTS, SSE_GAP, sse_runs, log=lambda text: print(text, file=sys.stderr, flush=True))
        sections.append(sse_section(number, sse_rows, SSE_EVENTS, SSE_GAP))
        summary += [[f"{number}. sse", *goal] for goal in sse_goal_rows(sse_rows)]
        runs.append(f"sse: {sse_runs} rounds of every tool (its own loopback server)")
        print("\n" + sections[-1], flush=True)

    if args.baseline:
        sections.append(format_before_after(compared, str(args.baseline), BASELINE_ROUNDS))
        summary.append(before_after_summary(compared))
        print("\n" + sections[-1], flush=True)

    settings = {
        "Mode": "quick" if args.quick else "full",
        "Load average at the start": load_at_start,
        "Scenarios": ", ".join(args.only),
        "Runs (measured, per command)": "; ".join(runs),
        "Warm-up": "1 unmeasured run per command" + _no_warmup(results),
        "Peak RSS": f"ru_maxrss of each command, via {launcher.name}; floor (`true`): {floor:.1f} MB",
        "hyperfine cross-check": f"yes ({tools.hyperfine})" if hyperfine else "no",
        "Download progress bar": progress_bar_note(results),
        "Baseline (before)": f"`{args.baseline}`, {baseline_version(args.baseline, env)}" if args.baseline else "none",
        "Servers": ports,
        "Environment": "the caller's, less " + (", ".join(stripped_variables()) or "nothing"),
        "Wall time of this run": f"{time.monotonic() - started:.0f} s",
    }
    page = format_results_page(
        machine_description(),
        tool_versions(tools),
        settings,
        check,
        sections,
        summary,
        busy_machine_notice(load_at_start, load_average()),
    )
    args.output.write_text(page)
    print("\n## Summary\n\n" + format_summary(summary))
    print(f"Wrote {args.output} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: no report written")
