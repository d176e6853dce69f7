"""Render measurements as markdown: one table per scenario, its goals, and the RESULTS.md page.

Pure ``format_*`` functions return strings; run.py decides where they go.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from measure import Measurement
from scenarios import BEFORE_SUFFIX, Goal, Scenario

# --baseline: an apicli row whose median is more than this times its baseline's is a regression.
REGRESSION_LIMIT = 1.05


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario together with what its commands measured."""

    scenario: Scenario
    measurements: list[Measurement]

    def by_key(self) -> dict[str, Measurement]:
        return {m.command.key: m for m in self.measurements}


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    ms = seconds * 1000
    if ms < 99.95:
        return f"{ms:.1f} ms"
    return f"{ms:.0f} ms" if ms < 999.5 else f"{seconds:.2f} s"


def format_status(m: Measurement) -> str:
    c = m.command
    if c.argv is None:
        return f"missing ({c.unavailable})"
    if c.runs == 0:
        return c.unavailable or "skipped"
    if m.failure:
        return f"**FAILED** ({m.failure})"
    if m.check_warning:
        return f"⚠ output: {m.check_warning}"
    return "ok"


def format_command(argv: list[str] | None, replacements: dict[str, str]) -> str:
    """The command line with long paths and URLs shortened, for the tables."""
    if argv is None:
        return "—"
    words = [argv[0].rsplit("/", 1)[-1], *argv[1:]]
    text = shlex.join(words)
    for long, short in replacements.items():
        text = text.replace(long, short)
    escaped = text.replace("|", "\\|")  # a bare | would end the table cell
    return f"`{escaped}`"


def _ratio(m: Measurement | None, anchor: Measurement | None) -> float | None:
    if m is None or anchor is None or not m.ok or not anchor.ok:
        return None
    assert m.median is not None and anchor.median is not None
    return m.median / anchor.median


def evaluate_goal(goal: Goal, result: ScenarioResult) -> tuple[str, str]:
    """The measured value as text, and PASS, FAIL or n/a with the reason."""
    by_key = result.by_key()
    subject = by_key.get(goal.subject)
    if subject is None or subject.command.argv is None:
        return "—", "FAIL (not available)"
    if not subject.ok:
        return "—", "FAIL (failed)" if subject.failure else "n/a (not run)"
    if goal.metric == "rss" and goal.anchor:
        anchor = by_key.get(goal.anchor)
        if subject.peak_rss_mb is None or anchor is None or not anchor.peak_rss_mb:
            return "—", "n/a"
        value = subject.peak_rss_mb / anchor.peak_rss_mb
        measured = f"{value:.2f}× ({subject.peak_rss_mb:.1f} MB)"
    elif goal.metric == "rss":
        value = subject.peak_rss_mb
        if value is None:
            return "—", "n/a"
        measured = f"{value:.1f} MB"
    else:
        value = _ratio(subject, by_key.get(goal.anchor))
        if value is None:
            return "—", "n/a (anchor did not run)"
        measured = f"{value:.2f}×"
    if subject.check_warning:
        return measured, "FAIL (wrong output)"
    return measured, "PASS" if value <= goal.limit else "FAIL"


def format_scenario(result: ScenarioResult, replacements: dict[str, str]) -> str:
    """The scenario's heading, table of tools, goals and notes."""
    s = result.scenario
    by_key = result.by_key()
    labels = {m.command.key: m.command.label for m in result.measurements}
    show_hyperfine = any(m.hyperfine_median is not None for m in result.measurements)
    header = ["Tool", "Command", "Runs", "Median", "Min", "Max"]
    header += [f"× {labels[a]}" for a in s.anchors]
    header += ["Peak RSS"] + (["hyperfine median"] if show_hyperfine else []) + ["Status"]
    rows = []
    for m in result.measurements:
        ratios = [_ratio(m, by_key.get(a)) for a in s.anchors]
        rss = m.peak_rss_mb
        row = [
            f"**{m.command.label}**" if m.command.key.startswith("apicli") else m.command.label,
            format_command(m.command.argv, replacements),
            str(len(m.samples)),
            format_seconds(m.median),
            format_seconds(m.minimum),
            format_seconds(m.maximum),
            *(f"{r:.2f}×" if r is not None else "—" for r in ratios),
            f"{rss:.1f} MB" if rss is not None else "—",
        ]
        if show_hyperfine:
            row.append(format_seconds(m.hyperfine_median))
        rows.append([*row, format_status(m)])
    lines = [f"### {s.number}. {s.title}", "", *_table(header, rows), ""]
    if s.goals:
        goal_rows = [[g.describe(labels), *evaluate_goal(g, result)] for g in s.goals]
        lines += [*_table(["Goal", "Measured", "Result"], goal_rows), ""]
    lines += [f"- {note}" for note in s.notes]
    return "\n".join(lines).rstrip() + "\n"


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def format_key_values(title: str, items: dict[str, str]) -> str:
    return "\n".join([f"### {title}", "", *(f"- **{k}**: {v}" for k, v in items.items())]) + "\n"


def format_server_check(rows: list[list[str]]) -> str:
    """The table proving the server is not the bottleneck."""
    text = [
        "### Server check",
        "",
        "curl against each endpoint before the scenarios: the server together with the leanest",
        "client. The tools compared below take several times longer (most tables repeat the figure",
        "in a curl row), so the server is not what the scenarios measure.",
        "",
        *_table(["Endpoint", "curl median", "Reading"], rows),
    ]
    return "\n".join(text) + "\n"


def format_results_page(
    machine: dict[str, str],
    versions: dict[str, str],
    settings: dict[str, str],
    server_check: str,
    scenarios: list[str],
    summary: list[list[str]],
    notices: list[str],
) -> str:
    """The whole of RESULTS.md."""
    parts = [
        "# apicli benchmarks\n",
        "Generated by `benchmarks/run.py`; medians of several runs, tools interleaved run by run."
        " Ratios are medians divided by the anchor's median; lower is better.\n",
        *(f"> **Note:** {notice}\n" for notice in notices),
        "## Summary\n",
        format_summary(summary),
        "## Setup\n",
        format_key_values("Machine", machine),
        format_key_values("Tool versions", versions),
        format_key_values("Run settings", settings),
        "## Results\n",
        server_check,
        *scenarios,
    ]
    return "\n".join(parts)


def format_summary(rows: list[list[str]]) -> str:
    return "\n".join(_table(["Scenario", "Goal", "Measured", "Result"], rows)) + "\n"


def summary_rows(results: list[ScenarioResult]) -> list[list[str]]:
    """One row per goal across every scenario that ran."""
    rows = []
    for result in results:
        labels = {m.command.key: m.command.label for m in result.measurements}
        for goal in result.scenario.goals:
            rows.append(
                [
                    f"{result.scenario.number}. {result.scenario.key}",
                    goal.describe(labels),
                    *evaluate_goal(goal, result),
                ]
            )
    return rows


@dataclass(frozen=True)
class BeforeAfter:
    """An apicli row and its baseline twin, measured in the same rotation; again if the first looked worse."""

    scenario: str
    after: Measurement
    before: Measurement
    rerun: tuple[Measurement, Measurement] | None = None  # (after, before)

    @property
    def ratio(self) -> float | None:
        return _ratio(self.after, self.before)

    @property
    def rerun_ratio(self) -> float | None:
        return _ratio(*self.rerun) if self.rerun else None

    def needs_rerun(self) -> bool:
        return self.ratio is not None and self.ratio > REGRESSION_LIMIT

    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a (a row failed or did not run)"
        if self.ratio <= REGRESSION_LIMIT:
            return "PASS"
        if self.rerun is None:
            return "FAIL (not rerun)"
        if self.rerun_ratio is None:
            return "FAIL (the rerun failed)"
        return "PASS on rerun" if self.rerun_ratio <= REGRESSION_LIMIT else "FAIL"


def before_after_pairs(result: ScenarioResult) -> list[BeforeAfter]:
    """Each apicli row of the scenario with its baseline twin."""
    by_key = result.by_key()
    name = f"{result.scenario.number}. {result.scenario.key}"
    return [
        BeforeAfter(name, m, by_key[m.command.key + BEFORE_SUFFIX])
        for m in result.measurements
        if m.command.key + BEFORE_SUFFIX in by_key
    ]


def _times(ratio: float | None) -> str:
    return f"{ratio:.3f}×" if ratio is not None else "—"


def format_before_after(pairs: list[BeforeAfter], baseline: str, wanted_rounds: int) -> str:
    """The before/after section: every apicli row against the baseline checkout's, and the verdicts."""
    rows = [
        [
            pair.scenario,
            pair.after.command.label,
            str(min(len(pair.after.samples), len(pair.before.samples))),
            format_seconds(pair.before.median),
            format_seconds(pair.after.median),
            _times(pair.ratio),
            _times(pair.rerun_ratio) if pair.rerun else "—",
            pair.verdict(),
        ]
        for pair in pairs
    ]
    header = ["Scenario", "Row", "Rounds", "Before", "After", "After / before", "Rerun", "Result"]
    lines = [
        "## Before and after\n",
        f"Every apicli row again with the baseline `{baseline}`, interleaved in the same rotation. A row",
        f"passes when its median is at most {REGRESSION_LIMIT:g}× the baseline's. A slower one is measured",
        "once more, both commands interleaved, and fails only if it is slower in the rerun too.",
        "",
        *_table(header, rows),
    ]
    fewest = min((int(row[2]) for row in rows), default=0)
    if fewest < wanted_rounds:
        lines += ["", f"- Some rows have {fewest} rounds, fewer than the {wanted_rounds} a verdict should rest on."]
    return "\n".join(lines) + "\n"


def before_after_summary(pairs: list[BeforeAfter]) -> list[str]:
    """The summary row: the worst ratio, and PASS only if every row passed."""
    worst = max((pair.rerun_ratio or pair.ratio or 0.0 for pair in pairs), default=0.0)
    failed = [pair for pair in pairs if not pair.verdict().startswith("PASS")]
    verdict = f"FAIL ({len(failed)} of {len(pairs)} rows)" if failed else "PASS"
    return ["before/after", f"each apicli row ≤ {REGRESSION_LIMIT:g}× the baseline's", f"worst {worst:.3f}×", verdict]
