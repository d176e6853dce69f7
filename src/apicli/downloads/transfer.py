"""Fetching one URL into its sink: ranges, automatic resume, integrity checks and the copy loop.

A `Download` sends the request (with `Range`/`If-Range` when it holds bytes already),
decides from the answer whether to append, restart or stop, streams the body and, once
the length and checksums agree, hands the part to its final name. When the body breaks
off and the server takes ranges, it asks for the rest, within the --retries budget.
"""

from __future__ import annotations

import dataclasses
import http.client
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import requests

from ..errors import ApicliError, ConnectionFailed, IntegrityError, Interrupted, OutputError, RequestTimeout
from ..formats.codings import decoder_for
from ..formats.urls import redact_url
from ..output.progress import Progress, Saved
from ..request.client import Client
from ..spec import RequestSpec, RetryPolicy
from ..transport.retry import backoff_wait
from ..transport.session import translate
from .body import ReadFailed, content_coding, copy_body
from .filenames import choose_filename, sanitize_filename
from .files import (
    DamagedMeta,
    PartFile,
    PartMeta,
    Sink,
    StreamSink,
    find_directory_part,
    is_directory,
    is_file,
    is_regular_target,
    open_directory_part,
    open_output_part,
    part_path,
    path_exists,
    url_key,
)
from .jobs import DownloadJob, DownloadOptions
from .ranges import (
    accepts_byte_ranges,
    changed_representation,
    content_length,
    parse_content_range,
    range_headers,
    resume_validator,
)

if TYPE_CHECKING:
    from ..request.client import ExchangeObserver
    from ..request.transferinfo import WriteOut
    from ..transport.timing import TransferClock


@dataclass
class DownloadContext:
    """What every download of one run shares."""

    client: Client
    options: DownloadOptions
    retry: RetryPolicy
    progress: Progress
    stdout: IO[bytes]
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    writer: WriteOut | None = None  # -w: a report per file
    observe: ExchangeObserver | None = None  # --report: a case per file


class _Broken(Exception):
    """The body stopped before its end: `error` says how, or None when the server just closed early."""

    def __init__(self, error: ApicliError | None, received: int, expected: int | None) -> None:
        super().__init__(error.message if error else "short body")
        self.error = error
        self.received = received
        self.expected = expected


class _Again(Exception):
    """Send the request again (from the sink's current size)."""


class Download:
    """One URL on its way to a file (or stdout)."""

    def __init__(self, context: DownloadContext, spec: RequestSpec, job: DownloadJob) -> None:
        self.context = context
        self.client = context.client
        self.options = context.options
        self.spec = spec
        self.job = job
        self.sink: Sink | None = None
        self.meta: PartMeta | None = None
        self.name: str | None = sanitize_filename(job.name) if job.name else None
        self.validator: str | None = None
        self.total: int | None = None
        self.decoded = False  # --decode, and the server applied a coding we decode
        self.coding_noted = False
        self.ranges_ok = False
        self.resumes = 0
        # --continue with `-o FILE` and no part: FILE's size, adopted as the part once the server agrees.
        self.adopted = 0
        # Bytes an earlier run left (the part resumed from): not counted in this run's speed.
        self.carried = 0
        self.hashers = [checksum.new_hasher() for checksum in self.options.checksums]
        self.label = self._initial_label()
        self.progress = context.progress.file(self.label)
        self.clock: TransferClock | None = None  # the last attempt's, for -w
        self.response: requests.Response | None = None

    def _initial_label(self) -> str:
        if self.options.to_stdout:
            return "stdout"
        if self.options.output is not None:
            return str(self.options.output)
        return self.name or choose_filename(None, self.spec.url)

    @property
    def where(self) -> str:
        return redact_url(self.spec.url)

    def run(self) -> Saved:
        """Download, verify and publish the file; with -w, report the transfer whichever way it ends."""
        try:
            saved = self._run()
        except ApicliError as exc:
            if self.context.writer is not None:
                self.context.writer.transfer(self.spec, self.clock, self.response, exc, filename=self.label)
            raise
        if self.context.writer is not None:
            filename = str(saved.path) if saved.path is not None else saved.label
            self.context.writer.transfer(
                self.spec, self.clock, self.response, None, filename=filename, downloaded=saved.size
            )
        return saved

    def _run(self) -> Saved:
        started = time.monotonic()
        try:
            if self.options.resume or self._may_rerun_resume():
                self._open_existing()
            while True:
                try:
                    self._attempt()
                    break
                except _Again:
                    continue
            self._check_complete()
            saved = self._publish(time.monotonic() - started)
        except KeyboardInterrupt:
            self.progress.fail()
            interrupted = Interrupted("interrupted")
            self._add_part_hint(interrupted)
            raise interrupted from None
        except BaseException as exc:
            self.progress.fail()
            self._add_part_hint(exc)
            raise
        finally:
            if self.sink is not None:
                self.sink.close()
        self.progress.finish(saved)
        return saved

    # --- one request ---------------------------------------------------------------------

    def _attempt(self) -> None:
        offset = self.sink.size if self.sink is not None else self.adopted
        spec = self.spec._replace(headers=self.spec.headers + range_headers(offset, self.validator))
        if self.context.writer is not None:
            from ..transport.timing import start_clock

            self.clock = start_clock()
        with ExitStack() as stack:
            response = self.client.send(self.client.prepare(spec, stack))
            self.response = response
            stack.callback(response.close)
            self.client.show_response_head(response, self.options.include)
            if response.status_code == 416 and offset:
                self._unsatisfiable(response, offset)
                return
            self.client.check_status(response)
            expected = self._accept(response, offset, sent_validator=self.validator if offset else None)
            try:
                self._stream(response, expected)
            except _Broken as broken:
                self._resume_or_raise(broken)

    def _accept(self, response: requests.Response, offset: int, *, sent_validator: str | None) -> int | None:
        """Check the answer fits what the sink holds; returns the body's expected wire length.

        A 206 continues the part only when it starts where the part ends and is the same version
        (`sent_validator`, the If-Range value, and the total length): else the part restarts, never spliced.
        """
        headers = response.headers
        coding = content_coding(response)
        self.decoded = self.options.decode and decoder_for(coding) is not None
        if coding is not None and not self.decoded and not self.coding_noted:
            self.coding_noted = True
            self.context.progress.message(
                f"apicli: {self._response_label(response)}: the server sent it with Content-Encoding: {coding}; "
                "saving the bytes as sent (--decode saves them decoded)"
            )
        if response.status_code == 206:
            content_range = parse_content_range(headers.get("Content-Range"))
            if content_range is None or content_range.start != offset or self.decoded:
                if offset == 0:
                    raise IntegrityError(f"the server sent a partial response that does not start at 0 ({self.where})")
                self._restart("the server sent another range than the one asked for")
                raise _Again
            changed = self._changed(response, offset, sent_validator, content_range.total)
            if changed is not None:
                self._restart(f"the server sent a part of another version of {self.label} ({changed})")
                raise _Again
            if self.sink is None and self.adopted:
                self._adopt(offset)
            self.total = content_range.total
            self.ranges_ok = True
        else:
            if offset:
                changed = changed_representation(sent_validator, headers)
                self._restart(
                    f"{self.label} changed on the server ({changed})"
                    if changed is not None
                    else "the server ignored the range or the file changed"
                )
            self.total = None if self.decoded else content_length(headers)
            self.ranges_ok = accepts_byte_ranges(headers) and not self.decoded
        self.validator = resume_validator(headers) or (self.validator if response.status_code == 206 else None)
        if self.sink is None:
            self._open_sink(response)
            self._feed_hashers()
        elif self.name is None and self.options.output is None and not self.options.to_stdout:
            self.name = self.label = self._response_name(response)
        self._save_meta()
        self.progress.start(self.label, self.total, self.sink.size if self.sink else 0)
        return content_length(headers)

    def _changed(self, response: requests.Response, offset: int, sent: str | None, total: int | None) -> str | None:
        if not offset:
            return None  # nothing held to splice onto
        changed = changed_representation(sent, response.headers)
        known = self.total if self.total is not None else (self.meta.total if self.meta is not None else None)
        if changed is None and known is not None and total is not None and total != known:
            changed = f"{total} bytes long instead of {known}"
        return changed

    def _unsatisfiable(self, response: requests.Response, offset: int) -> None:
        """A 416 to `Range: bytes=N-`: done when the file has exactly N bytes, else start over."""
        content_range = parse_content_range(response.headers.get("Content-Range"))
        total = content_range.total if content_range else (self.meta.total if self.meta else None)
        if total is not None and total == offset:
            self.total = total
            if self.sink is None:
                self._adopt(offset)
            if self.name is None:
                self.name = self._response_name(response)
            self.context.progress.message(f"apicli: {self.label} was already complete ({total} bytes)")
            return
        self._restart("the server has no bytes past the part already saved")
        raise _Again

    def _restart(self, why: str) -> None:
        if (self.sink.size if self.sink is not None else self.adopted) > 0:
            self.context.progress.message(f"apicli: {why}; restarting {self.label} from zero")
        if self.sink is not None:
            self.sink.restart()
        self.adopted = 0
        self.carried = 0
        self.hashers = [checksum.new_hasher() for checksum in self.options.checksums]
        self.progress.start(self.label, None, 0)

    # --- the body ------------------------------------------------------------------------

    def _stream(self, response: requests.Response, expected: int | None) -> None:
        assert self.sink is not None
        cancel, clock = self.context.cancel, self.context.client.clock

        def stop() -> bool:
            # Ctrl-C, or the run's time budget spent: the copy ends between chunks, the part kept.
            return cancel.is_set() or clock.expired()

        try:
            received = copy_body(
                response,
                self.sink,
                self.hashers,
                decoder=decoder_for(content_coding(response)) if self.decoded else None,
                on_progress=self.progress.update,
                should_stop=stop,
            )
        except ReadFailed as exc:
            raise _Broken(self._translate(exc.cause), exc.received, None) from None
        if cancel.is_set():
            raise Interrupted("interrupted")
        clock.check()
        if expected is not None and received < expected:
            raise _Broken(None, received, expected)

    def _translate(self, exc: BaseException) -> ApicliError:
        network = self.client.network
        if isinstance(exc, TimeoutError):
            return RequestTimeout(f"no data from {self.where} within {network.timeout:g}s", hint="raise --timeout")
        translated = translate(exc, self.spec.url, network)
        if translated is not None:
            return translated
        if isinstance(exc, http.client.IncompleteRead):
            return ConnectionFailed(f"the server closed the connection before the body was complete ({self.where})")
        return ConnectionFailed(f"the connection broke ({type(exc).__name__}: {exc}) ({self.where})")

    def _resume_or_raise(self, broken: _Broken) -> None:
        """Ask for the rest after a broken body if the server takes ranges and retries are left."""
        sink = self.sink
        assert sink is not None
        retry = self.context.retry
        why = broken.error.message if broken.error else "the body was cut short"
        error = self._final_error(broken)
        if not self.ranges_ok or self.decoded or self.resumes >= retry.retries or self.context.cancel.is_set():
            raise error
        # The one backoff schedule of every retry, reconnect and resume (retry.backoff_wait).
        clock = self.client.clock
        wait = backoff_wait(self.resumes + 1, backoff=retry.backoff, max_wait=retry.max_wait, clock=clock)
        if wait.past_deadline:
            raise error
        self.resumes += 1
        self.context.progress.message(
            f"apicli: {self.label}: {why} after {sink.size} bytes; resuming in {wait.seconds:.2f}s "
            f"(attempt {self.resumes} of {retry.retries})"
        )
        clock.sleep(wait.seconds)
        raise _Again

    def _final_error(self, broken: _Broken) -> ApicliError:
        if broken.error is not None:
            if not self.decoded:  # decoded, the file's size is no position in the body
                broken.error.add_note(f"after {self.sink.size if self.sink else 0} bytes")
            return broken.error
        return IntegrityError(
            f"short body from {self.where}: got {broken.received} of {broken.expected} bytes"
            + (f" after {self.resumes} resumes" if self.resumes else "")
        )

    # --- where the bytes go --------------------------------------------------------------

    def _may_rerun_resume(self) -> bool:
        """A plain rerun looks for the part an earlier run left too (never for stdout or a device)."""
        output = self.options.output
        if self.options.to_stdout:
            return False
        return output is None or (is_regular_target(output) and path_exists(part_path(output)))

    def _open_existing(self) -> None:
        """Pick up the part a previous run left (with --continue, also the -o file), hashing what it holds.

        Without --continue the part is trusted only with a .part.meta naming this URL and a validator
        (ETag or Last-Modified) for If-Range; otherwise it starts over, saying why.
        """
        explicit = self.options.resume
        output = self.options.output
        if output is not None:
            if not is_regular_target(output):
                return
            if explicit and not path_exists(part_path(output)) and is_file(output):
                # The file stays untouched until the server confirms it can be continued.
                try:
                    self.adopted = output.stat().st_size
                except OSError as exc:
                    raise OutputError(f"cannot resume {str(output)!r}: {exc.strerror or exc}") from None
                if self.adopted:
                    self.context.progress.message(f"apicli: resuming {self.label} from byte {self.adopted}")
                return
            self.sink = part = open_output_part(output, resume=True)
        else:
            found = find_directory_part(self.options.directory, self.spec.url, self.label)
            if found is None:
                return
            self.sink = part = found
        try:
            meta = part.load_meta()
        except DamagedMeta as damaged:
            # No trustworthy meta, no validator to resume with: the part may hold another version.
            meta = None
            self._restart(f"{str(damaged.path)!r} cannot be used ({damaged.reason})")
        if meta is not None and meta.url_key not in ("", url_key(self.spec.url)):
            meta = None
            self._restart(f"{part.path} holds another URL's download")
        elif meta is not None and meta.encoded:
            self._restart(f"{part.path} holds a compressed download, which cannot be resumed")
        elif not explicit and part.size:
            unchecked = _unverifiable(part, meta)
            if unchecked is not None:
                meta = None
                self._restart(
                    f"{str(part.path)!r} from an earlier run cannot be checked against the server ({unchecked})"
                )
        self.meta = meta
        if meta is not None:
            self.validator = meta.validator
            self.name = self.name or meta.name
        if output is None and self.name:
            self.label = self.name
        self._feed_hashers()
        self.carried = part.size
        if part.size:
            earlier = "" if explicit else f", kept in {str(part.path)!r} by an earlier run"
            self.context.progress.message(f"apicli: resuming {self.label} from byte {part.size}{earlier}")

    def _adopt(self, offset: int) -> None:
        """Turn the -o file being continued into the part, now that the server has agreed."""
        assert self.options.output is not None
        self.sink = open_output_part(self.options.output, resume=True, adopt=True)
        self.adopted = 0
        self.carried = offset
        if self.sink.size != offset:  # it changed meanwhile
            self._restart(f"{self.label} changed while it was being continued")
            raise _Again
        self._feed_hashers()

    def _feed_hashers(self) -> None:
        if isinstance(self.sink, PartFile) and self.sink.size:
            self.sink.feed(self.hashers)

    def _open_sink(self, response: requests.Response) -> None:
        options = self.options
        if options.to_stdout:
            self.sink = StreamSink(self.context.stdout, "stdout", target="standard output")
        elif options.output is not None:
            output = options.output
            if is_directory(output):
                raise OutputError(f"cannot write to {str(output)!r}: it is a directory", hint="give a file name")
            if is_regular_target(output):
                self.sink = open_output_part(output, resume=False)
            else:
                self.sink = _device_sink(output)
        else:
            self.name = self.name or self._response_name(response)
            self.label = self.name
            self.sink = open_directory_part(options.directory, self.name)

    def _response_label(self, response: requests.Response) -> str:
        """What the user will know this download as, before its sink is open."""
        if self.options.to_stdout or self.options.output is not None:
            return self.label
        return self.name or self._response_name(response)

    def _response_name(self, response: requests.Response) -> str:
        return choose_filename(response.headers.get("Content-Disposition"), self.spec.url)

    def _save_meta(self) -> None:
        if isinstance(self.sink, PartFile):
            self.sink.save_meta(
                PartMeta(url_key(self.spec.url), self.name, self.validator, self.total, encoded=self.decoded)
            )

    def _check_complete(self) -> None:
        sink = self.sink
        assert sink is not None
        if self.total is not None and sink.size != self.total:
            raise IntegrityError(f"{self.label}: got {sink.size} bytes, but the server announced {self.total}")
        for checksum, hasher in zip(self.options.checksums, self.hashers, strict=True):
            actual = hasher.hexdigest()
            if actual != checksum.hexdigest:
                kept = f" (the data is in {str(sink.path)!r})" if isinstance(sink, PartFile) else ""
                raise IntegrityError(
                    f"{checksum.algorithm} mismatch for {self.label}: expected {checksum.hexdigest}, got {actual}",
                    hint=f"nothing was saved under the final name{kept}",
                )

    def _publish(self, seconds: float) -> Saved:
        sink = self.sink
        assert sink is not None
        if self.context.cancel.is_set():
            raise Interrupted("interrupted")
        if not isinstance(sink, PartFile):
            path = None if self.options.to_stdout else self.options.output
            return Saved(path, sink.label, sink.size, seconds)
        if self.options.output is not None:
            final = sink.publish(self.options.output)
        else:
            final = sink.publish_unique(self.options.directory, self.name or sink.label)
        return Saved(final, final.name, sink.size, seconds, fetched=sink.size - self.carried)

    def _add_part_hint(self, exc: BaseException) -> None:
        sink = self.sink
        if isinstance(exc, ApicliError) and exc.hint is None and isinstance(sink, PartFile) and sink.size:
            if self.decoded:
                how = "decoded, it cannot be resumed"
            elif self.validator is None:
                # A plain rerun cannot match it to the server's file, so it would start over.
                how = (
                    "the server sent no ETag or Last-Modified, so a rerun starts over; --continue resumes it unchecked"
                )
            else:
                how = "run the same command again to resume it"
            exc.hint = f"the partial download is kept in {str(sink.path)!r}; {how}"


def _unverifiable(part: PartFile, meta: PartMeta | None) -> str | None:
    """Why a part found by a plain rerun cannot be matched to the server's file; None when it can."""
    if meta is None:
        return f"there is no {part.meta_path.name} recording which version it holds"
    if meta.validator is None:
        return "the server sent no ETag or Last-Modified for it"
    return None


def _device_sink(path: Path) -> StreamSink:
    try:
        stream = path.open("wb")
    except OSError as exc:
        raise OutputError(f"cannot write to {str(path)!r}: {exc.strerror or exc}") from None
    return StreamSink(stream, str(path), owned=True)
