"""The scenarios: which commands run side by side, which ones anchor the ratios, and the goals.

Run counts come from :class:`RunPlan`, so that ``--runs``, ``--quick`` and ``--tool-runs``
are resolved in one place. Each command also carries a check of its output, so a tool
that is fast because it did less work (no colour, missing pages, a short file) is flagged.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import batch_rows
from datafiles import BINARY_SIZE, DataFiles
from envsetup import BENCH_DIR, Tools
from measure import Command, OutputCheck
from servers import FAST_PAGES, PER_PAGE, SLOW_DELAY, SLOW_PAGES, Endpoints

# "sse" (8) measures CPU time and latency rather than wall time: sse_latency.py runs it.
SCENARIO_KEYS = ("small", "large", "pretty", "paginate", "parallel", "download", "ci", "sse", "jqstream", "batch")
PARALLEL = 8


@dataclass(frozen=True)
class Goal:
    """`subject` must be at most `limit` times `anchor`'s median, or at most `limit` MB of peak RSS."""

    subject: str
    metric: Literal["time", "rss"]
    limit: float
    anchor: str = ""

    def describe(self, labels: dict[str, str]) -> str:
        if self.metric == "rss" and self.anchor:
            return f"{labels[self.subject]} peak RSS ≤ {self.limit:g}× {labels[self.anchor]}'s"
        if self.metric == "rss":
            return f"{labels[self.subject]} peak RSS ≤ {self.limit:g} MB"
        return f"{labels[self.subject]} ≤ {self.limit:g}× {labels[self.anchor]}"


@dataclass(frozen=True)
class Scenario:
    """A titled group of commands measured together."""

    key: str
    number: int
    title: str
    commands: list[Command]
    anchors: list[str]
    goals: list[Goal]
    notes: list[str] = field(default_factory=list)
    hyperfine: bool = False  # cross-check with hyperfine when it is installed


@dataclass(frozen=True)
class RunPlan:
    """How many measured runs each command gets."""

    runs: int | None = None  # --runs: replaces every scenario's default
    quick: bool = False
    tool_runs: dict[str, int] = field(default_factory=dict)  # "tool" or "scenario.tool" -> runs

    def count(self, scenario: str, tool: str, full: int, quick: int, cap: int | None = None) -> int:
        """Runs for one command: an explicit --tool-runs wins, then --runs (within the cap), then defaults."""
        for key in (f"{scenario}.{tool}", tool):
            if key in self.tool_runs:
                return self.tool_runs[key]
        base = quick if self.quick else full
        if self.runs is not None:
            base = self.runs
        return min(base, cap) if cap is not None else base


def _check_json_equals(expected: Path) -> OutputCheck:
    want = json.loads(expected.read_bytes())

    def check(path: Path) -> str | None:
        try:
            got = json.loads(path.read_bytes())
        except ValueError:
            return "stdout is not the JSON document"
        return None if got == want else "stdout differs from the document"

    return check


def _check_min_size(minimum: int, what: str) -> OutputCheck:
    def check(path: Path) -> str | None:
        size = path.stat().st_size if path.exists() else 0
        return None if size >= minimum else f"{what}: {size} bytes, expected ≥ {minimum}"

    return check


def _check_exact_size(size: int) -> OutputCheck:
    def check(path: Path) -> str | None:
        got = path.stat().st_size if path.exists() else 0
        return None if got == size else f"file is {got} bytes, expected {size}"

    return check


def _check_coloured(minimum: int) -> OutputCheck:
    def check(path: Path) -> str | None:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(65536)
        if size < minimum:
            return f"stdout is {size} bytes, less than the compact input: not indented?"
        if b"\x1b[" not in head:
            return "no ANSI colour codes in stdout"
        if b"\n" not in head:
            return "stdout is not indented"
        return None

    return check


def _check_ndjson_lines(expected: int) -> OutputCheck:
    def check(path: Path) -> str | None:
        with path.open("rb") as f:
            lines = sum(1 for _ in f)
        return None if lines == expected else f"{lines} NDJSON lines, expected {expected}"

    return check


def _tool(path: Path | None, *args: str) -> list[str] | None:
    return [str(path), *args] if path else None


@dataclass(frozen=True)
class _Context:
    """What every scenario builder needs."""

    tools: Tools
    urls: Endpoints
    files: DataFiles
    plan: RunPlan

    def command(
        self,
        scenario: str,
        key: str,
        label: str,
        argv: list[str] | None,
        runs: tuple[int, int],
        cap: int | None = None,
        unavailable: str = "",
        **options: Any,
    ) -> Command:
        """A Command with its run count resolved; ``runs`` is (full, quick)."""
        count = self.plan.count(scenario, key, runs[0], runs[1], cap)
        reason = unavailable or ("" if argv else "not installed")
        return replace(Command(key, label, argv, count, unavailable=reason), **options)


# The two libraries apicli is built on, loaded with its start-up measures (src/apicli/startup.py).
_LEAN_IMPORT = (
    "from apicli.startup import leave, pause_collector, skip_charset_detection; "
    "pause_collector(); skip_charset_detection(); import requests, typer; leave(0)"
)


def _small(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.static}/small.json"
    check = _check_json_equals(ctx.files.small)

    def add(key: str, label: str, argv: list[str] | None, **options: Any) -> Command:
        return ctx.command("small", key, label, argv, (15, 5), **options)

    return Scenario(
        "small",
        1,
        "`get` of a 1 KB JSON document, piped",
        [
            add("apicli", "apicli", _tool(t.apicli, "get", url), check=check),
            add("curl", "curl", _tool(t.curl, "-s", url), check=check),
            add("xh", "xh", _tool(t.xh, "--ignore-stdin", url), check=check),
            add("httpie", "HTTPie", _tool(t.http, "--ignore-stdin", url), check=check),
            add("import", "import requests", [str(t.project_python), "-c", "import requests"]),
            add("floor", "import requests, typer as apicli does", [str(t.project_python), "-c", _LEAN_IMPORT]),
            add("python", "bare interpreter", [str(t.project_python), "-c", "pass"]),
        ],
        anchors=["httpie", "import"],
        goals=[Goal("apicli", "time", 0.35, "httpie"), Goal("apicli", "time", 1.3, "import")],
        notes=[
            "stdout is /dev/null (not a terminal); each tool's first run is checked against the document.",
            "`import requests` and the bare interpreter run on the project venv's Python: the start-up floors.",
            "`import requests, typer as apicli does` loads the two libraries apicli is built on the way its entry "
            "point does (collector paused, no character-set detector, no interpreter teardown): the floor under "
            "apicli's own start-up, before any of its modules or the request itself.",
        ],
        hyperfine=True,
    )


def _large(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.static}/large.json"
    check = _check_min_size(int(ctx.files.large.stat().st_size * 0.99), "stdout")

    def add(key: str, label: str, argv: list[str] | None) -> Command:
        return ctx.command("large", key, label, argv, (7, 3), check=check)

    return Scenario(
        "large",
        2,
        "`get` of a 40 MB JSON document to /dev/null",
        [
            add("apicli", "apicli", _tool(t.apicli, "get", url)),
            add("curl", "curl", _tool(t.curl, "-s", url)),
            add("xh", "xh", _tool(t.xh, "--ignore-stdin", "--pretty", "none", url)),
            add("httpie", "HTTPie", _tool(t.http, "--ignore-stdin", "--pretty=none", url)),
        ],
        anchors=["httpie", "curl"],
        goals=[Goal("apicli", "time", 0.5, "httpie"), Goal("apicli", "rss", 60)],
    )


def _pretty(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.static}/large.json"
    huge_url = f"{ctx.urls.static}/huge.json"
    check = _check_coloured(ctx.files.large.stat().st_size)
    httpie_runs = ctx.plan.count("pretty", "httpie", 1, 0, cap=1)

    def add(key: str, label: str, argv: list[str] | None, runs: tuple[int, int], **options: Any) -> Command:
        options.setdefault("check", check)
        return ctx.command("pretty", key, label, argv, runs, **options)

    return Scenario(
        "pretty",
        3,
        "`get --pretty` of the 40 MB document (indented, coloured) to /dev/null",
        [
            add("apicli", "apicli", _tool(t.apicli, "get", "--pretty", url), (5, 2)),
            # xh's highlighter needs about 10 s here, HTTPie about 45 s: fewer runs, no warm-up.
            add("xh", "xh", _tool(t.xh, "--ignore-stdin", "--pretty", "all", url), (3, 1), cap=3, warmup=0),
            add(
                "httpie",
                "HTTPie",
                _tool(t.http, "--ignore-stdin", "--pretty", "all", url),
                (1, 0),
                cap=1,
                warmup=0,
                timeout=600.0,
                unavailable="" if httpie_runs or not t.http else "skipped with --quick",
            ),
            add("jq", "jq -C . (local file)", _tool(t.jq, "-C", ".", str(ctx.files.large)), (5, 2)),
            add(
                "apicli-huge",
                "apicli, 400 MB document",
                _tool(t.apicli, "get", "--pretty", huge_url),
                (2, 1),
                check=_check_coloured(ctx.files.huge.stat().st_size),
            ),
            add("apicli-jq", "apicli --jq .", _tool(t.apicli, "get", "--jq", ".", url), (5, 2), check=None),
            add(
                "apicli-jq-pretty",
                "apicli --jq . --pretty",
                _tool(t.apicli, "get", "--pretty", "--jq", ".", url),
                (3, 1),
                check=None,
            ),
            add("jq-plain", "jq . (local file)", _tool(t.jq, ".", str(ctx.files.large)), (5, 2), check=None),
            add(
                "libjq",
                "libjq alone, compact (local file)",
                [str(t.project_python), str(BENCH_DIR / "libjq_alone.py"), ".", str(ctx.files.large)],
                (5, 2),
                check=None,
            ),
        ],
        anchors=["jq", "httpie"],
        goals=[
            Goal("apicli", "time", 1.0, "jq"),
            Goal("apicli", "rss", 64),
            Goal("apicli-huge", "rss", 64),
            Goal("apicli-jq", "time", 1.0, "jq-plain"),
            Goal("apicli-jq", "rss", 1.0, "jq-plain"),
            # issue 24: no waste over the engine; --pretty indented in the child, never re-parsed
            Goal("apicli-jq", "time", 1.10, "libjq"),
            Goal("apicli-jq", "rss", 1.05, "libjq"),
            Goal("apicli-jq-pretty", "rss", 1.05, "libjq"),
        ],
        notes=[
            'The 400 MB document is the 40 MB array ten times over, inside an object: {"pages": [[...], ...]}.',
            "apicli --jq . runs libjq in a child process (so --max-time and Ctrl-C can stop it) and waits for it: "
            "its peak RSS is the larger of the two processes'.",
            "libjq alone is the engine apicli --jq uses (libjq from the jq package, fed 64 KiB pieces) with nothing "
            "else: no HTTP, child process or pipes. It is the floor under apicli --jq; the anchor jq . is jq 1.6, "
            "whose parser is faster and smaller than the libjq the jq package ships.",
            "xh and HTTPie are slow here, so they run at most 3 times and once (none with --quick)"
            " respectively, without a warm-up; override with --tool-runs pretty.httpie=N.",
        ],
    )


def _paginate(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.api}/fast?page=1"
    check = _check_ndjson_lines(FAST_PAGES * PER_PAGE)
    shell_loop = [str(t.bash), str(BENCH_DIR / "curl_jq_paginate.sh"), url] if t.bash and t.curl and t.jq else None

    def add(key: str, label: str, argv: list[str] | None, runs: tuple[int, int] = (7, 3), **options: Any) -> Command:
        return ctx.command("paginate", key, label, argv, runs, **options)

    return Scenario(
        "paginate",
        4,
        f"`paginate` of {FAST_PAGES} Link-header pages × {PER_PAGE} items to /dev/null",
        [
            add("apicli", "apicli", _tool(t.apicli, "paginate", url), check=check),
            add(
                "bare",
                "bare requests loop",
                [str(t.project_python), str(BENCH_DIR / "bare_paginate.py"), url],
                check=check,
            ),
            add(
                "curl-jq",
                "curl + jq shell loop",
                shell_loop,
                runs=(3, 1),
                cap=3,
                warmup=0,
                rss_meaningful=False,
                check=check,
            ),
            add(
                "curl",
                "curl, one process, URL glob (server floor)",
                _tool(t.curl, "-s", f"{ctx.urls.api}/fast?page=[1-{FAST_PAGES}]"),
            ),
        ],
        anchors=["bare"],
        goals=[Goal("apicli", "time", 1.15, "bare"), Goal("apicli", "rss", 60)],
        notes=[
            "The bare loop runs on the project venv's Python and writes with the stdlib json module.",
            "The shell loop spawns curl, jq, grep and sed for every page; it runs at most 3 times, without a warm-up.",
        ],
    )


def _parallel(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.api}/slow?page=1"
    check = _check_ndjson_lines(SLOW_PAGES * PER_PAGE)
    ideal = -(-SLOW_PAGES // PARALLEL) * SLOW_DELAY
    glob = f"{ctx.urls.api}/slow?page=[1-{SLOW_PAGES}]"
    return Scenario(
        "parallel",
        5,
        f"`paginate --parallel {PARALLEL}` over {SLOW_PAGES} pages at {SLOW_DELAY * 1000:.0f} ms each",
        [
            ctx.command(
                "parallel",
                "apicli-par",
                f"apicli --parallel {PARALLEL}",
                _tool(t.apicli, "paginate", "--parallel", str(PARALLEL), url),
                (5, 3),
                check=check,
            ),
            # The sequential run takes ~5 s: no warm-up, and start-up is noise at that length.
            ctx.command(
                "parallel",
                "apicli-seq",
                "apicli sequential",
                _tool(t.apicli, "paginate", url),
                (3, 1),
                warmup=0,
                check=check,
            ),
            ctx.command(
                "parallel",
                "curl",
                f"curl --parallel-max {PARALLEL}, URL glob (server floor)",
                _tool(t.curl, "-s", "--parallel", "--parallel-max", str(PARALLEL), glob),
                (5, 3),
            ),
        ],
        anchors=["apicli-seq"],
        goals=[Goal("apicli-par", "time", 0.2, "apicli-seq")],
        notes=[
            f"Ideal with {PARALLEL} workers and no overhead: {ideal:.2f} s; sequential: at least"
            f" {SLOW_PAGES * SLOW_DELAY:.1f} s. curl is handed every page URL up front.",
        ],
    )


def _download(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.static}/blob.bin"
    scratch = BENCH_DIR / ".data" / "scratch"

    def add(
        key: str, label: str, path: Path | None, *args: str, runs: tuple[int, int] = (5, 3), **options: Any
    ) -> Command:
        out = scratch / f"download-{key}.bin"
        argv = [str(path), *(str(out) if a == "{OUT}" else a for a in args)] if path else None
        check = _check_exact_size(BINARY_SIZE)
        return ctx.command("download", key, label, argv, runs, output_file=out, check=check, **options)

    return Scenario(
        "download",
        6,
        "`download` of a 512 MiB file",
        [
            add("apicli", "apicli", t.apicli, "download", url, "-o", "{OUT}"),
            # The same on a terminal, where apicli draws its progress bar.
            add("apicli-bar", "apicli, progress bar", t.apicli, "download", url, "-o", "{OUT}", stderr_tty=True),
            add("curl", "curl", t.curl, "-s", "-o", "{OUT}", url),
            add("xh", "xh", t.xh, "--ignore-stdin", "-d", "-o", "{OUT}", url),
            add("httpie", "HTTPie", t.http, "--ignore-stdin", "-d", "-o", "{OUT}", url, runs=(3, 1)),
        ],
        anchors=["curl"],
        goals=[
            Goal("apicli", "time", 0.9, "curl"),
            Goal("apicli-bar", "time", 0.9, "curl"),
            Goal("apicli", "rss", 60),
            Goal("apicli-bar", "rss", 60),
        ],
        notes=[
            "Files go to benchmarks/.data/scratch and are deleted after each run, so the page cache absorbs them.",
            "stderr is a file for every row but `apicli, progress bar`, whose stderr is a pseudo-terminal (100×30).",
        ],
    )


# Ten asserts of each kind (status, body, headers, time), all holding on the 1 KB document.
TEN_ASSERTS = [
    arg
    for expression in (
        "$status == 200",
        ".data | length > 0",
        '.data[0] | has("id")',
        '$headers["content-type"] | startswith("application/json")',
        "$elapsed < 60",
        '$method == "GET"',
        "$retries == 0",
        "[.data[] | .id] | length == 3",
        ".meta.total == 3",
        ".data[0].id != null",
    )
    for arg in ("--assert", expression)
]
REPORT = Path(tempfile.gettempdir()) / "apicli-bench-report.xml"


def _ci(ctx: _Context) -> Scenario:
    t, url = ctx.tools, f"{ctx.urls.static}/small.json"

    def add(key: str, label: str, argv: list[str] | None, **options: Any) -> Command:
        return ctx.command("ci", key, label, argv, (15, 5), **options)

    return Scenario(
        "ci",
        7,
        "CI flags on the 1 KB `get`: `-w '%{http_code}'` and an `--until` that holds at once",
        [
            add("apicli", "apicli get", _tool(t.apicli, "get", url)),
            add("write-out", "apicli get -w '%{http_code}'", _tool(t.apicli, "get", url, "-w", "%{http_code}")),
            add("until", "apicli get --until .", _tool(t.apicli, "get", url, "--until", ".")),
            add("asserts", "apicli get + 10 --assert", _tool(t.apicli, "get", url, *TEN_ASSERTS)),
            add("report", "apicli get --report junit:FILE", _tool(t.apicli, "get", url, "--report", f"junit:{REPORT}")),
            add("curl", "curl -w '%{http_code}'", _tool(t.curl, "-s", url, "-w", "%{http_code}")),
        ],
        anchors=["apicli"],
        # About 3 ms and 5 ms on a run of about 100 ms, as ratios to the plain get of the same run.
        goals=[
            Goal("write-out", "time", 1.03, "apicli"),
            Goal("until", "time", 1.05, "apicli"),
            Goal("asserts", "time", 1.08, "apicli"),
            Goal("report", "time", 1.03, "apicli"),
        ],
        notes=[
            "-w adds timed connections (phase times measured on the socket) and the report; --until adds "
            "libjq and one evaluation. The goals are 'at most +3 ms' and 'at most +5 ms' on a ~100 ms run.",
            "The ten asserts (body, status, headers, time) compile into one jq program, evaluated once; "
            "--report junit rewrites one file that gains a testsuite per run.",
        ],
    )


def _jqstream(ctx: _Context) -> Scenario:
    """--jq against libjq alone (issue 24): streamed selections (`PATH[] | REST`, an element at a
    time) and the whole-document path on the 40 MB document."""
    t = ctx.tools
    items_url, large_url = f"{ctx.urls.static}/items.json", f"{ctx.urls.static}/large.json"
    items, values, large = str(ctx.files.items), str(ctx.files.item_values), str(ctx.files.large)
    alone = [str(t.project_python), str(BENCH_DIR / "libjq_alone.py")]
    select = ".[] | select(.active) | .login"

    def add(key: str, label: str, argv: list[str] | None, runs: tuple[int, int] = (3, 1)) -> Command:
        # apicli's memory is its process and its jq child's together.
        return ctx.command("jqstream", key, label, argv, runs, check=None, tree_memory=True)

    size = f"{ctx.files.items.stat().st_size / 1e6:.0f} MB"
    return Scenario(
        "jqstream",
        9,
        f"`--jq '.items[] | .id'` and `paginate --jq .id` on a {size} {{\"items\": [...]}} document; a "
        "selection, `.` and `. --pretty` on the 40 MB array",
        [
            add("apicli", "apicli --jq '.items[] | .id'", _tool(t.apicli, "get", "--jq", ".items[] | .id", items_url)),
            add("jq", "jq '.items[] | .id' (local file)", _tool(t.jq, ".items[] | .id", items), (1, 1)),
            add("libjq-values", "libjq alone, .id over the elements as separate values", [*alone, ".id", values]),
            add("libjq-whole", "libjq alone, '.items[] | .id', whole document", [*alone, ".items[] | .id", items]),
            add(
                "apicli-paginate",
                "apicli paginate --jq .id (one page)",
                _tool(t.apicli, "paginate", "--jq", ".id", items_url),
            ),
            add(
                "apicli-paginate-items",
                "apicli paginate (one page, items as NDJSON)",
                _tool(t.apicli, "paginate", items_url),
            ),
            add("apicli-select", f"apicli --jq '{select}' (40 MB)", _tool(t.apicli, "get", "--jq", select, large_url)),
            add("libjq-select", f"libjq alone, '{select}' (40 MB, whole)", [*alone, select, large]),
            add("apicli-dot", "apicli --jq . (40 MB)", _tool(t.apicli, "get", "--jq", ".", large_url)),
            add(
                "apicli-pretty",
                "apicli --jq . --pretty (40 MB)",
                _tool(t.apicli, "get", "--jq", ".", "--pretty", large_url),
            ),
            add("libjq-dot", "libjq alone, . (40 MB)", [*alone, ".", large]),
            add("jq-dot", "jq . (40 MB, local file)", _tool(t.jq, ".", large), (1, 1)),
        ],
        anchors=["libjq-values", "libjq-select", "libjq-dot"],
        goals=[
            Goal("apicli", "rss", 64),
            Goal("apicli", "time", 1.3, "libjq-values"),
            Goal("apicli-paginate", "rss", 64),
            Goal("apicli-paginate", "time", 1.3, "libjq-values"),
            Goal("apicli-paginate-items", "rss", 64),
            Goal("apicli-select", "rss", 64),
            Goal("apicli-select", "time", 1.3, "libjq-select"),
            Goal("apicli-dot", "time", 1.10, "libjq-dot"),
            Goal("apicli-dot", "rss", 1.05, "libjq-dot"),
            Goal("apicli-pretty", "rss", 1.05, "libjq-dot"),
        ],
        notes=[
            "The document's size is APICLI_BENCH_ITEMS_MB (default 100; the issue's is 400): at 400 MB jq 1.6 "
            "alone takes minutes and gigabytes, too slow for routine runs.",
            "Peak memory is the whole process tree's (apicli and its jq child together): the largest sum of "
            "their PSS sampled every 100 ms, or ru_maxrss when larger (benchmarks/spawn_rss.py --tree).",
        ],
    )


def _batch(ctx: _Context) -> Scenario:
    """`apicli batch` (issue 25); its --rate rows are measured apart, in batch_rows (scenario 10b)."""
    t = ctx.tools
    inputs = batch_rows.write_inputs(ctx.urls.static, ctx.urls.api)
    many, few, lines = batch_rows.REQUESTS, batch_rows.FEW_REQUESTS, batch_rows.LINES

    def add(key: str, label: str, argv: list[str] | None, runs: tuple[int, int] = (3, 1), **options: Any) -> Command:
        # Every row runs for seconds: start-up is noise, so no warm-up run.
        return ctx.command("batch", key, label, argv, runs, warmup=0, **options)

    def apicli_batch(path: Path, *args: str) -> list[str] | None:
        return _tool(t.apicli, "batch", str(path), "--parallel", str(PARALLEL), "--retries", "0", *args)

    xargs = ["xargs", "-P", str(PARALLEL), "-n", "1", "-a"]
    return Scenario(
        "batch",
        10,
        f"`apicli batch --parallel {PARALLEL}`: {many:,} requests for the 1 KB document, {few:,} beside "
        f"`xargs apicli get`, and {lines:,} input lines",
        [
            add("apicli", f"apicli batch ({many:,})", apicli_batch(inputs.urls), check=_check_ndjson_lines(many)),
            add(
                "bare",
                "requests, 8 threads, one session",
                [str(t.project_python), "-c", batch_rows.BARE_LOOP, str(inputs.urls)],
            ),
            add(
                "xargs-curl",
                f"xargs -P{PARALLEL} -n1 curl -s",
                [*xargs, str(inputs.urls), str(t.curl), "-s"] if t.curl else None,
                rss_meaningful=False,
            ),
            add(
                "curl-parallel",
                f"curl --parallel --parallel-max {PARALLEL}",
                _tool(t.curl, "-s", "--parallel", "--parallel-max", str(PARALLEL), "-K", str(inputs.curl_config)),
            ),
            add("apicli-few", f"apicli batch ({few:,})", apicli_batch(inputs.few_urls), check=_check_ndjson_lines(few)),
            add(
                "xargs-apicli",
                f"xargs -P{PARALLEL} -n1 apicli get ({few:,})",
                [*xargs, str(inputs.few_urls), str(t.apicli), "get", "-s"] if t.apicli else None,
                runs=(1, 1),
                rss_meaningful=False,
            ),
            add("apicli-lines", f"apicli batch ({lines:,} lines with ids)", apicli_batch(inputs.lines), runs=(1, 1)),
        ],
        anchors=["bare", "xargs-apicli"],
        goals=[
            Goal("apicli", "time", 1.15, "bare"),
            Goal("apicli", "time", 1.0, "xargs-curl"),
            Goal("apicli-few", "time", 0.1, "xargs-apicli"),
            Goal("apicli", "rss", 60),
            Goal("apicli-lines", "rss", 60),
        ],
        notes=[
            "The server is the Python static server (servers.py), not nginx: every tool shares it, and the server "
            "check at the top shows what curl gets from it.",
            "Each row writes what it received to stdout (a file for its first run, else /dev/null); apicli's "
            "results are checked for one NDJSON line per request. `xargs` rows have no meaningful peak RSS.",
            f"APICLI_BENCH_BATCH_SCALE={batch_rows.SCALE:g} set the counts; the --rate rows follow as 10b.",
        ],
    )


def build_scenarios(tools: Tools, urls: Endpoints, files: DataFiles, plan: RunPlan) -> list[Scenario]:
    """The wall-time scenarios, resolved to argv lists and run counts."""
    ctx = _Context(tools, urls, files, plan)
    builders = (_small, _large, _pretty, _paginate, _parallel, _download, _ci, _jqstream, _batch)
    return [build(ctx) for build in builders]


def with_stderr_tty(scenario: Scenario) -> Scenario:
    """The same scenario with every command's stderr on a pseudo-terminal (progress bars drawn)."""
    commands = [replace(c, stderr_tty=True) for c in scenario.commands]
    note = "--tty-stderr: every row's stderr was a pseudo-terminal, so tools that draw progress bars drew them."
    return replace(scenario, commands=commands, notes=[*scenario.notes, note])


# --baseline: each apicli row gets a twin run by another checkout's apicli, in the same rotation.
BEFORE_SUFFIX = "@before"
BASELINE_ROUNDS = 10  # the fewest interleaved rounds a before/after comparison rests on


def with_baseline(scenario: Scenario, apicli: Path, baseline: Path, rounds: int | None) -> Scenario:
    """`scenario` with a baseline row after every row that runs `apicli`, measured as often as it.

    `rounds`: the fewest measured runs for each such pair (None: the counts the plan gave)."""
    commands: list[Command] = []
    for command in scenario.commands:
        if not command.argv or command.argv[0] != str(apicli):
            commands.append(command)
            continue
        runs = max(command.runs, rounds) if rounds is not None and command.runs else command.runs
        after = replace(command, runs=runs)
        commands += [after, _baseline_twin(after, baseline)]
    return replace(scenario, commands=commands)


def _baseline_twin(command: Command, baseline: Path) -> Command:
    assert command.argv is not None
    argv = [str(baseline), *command.argv[1:]]
    output_file = command.output_file
    if output_file is not None:  # its own file, which the harness checks and deletes after each run
        output_file = output_file.with_name(f"{output_file.stem}{BEFORE_SUFFIX}{output_file.suffix}")
        argv = [str(output_file) if word == str(command.output_file) else word for word in argv]
    return replace(
        command, key=command.key + BEFORE_SUFFIX, label=f"{command.label} (before)", argv=argv, output_file=output_file
    )
