"""Where new users trip, part 3: a paginate run that stops after one full page without saying so,
and a download that a plain rerun started over instead of resuming. Each row is a real process.

A first page that named a page size (per_page, _limit, page[size], ...), came back exactly full and
pointed nowhere gets a note on stderr saying what was looked for (-s silences it); a small
collection stays quiet. A plain rerun of a download picks up the `.part` an earlier run left when
its `.part.meta` names a validator the server still agrees with, and starts over, saying why, when not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.faults.behaviours import RangeFile, Reply, ShortBody, json_reply
from tests.faults.faultserver import FaultServer
from tests.hostile.harness import assert_clean, run

if TYPE_CHECKING:
    from tests.faults.wire import Exchange

ITEMS = [{"id": number} for number in range(1, 13)]
BODY_PLACES = (
    "next, links.next, _links.next.href, meta.next, paging.next, pagination.next, next_page_url, "
    "@odata\\.nextLink, nextLink"  # a dot inside a key is escaped, as --next takes it
)
RESTART = "; restarting {out} from zero"
UNCHECKED = "cannot be checked against the server"


@dataclass(frozen=True)
class PagesOnlyWhenAsked:
    """json-server's habit: `?_page=N` gets a page and a Link header; without `_page`, `_limit` alone cuts the list."""

    items: tuple[Any, ...]

    def serve(self, exchange: Exchange) -> None:
        params = exchange.request.params
        limit = int(params.get("_limit", ["10"])[0])
        if "_page" not in params:
            json_reply(list(self.items[:limit])).serve(exchange)
            return
        page = int(params["_page"][0])
        last = max(1, -(-len(self.items) // limit))
        base = f"{exchange.request.path}?_limit={limit}"
        links = [f'<{base}&_page=1>; rel="first"', f'<{base}&_page={last}>; rel="last"']
        if page < last:
            links.append(f'<{base}&_page={page + 1}>; rel="next"')
        chosen = list(self.items[(page - 1) * limit : page * limit])
        json_reply(chosen, headers=[("Link", ", ".join(links))]).serve(exchange)


def full_note(items: int, asked: str, looked_for: str) -> str:
    return (
        f"apicli: paginate: page 1 came back full ({items} items for {asked}) but nothing pointed to "
        f"a next page (looked for {looked_for}); stopping after it; if the API numbers its pages, "
        "add --page-param NAME (e.g. page or _page)\n"
    )


ANYWHERE = f'a Link header with rel="next" or a next URL in the body at {BODY_PLACES}'

# (row, path, behaviour, arguments after the URL, items written, the exact stderr)
PAGINATE = [
    (
        "json-server-limit-only",
        "/posts?_limit=5",
        PagesOnlyWhenAsked(tuple(ITEMS)),
        [],
        5,
        full_note(5, "_limit=5", ANYWHERE),
    ),
    (
        "per-page-query-item-data-envelope",
        "/users",
        json_reply({"data": ITEMS[:4]}),
        ["per_page==4"],
        4,
        full_note(4, "per_page=4", ANYWHERE),
    ),
    (
        "jsonapi-page-size",
        "/things?page%5Bsize%5D=3",
        json_reply({"data": ITEMS[:3]}),
        [],
        3,
        full_note(3, "page[size]=3", ANYWHERE),
    ),
    (
        "forced-link-scheme-no-link",
        "/links?limit=2",
        json_reply(ITEMS[:2]),
        ["--scheme", "link"],
        2,
        full_note(2, "limit=2", 'a Link header with rel="next"'),
    ),
    (
        "forced-next-path-missing",
        "/body?limit=2",
        json_reply({"items": ITEMS[:2]}),
        ["--next", "meta.after"],
        2,
        full_note(2, "limit=2", "a next URL in the body at meta.after"),
    ),
    ("small-collection-stays-quiet", "/small?per_page=10", json_reply(ITEMS[:3]), [], 3, ""),
    ("quiet-silences-the-note", "/quiet?per_page=3", json_reply(ITEMS[:3]), ["-s"], 3, ""),
    ("no-page-size-named", "/plain", json_reply(ITEMS[:3]), [], 3, ""),
    ("null-next-says-last", "/null?per_page=3", json_reply({"data": ITEMS[:3], "next": None}), [], 3, ""),
    (
        "paging-links-without-next-say-last",
        "/lastpage?per_page=3",
        Reply(
            200,
            [("Content-Type", "application/json"), ("Link", '</lastpage?page=1>; rel="first"')],
            json.dumps(ITEMS[:3]),
        ),
        [],
        3,
        "",
    ),
    (
        "page-param-follows-them-all",
        "/posts?_limit=5",
        PagesOnlyWhenAsked(tuple(ITEMS)),
        ["--page-param", "_page"],
        12,
        "",
    ),
]


@pytest.mark.parametrize(
    ("path", "behaviour", "extra", "count", "stderr"), [row[1:] for row in PAGINATE], ids=[row[0] for row in PAGINATE]
)
def test_a_full_first_page_that_points_nowhere_is_said(
    fault_server: FaultServer, path: str, behaviour: Any, extra: list[str], count: int, stderr: str
) -> None:
    fault_server.script(path, behaviour)
    outcome = run(["paginate", fault_server.url(path), *extra])
    assert_clean(outcome, 0)
    assert outcome.stderr == stderr
    assert [json.loads(line) for line in outcome.stdout.splitlines()] == ITEMS[:count]


# --- a plain rerun of a download ---------------------------------------------------------------------

SIZE = 200_000
CUT = 70_000
V1 = bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256)
V2 = V1[::-1]


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def leave_part(out: Path, url: str, meta: dict[str, Any] | None) -> Path:
    """What an interrupted earlier run leaves: NAME.part with V1's first bytes, and maybe its meta."""
    part = out.with_name(out.name + ".part")
    part.write_bytes(V1[:CUT])
    if meta is not None:
        part.with_name(part.name + ".meta").write_text(json.dumps({"url_key": url_key(url), "name": None, **meta}))
    return part


# (row, the part's meta (None: no meta file), the server's file, what the rerun says, bytes asked from)
RERUN = [
    (
        "same-version-resumes",
        {"validator": '"v1"', "total": SIZE},
        RangeFile(V1, etag='"v1"'),
        "apicli: resuming {out} from byte 70000, kept in '{out}.part' by an earlier run",
        CUT,
    ),
    (
        "changed-etag-restarts",
        {"validator": '"v1"', "total": SIZE},
        RangeFile(V2, etag='"v2"'),
        f'{{out}} changed on the server (ETag: "v2" instead of "v1"){RESTART}',
        CUT,
    ),
    (
        "no-meta-starts-over",
        None,
        RangeFile(V2, etag='"v2"'),
        f"{UNCHECKED} (there is no file.bin.part.meta recording which version it holds){RESTART}",
        None,
    ),
    (
        "no-validator-starts-over",
        {"validator": None, "total": SIZE},
        RangeFile(V2, etag='"v2"'),
        f"{UNCHECKED} (the server sent no ETag or Last-Modified for it){RESTART}",
        None,
    ),
]


@pytest.mark.parametrize(
    ("meta", "server", "said", "range_from"), [row[1:] for row in RERUN], ids=[row[0] for row in RERUN]
)
def test_a_plain_rerun_resumes_a_matching_part_and_says_why_it_starts_over(
    fault_server: FaultServer,
    tmp_path: Path,
    meta: dict[str, Any] | None,
    server: RangeFile,
    said: str,
    range_from: int | None,
) -> None:
    url = fault_server.url("/file.bin")
    out = tmp_path / "file.bin"
    part = leave_part(out, url, meta)
    fault_server.script("/file.bin", server)
    outcome = run(["download", url, "-o", str(out)])
    assert_clean(outcome, 0, stderr_has=said.format(out=out), bounded=True)
    assert out.read_bytes() == server.payload
    assert not part.exists()
    sent = fault_server.requests[0].headers
    if range_from is None:
        assert sent.get("Range") is None
    else:
        assert (sent.get("Range"), sent.get("If-Range")) == (f"bytes={range_from}-", meta and meta["validator"])


def test_a_rerun_after_a_broken_download_resumes_and_counts_only_this_runs_bytes(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    url = fault_server.url("/dir/file.bin")
    fault_server.script("/dir/file.bin", [RangeFile(V1, etag='"v1"', cut_after=CUT), RangeFile(V1, etag='"v1"')])
    first = run(["download", url, "-d", str(tmp_path), "--retries", "0"])
    part = tmp_path / "file.bin.part"
    assert_clean(
        first,
        1,
        stderr_has=f"hint: the partial download is kept in {str(part)!r}; run the same command again to resume it",
    )
    again = run(["download", url, "-d", str(tmp_path), "--retries", "0"])
    assert_clean(again, 0)
    lines = again.stderr.splitlines()
    assert lines[0] == f"apicli: resuming file.bin from byte {CUT}, kept in {str(part)!r} by an earlier run"
    # The size is the file's; the speed is this run's 130 kB only.
    assert lines[1].startswith(f"apicli: saved {tmp_path / 'file.bin'} (200.0 kB, 130.0 kB this run, ")
    assert len(lines) == 2
    assert (tmp_path / "file.bin").read_bytes() == V1
    assert fault_server.requests[1].headers.get("Range") == f"bytes={CUT}-"


def test_a_broken_download_without_validator_says_a_rerun_starts_over_and_it_does(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    url = fault_server.url("/plain.bin")
    no_validator = (("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream"))
    fault_server.script("/plain.bin", [ShortBody(Reply(200, no_validator, V1), CUT), Reply(200, no_validator, V2)])
    out = tmp_path / "plain.bin"
    part = tmp_path / "plain.bin.part"
    first = run(["download", url, "-o", str(out), "--retries", "0"])
    assert_clean(
        first,
        1,
        stderr_has=f"hint: the partial download is kept in {str(part)!r}; the server sent no ETag or "
        "Last-Modified, so a rerun starts over; --continue resumes it unchecked",
    )
    again = run(["download", url, "-o", str(out)])
    assert_clean(again, 0)
    assert again.stderr.splitlines()[0] == (
        f"apicli: {str(part)!r} from an earlier run cannot be checked against the server "
        f"(the server sent no ETag or Last-Modified for it); restarting {out} from zero"
    )
    assert out.read_bytes() == V2
    assert fault_server.requests[1].headers.get("Range") is None
