"""Content-Encoding decoding that knows whether a body ended where its encoding says it ends.

urllib3 decodes gzip and deflate, but a gzip stream that simply stops (a server or proxy that
cut it, with a Content-Length that matches what was sent) decodes to a silent prefix of the
body. `BodyDecoder` decodes the wire bytes itself, in bounded pieces (a gzip bomb stays in
constant memory), and `finish()` raises `Undecodable` unless every stage reached its end of
stream. `session.translate` turns `Undecodable` into the error the user sees.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from ..compat import decoder_stream_ended
from ..errors import ApicliError, ConnectionFailed

DECODED_PIECE = 256 * 1024
# Codings stacked deeper than this are refused: curl and urllib3 stop at the same number, and no
# honest server layers more (each layer only costs the client work and memory).
MAX_CODINGS = 5
# The codings we decode; "identity" is a no-op. Any other coding is passed through as sent.
_ZLIB_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}


class Undecodable(Exception):
    """A body that is not valid for its Content-Encoding: corrupt, or ending before its end."""

    def __init__(self, encoding: str, received: int, *, truncated: bool) -> None:
        what = "ended before its end of stream" if truncated else "is corrupt"
        super().__init__(f"the {encoding}-encoded body {what} ({received} bytes received)")
        self.encoding = encoding
        self.received = received
        self.truncated = truncated


class TooManyCodings(ConnectionFailed):
    """A Content-Encoding chain longer than MAX_CODINGS: a malformed response, like a corrupt body."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"the response's Content-Encoding stacks {count} codings; more than {MAX_CODINGS} is refused as malformed",
            hint="no honest server stacks so many; the server or a proxy on the way is broken or hostile",
        )
        self.count = count


def _library_codings() -> dict[str, type]:
    """Brotli and zstd, through urllib3's own decoders when their libraries are installed."""
    from urllib3 import response

    found: dict[str, type] = {}
    if getattr(response, "brotli", None) is not None:
        found["br"] = response.BrotliDecoder
    if getattr(response, "HAS_ZSTD", False) or getattr(response, "zstd", None) is not None:
        found["zstd"] = response.ZstdDecoder
    return found


_LIBRARY_CODINGS = _library_codings()


def codings(content_encoding: str | None) -> list[str]:
    """The codings to undo, in the order to undo them; [] when there are none we can decode.

    TooManyCodings when the chain is longer than MAX_CODINGS, decodable or not."""
    names = [part.strip().lower() for part in (content_encoding or "").split(",") if part.strip()]
    names = [name for name in names if name != "identity"]
    if len(names) > MAX_CODINGS:
        raise TooManyCodings(len(names))
    if not names or any(name not in _ZLIB_CODINGS and name not in _LIBRARY_CODINGS for name in names):
        return []
    return list(reversed(names))


class _LibraryStage:
    """Brotli or zstd: urllib3's decoder, in bounded pieces, knowing whether its stream ended."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.decoder = _LIBRARY_CODINGS[coding]()
        self.fed = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        self.fed += len(data)
        try:
            piece = self.decoder.decompress(data, DECODED_PIECE)
            while piece:
                yield piece
                # Brotli can hold output back while saying it can take more input: a full piece means ask again.
                more = self.decoder.has_unconsumed_tail or len(piece) >= DECODED_PIECE
                piece = self.decoder.decompress(b"", DECODED_PIECE) if more else b""
        except ApicliError:
            raise  # the --max-time alarm can go off inside the decoder: it is no fault of the body
        except Exception as exc:  # brotli.error, zstd.ZstdError: the body is corrupt, as zlib.error says
            raise zlib.error(str(exc)) from None

    def complete(self) -> bool:
        if self.fed == 0:
            return True
        return decoder_stream_ended(self.decoder)


class _Stage:
    """One zlib stream: gzip (possibly several members) or deflate (zlib-wrapped or raw)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.wbits = _ZLIB_CODINGS[coding]
        self.fed = 0
        self.pending = b""  # deflate: bytes held until the wrapper can be recognised
        self.members = 0
        self.ignoring = False  # past the data: trailing garbage after a complete gzip member
        self.engine: zlib._Decompress | None = None if self.wbits == 0 else zlib.decompressobj(self.wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        self.fed += len(data)
        if self.ignoring or not data:
            return
        if self.engine is None:
            self.pending += data
            if len(self.pending) < 2:
                return
            data, self.pending = self.pending, b""
            self.engine = zlib.decompressobj(-zlib.MAX_WBITS)
            if _is_zlib_header(data):
                # Raw deflate can look like a zlib header by chance: fall back if it does not parse.
                trial = zlib.decompressobj(zlib.MAX_WBITS)
                try:
                    trial.decompress(data[:64], 1)
                    self.engine = zlib.decompressobj(zlib.MAX_WBITS)
                except zlib.error:
                    pass
        engine = self.engine
        while data:
            if engine.eof:
                if self.wbits == 0:
                    return  # deflate has one stream; anything after it is ignored, as urllib3 does
                # Another gzip member follows (RFC 1952 allows several): a fresh decompressor for it.
                self.members += 1
                engine = self.engine = zlib.decompressobj(self.wbits)
            try:
                piece = engine.decompress(data, DECODED_PIECE)
            except zlib.error:
                if self.members:
                    # Bytes after a complete member that are no gzip member: ignored, as gzip(1) does.
                    self.ignoring = True
                    return
                raise
            if piece:
                yield piece
            data = engine.unconsumed_tail or engine.unused_data

    def complete(self) -> bool:
        if self.fed == 0 or self.ignoring:
            return True
        return self.engine is not None and self.engine.eof


def _is_zlib_header(data: bytes) -> bool:
    """RFC 1950: compression method 8 and a header checksum; otherwise treat it as raw deflate."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class BodyDecoder:
    """Undoes a Content-Encoding chain; counts the wire bytes it was given."""

    def __init__(self, content_encoding: str) -> None:
        self.encoding = content_encoding.strip().lower()
        self.stages: list[_Stage | _LibraryStage] = [
            _LibraryStage(coding) if coding in _LIBRARY_CODINGS else _Stage(coding)
            for coding in codings(content_encoding)
        ]
        self.received = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of `data` (wire bytes), none larger than DECODED_PIECE."""
        self.received += len(data)
        try:
            yield from self._through(data, 0)
        except zlib.error:
            raise Undecodable(self.encoding, self.received, truncated=False) from None

    def _through(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self.stages):
            yield data
            return
        for piece in self.stages[index].feed(data):
            yield from self._through(piece, index + 1)

    def finish(self) -> None:
        """At the end of the wire body: raise Undecodable unless every stream was complete."""
        if not all(stage.complete() for stage in self.stages):
            raise Undecodable(self.encoding, self.received, truncated=True)


def decoder_for(content_encoding: str | None) -> BodyDecoder | None:
    """A decoder for this Content-Encoding, or None when the body is to be passed on as sent."""
    if not codings(content_encoding):
        return None
    assert content_encoding is not None
    return BodyDecoder(content_encoding)


def decoded_chunks(chunks: Iterator[bytes], decoder: BodyDecoder | None) -> Iterator[bytes]:
    """Wire chunks decoded, checked complete at their end; unchanged without a decoder."""
    if decoder is None:
        yield from chunks
        return
    for chunk in chunks:
        yield from decoder.feed(chunk)
    decoder.finish()
