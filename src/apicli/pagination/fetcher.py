"""Fetching one page: the request, its status, and its body walked as it arrives (pagewalk.py).

A page whose items are still arriving when `fetch` returns keeps its connection open; it is
closed, and the page reported to -w and --report, once the last of it is read or it is closed.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import TYPE_CHECKING

import requests

from ..errors import ApicliError
from ..request.client import Client, ExchangeObserver
from ..spec import OutputOptions, RequestSpec
from .documents import Page, PageItems, not_json
from .dotpath import DotPath
from .pacing import Throttle
from .pagewalk import PageWalk, read_items

if TYPE_CHECKING:
    from ..request.transferinfo import WriteOut

__all__ = ["PageFetcher"]

_NO_CONTENT = 204


class PageFetcher:
    """Fetches one page and parses it; safe to call from several threads at once."""

    def __init__(
        self,
        client: Client,
        template: RequestSpec,
        options: OutputOptions,
        throttle: Throttle,
        items_path: DotPath | None,
        *,
        exact_numbers: bool = False,
        writer: WriteOut | None = None,
        observe: ExchangeObserver | None = None,
    ) -> None:
        self.client = client
        self.template = template
        self.options = options
        self.throttle = throttle
        self.items_path = items_path
        self.exact_numbers = exact_numbers  # --jq: numbers kept as written
        self.writer = writer  # -w: a report per page
        self.observe = observe  # --report: a case per page

    def fetch(self, url: str) -> Page:
        """The page at `url`, with its items held or, for a page past the hold, still arriving."""
        if self.writer is None and self.observe is None:
            return self._fetch(url, None)
        clock = None
        if self.writer is not None:
            from ..transport.timing import start_clock

            clock = start_clock()
        answered: list[requests.Response] = []
        started = time.perf_counter()
        spec = self.template._replace(url=url)

        def settle(page: Page | None, error: ApicliError | None) -> None:
            """The exchange is over (the page's last byte read, or a failure): report it."""
            response = answered[-1] if answered else None
            if self.observe is not None:
                self.observe(spec, response, time.perf_counter() - started, error)
            if self.writer is None:
                return
            if error is not None or page is None:
                self.writer.transfer(spec, clock, response, error)
                return
            from ..request.transferinfo import transfer_report

            page.report = transfer_report(
                url=url, method="GET", clock=clock, response=response, error=None, filename=self.writer.filename
            )

        try:
            page = self._fetch(url, answered)
        except ApicliError as exc:
            settle(None, exc)
            raise
        if isinstance(page.items, PageItems) and page.items.streaming:
            page.items.on_end.append(lambda error: settle(page, error))
        else:
            settle(page, None)
        return page

    def _fetch(self, url: str, answered: list[requests.Response] | None) -> Page:
        client = self.client
        with ExitStack() as stack:
            prepared = client.prepare(self.template._replace(url=url), stack)
            self.throttle.wait()
            response = client.send(prepared)
            if answered is not None:
                answered.append(response)
            stack.callback(response.close)
            client.show_response_head(response, self.options.include)
            client.check_status(response, self.options.ignore_status)
            headers = response.headers
            content_type = headers.get("Content-Type")
            page = Page(url, response.url or url, _link_values(response), headers.get("X-Total-Count"), None, [])
            # Read as it arrives: a page costs what is held of it (PAGE_HOLD) and one batch, whatever its size.
            walk = PageWalk(client.body_chunks(response), self.items_path, exact=self.exact_numbers)
            if walk.empty():
                if response.status_code != _NO_CONTENT:
                    raise not_json(b"", content_type, ValueError("empty"))
                return page
            items = page.items = read_items(walk, content_type)
            if not items.streaming:
                page.document = walk.document
                return page
            # The rest of the page is read as its items are written: the connection stays open until then.
            items.closer = stack.pop_all().close
            items.on_end.append(lambda _error: setattr(page, "document", walk.document))
            return page


def _link_values(response: requests.Response) -> tuple[str, ...]:
    """Every Link header value, each kept apart (urllib3 keeps repeated headers separately)."""
    getlist = getattr(getattr(response.raw, "headers", None), "getlist", None)
    if callable(getlist):
        return tuple(str(value) for value in getlist("Link"))
    value = response.headers.get("Link")
    return (value,) if value else ()
