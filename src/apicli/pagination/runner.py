"""The page loop: fetch a page, write its items, find the next page, and stop at the right time.

The loop decides one page at a time: page k+1 is the URL that page k names or that the
pager computes. With --parallel, the URLs a pager can compute ahead are fetched by
worker threads in advance, and a prefetched page is used only when its URL is exactly
the one the loop asks for next. The output is therefore the sequential output, byte
for byte, even when a server's totals or links turn out to be wrong.

Guards: --max-pages and --max-items end the run early (success); a set of visited URLs
catches cycles. A next link on another origin is followed with a note when no credential
is in play; with one it is refused unless --allow-cross-origin (and even then Client.prepare
sends no credentials there). Any error names its page.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import requests

from ..errors import ApicliError, CrossOriginRefused, CycleDetected, PipeClosed, ResponseFormatError
from ..formats.urls import DEFAULT_PORTS, add_query, is_secret_query_name, origin_of, redact_url, same_origin
from ..output import ByteSink
from ..output.printer import Printer
from ..output.report import Reporter, is_secret_header_name
from ..request.client import Client, ExchangeObserver
from ..spec import NO_HEADER, OutputOptions, RequestSpec
from .documents import ItemBatch, Page, PageItems
from .fetcher import PageFetcher
from .pacing import DaemonExecutor, Throttle
from .pagesize import full_page_note
from .schemes import Pager, detect_pager, forced_pager
from .settings import PaginationSettings
from .sinks import ItemSink, make_sink

if TYPE_CHECKING:
    from ..filters.jqfilter import JqProgram
    from ..filters.schema import SchemaValidator
    from ..inputs.writeout import Segment

__all__ = ["paginate"]


class VisitedUrls:
    """URLs already requested, kept as 16-byte digests so that long runs stay small."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def add(self, url: str) -> bool:
        """Record `url`; False when it was there already."""
        key = hashlib.blake2b(url.partition("#")[0].encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


class Prefetcher:
    """Pages fetched ahead by workers in plan order, at most `2 × workers` outstanding."""

    def __init__(self, fetch: Callable[[str], Page], workers: int, reporter: Reporter) -> None:
        self.fetch = fetch
        self.workers = workers
        self.window = 2 * workers
        self.reporter = reporter
        self.executor: DaemonExecutor | None = None
        self.pending: deque[tuple[str, Future[Page]]] = deque()
        self.plan: Iterator[str] | None = None

    def start(self, urls: Iterator[str]) -> None:
        self.executor = DaemonExecutor(self.workers)
        self.plan = urls
        self._fill()

    def take(self, url: str) -> Future[Page] | None:
        """The prefetched page for `url` if it is the next one planned; otherwise stop prefetching."""
        if self.pending and self.pending[0][0] == url:
            _, future = self.pending.popleft()
            self._fill()
            return future
        if self.pending or self.plan is not None:
            self.reporter.verbose(
                "apicli: paginate: the next page is not the planned one; one page at a time from here"
            )
            self.stop()
        return None

    def stop(self) -> None:
        """Cancel what has not started; never wait for what has (workers are daemon threads)."""
        for _, future in self.pending:
            if not future.cancel() and future.done() and future.exception() is None:
                future.result().close()  # a page whose items were still to arrive keeps a connection
        self.pending.clear()
        self.plan = None
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)

    def _fill(self) -> None:
        while self.plan is not None and self.executor is not None and len(self.pending) < self.window:
            url = next(self.plan, None)
            if url is None:
                self.plan = None
                return
            self.pending.append((url, self.executor.submit(self.fetch, url)))


def _write_items(page: Page, sink: ItemSink, budget: int | None) -> int:
    """Write the page's items, a batch at a time, at most `budget` of them; returns how many were written."""
    items = page.items
    batches = items.batches() if isinstance(items, PageItems) else iter([items])
    written = 0
    for batch in batches:
        if budget is not None and written + len(batch) > budget:
            taken = (batch.items() if isinstance(batch, ItemBatch) else batch)[: budget - written]
            sink.write_page(taken)
            return written + len(taken)
        if isinstance(batch, ItemBatch):
            sink.write_batch(batch)
        else:
            sink.write_page(batch)
        written += len(batch)
        if budget is not None and written >= budget:
            break
    return written


@contextlib.contextmanager
def _page_errors(number: int) -> Iterator[None]:
    """Name the page in any error raised while handling it."""
    try:
        yield
    except PipeClosed:
        raise
    except ApicliError as exc:
        exc.message = f"page {number}: {exc.message}"
        raise


class PageLoop:
    def __init__(self, client: Client, spec: RequestSpec, settings: PaginationSettings, fetcher: PageFetcher) -> None:
        self.settings = settings
        self.reporter = client.reporter
        self.origin = spec.url
        self.start_url = add_query(spec.url, spec.query)
        self.fetcher = fetcher
        self.spec = spec
        self.noted_origins: set[tuple[str, str, int]] = set()

    def run(self, sink: ItemSink) -> None:
        workers = self.settings.parallel
        prefetch = Prefetcher(self.fetcher.fetch, workers, self.reporter) if workers > 1 else None
        try:
            self._loop(sink, prefetch)
        except PipeClosed:
            raise
        except ApicliError:
            # Items already written stay, and an --array stays open: partial output must not look whole.
            with contextlib.suppress(OSError, ApicliError):
                sink.abort()
            raise
        finally:
            if prefetch is not None:
                prefetch.stop()
        sink.finish()

    def _loop(self, sink: ItemSink, prefetch: Prefetcher | None) -> None:
        settings = self.settings
        verbose = self.reporter.verbose
        pager = forced_pager(settings, self.reporter.note)
        url = pager.first_url(self.start_url) if pager is not None else self.start_url
        visited = VisitedUrls()
        visited.add(url)
        written = 0
        number = 0
        while True:
            number += 1
            with _page_errors(number):
                future = prefetch.take(url) if prefetch is not None else None
                page = future.result() if future is not None else self.fetcher.fetch(url)
                described = page.complete  # a page still arriving has its document after its items
                with contextlib.closing(page):
                    if described:
                        pager = self._describe(pager, page, number)
                    written += _write_items(
                        page, sink, None if settings.max_items is None else settings.max_items - written
                    )
                if page.report is not None and self.fetcher.writer is not None:
                    self.fetcher.writer.write(page.report)
                if settings.max_items is not None and written >= settings.max_items:
                    verbose(f"apicli: paginate: stopped at --max-items {settings.max_items}")
                    break
                pager = pager if described and pager is not None else self._describe(pager, page, number)
                if settings.max_pages is not None and number >= settings.max_pages:
                    verbose(f"apicli: paginate: stopped at --max-pages {settings.max_pages}")
                    break
                next_url = pager.next_url(page)
                if next_url is None:
                    if number == 1:
                        self._note_full_page(pager, page)
                    break
                self._check_next(next_url, visited)
                if prefetch is not None and number == 1:
                    self._start_prefetch(prefetch, pager, page, next_url)
            url = next_url
        verbose(f"apicli: paginate: {number} page{'s' if number != 1 else ''}, {written} items")

    def _describe(self, pager: Pager | None, page: Page, number: int) -> Pager:
        """The pager: detected from the first page (once), and said with -v."""
        if pager is None:
            pager = detect_pager(page)
            self.reporter.verbose(f"apicli: paginate: detected {pager.describe()}")
        elif number == 1:
            self.reporter.verbose(f"apicli: paginate: {pager.describe()}")
        return pager

    def _note_full_page(self, pager: Pager, page: Page) -> None:
        """A full first page that named no next one most likely is not the whole collection: say so."""
        looked_for = pager.looked_for(page)
        if looked_for is not None:
            note = full_page_note(page.url, len(page.items), looked_for)
            if note is not None:
                self.reporter.note(note)

    def _check_next(self, url: str, visited: VisitedUrls) -> None:
        if origin_of(url)[0] not in DEFAULT_PORTS:
            raise ResponseFormatError(f"the next link {redact_url(url)[:200]!r} is not an http(s) URL")
        if not same_origin(url, self.origin):
            self._check_cross_origin(url)
        if not visited.add(url):
            raise CycleDetected(
                f"the next link {redact_url(url)} was already fetched: the pages form a cycle; stopping",
                hint="the server's pagination loops; --max-pages N bounds a run",
            )

    def _check_cross_origin(self, url: str) -> None:
        """Credentials make another origin a question (refused unless allowed); without them it is only news."""
        allowed = self.settings.allow_cross_origin
        if not allowed and credentials_in_play(self.spec):
            raise CrossOriginRefused(
                f"the next link {redact_url(url)} is on another origin than {redact_url(self.origin)}; not followed",
                hint="pass --allow-cross-origin to follow it (credentials are never sent to another origin)",
            )
        origin = origin_of(url)
        if not allowed and origin not in self.noted_origins:
            self.noted_origins.add(origin)
            self.reporter.note(
                f"apicli: paginate: following next links to another origin, {redact_url(url)} "
                f"(started at {redact_url(self.origin)})"
            )

    def _start_prefetch(self, prefetch: Prefetcher, pager: Pager, page: Page, next_url: str) -> None:
        label = f"apicli: paginate: --parallel {self.settings.parallel}"
        plan = pager.plan(page, next_url)
        urls = plan.urls
        first = next(urls, None) if urls is not None else None
        if urls is None or first != next_url:
            reason = plan.note if urls is None else "the planned URLs do not start at the next link"
            self.reporter.verbose(f"{label}: {reason}; fetching one page at a time")
            return
        # Every planned URL shares next_url's origin, which _check_next has just allowed.
        planned: Iterator[str] = itertools.chain([first], urls)
        if self.settings.max_pages is not None:
            planned = itertools.islice(planned, max(self.settings.max_pages - 1, 0))
        self.reporter.verbose(f"{label}: fetching ahead ({plan.note})")
        prefetch.start(planned)


def credentials_in_play(spec: RequestSpec) -> bool:
    """Whether this run carries a secret for its origin: auth options, secret headers or query values, netrc."""
    creds = spec.credentials
    if creds.basic or creds.bearer or creds.api_key:
        return True
    if any(is_secret_header_name(name) for name, value in spec.headers if value and value != NO_HEADER):
        return True
    parts = urlsplit(spec.url)
    if parts.password or parts.username:
        return True
    pairs = [*parse_qsl(parts.query, keep_blank_values=True), *spec.query]
    if any(is_secret_query_name(name) for name, _ in pairs):
        return True
    # requests adds ~/.netrc credentials for the start origin on its own.
    return requests.utils.get_netrc_auth(spec.url) is not None


def paginate(
    client: Client,
    spec: RequestSpec,
    settings: PaginationSettings,
    output: OutputOptions,
    printer: Printer,
    *,
    jq: JqProgram | None = None,
    schema: SchemaValidator | None = None,
    write_out: tuple[Segment, ...] | None = None,
    observe: ExchangeObserver | None = None,
) -> None:
    """Fetch every page from `spec` and write the items to the printer's body sink; raise on failure.

    With `jq`, the program's results are written instead of the items; with `schema`, every
    item is checked, and a mismatch raises SchemaValidationError once all the output is written.
    """
    throttle = Throttle(settings.pacing, client.clock)
    template = spec._replace(query=())
    writer = None
    if write_out is not None:
        from ..request.transferinfo import WriteOut

        writer = WriteOut(write_out, printer)
    fetcher = PageFetcher(
        client,
        template,
        output,
        throttle,
        settings.items_path,
        exact_numbers=jq is not None,
        writer=writer,
        observe=observe,
    )
    loop = PageLoop(client, spec, settings, fetcher)

    def open_sink(stream: ByteSink) -> ItemSink:
        if jq is None and schema is None:
            return make_sink(stream, printer.renderer, array=settings.array)
        from .filters import filtered_sink  # only --jq and --schema pay for loading jq and jsonschema

        return filtered_sink(stream, printer.renderer, settings, jq=jq, schema=schema)

    with printer.body_sink() as stream:
        sink = open_sink(stream)
        loop.run(sink)
    failure = sink.failure()
    if failure is not None:
        raise failure
