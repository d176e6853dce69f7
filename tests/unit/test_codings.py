"""BodyDecoder: whole bodies decode exactly however they are split; any shorter prefix is reported."""

from __future__ import annotations

import gzip
import itertools
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.formats.codings import DECODED_PIECE, BodyDecoder, Undecodable, codings, decoder_for


def decode(encoding: str, wire: bytes, cuts: list[int] | None = None) -> bytes:
    decoder = BodyDecoder(encoding)
    points = sorted({0, *(cut % (len(wire) + 1) for cut in cuts or []), len(wire)})
    out = b"".join(piece for start, end in itertools.pairwise(points) for piece in decoder.feed(wire[start:end]))
    decoder.finish()
    return out


def deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "deflate": lambda data: deflate(data, zlib.MAX_WBITS),
    "deflate (raw)": lambda data: deflate(data, -zlib.MAX_WBITS),
    "gzip, gzip": lambda data: gzip.compress(gzip.compress(data)),
}


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(ENCODERS)),
    body=st.binary(max_size=4000),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
)
def test_a_whole_body_decodes_exactly_however_it_arrives(name: str, body: bytes, cuts: list[int]) -> None:
    assert decode(name.split(" (")[0], ENCODERS[name](body), cuts) == body


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(ENCODERS)), body=st.binary(max_size=4000), data=st.data())
def test_any_shorter_prefix_is_reported_as_incomplete(name: str, body: bytes, data: st.DataObject) -> None:
    wire = ENCODERS[name](body)
    keep = data.draw(st.integers(min_value=1, max_value=len(wire) - 1))

    with pytest.raises(Undecodable) as raised:
        decode(name.split(" (")[0], wire[:keep])

    assert raised.value.truncated
    assert raised.value.received == keep


def test_garbage_is_corrupt_and_an_empty_body_is_empty() -> None:
    with pytest.raises(Undecodable) as raised:
        decode("gzip", b"\x1f\x8b" + b"\xff" * 30)
    assert not raised.value.truncated
    assert str(raised.value) == "the gzip-encoded body is corrupt (32 bytes received)"
    assert decode("gzip", b"") == b""  # a HEAD-like empty body is not a broken stream


def test_a_bomb_decodes_in_bounded_pieces() -> None:
    decoder = BodyDecoder("gzip")
    sizes = [len(piece) for piece in decoder.feed(gzip.compress(bytes(8 * DECODED_PIECE)))]
    assert sum(sizes) == 8 * DECODED_PIECE and max(sizes) <= DECODED_PIECE


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", ["gzip"]),
        ("GZip , identity", ["gzip"]),
        ("deflate, gzip", ["gzip", "deflate"]),
        ("identity", []),
        ("", []),
        (None, []),
        ("br", ["br"]),  # brotli and zstd through urllib3's decoders (their libraries are dependencies)
        ("gzip, br", ["br", "gzip"]),
        ("zstd", ["zstd"]),
        ("compress", []),  # not decoded: passed on as sent
        ("gzip, compress", []),
    ],
)
def test_codings_to_undo(header: str | None, expected: list[str]) -> None:
    assert codings(header) == expected
    assert (decoder_for(header) is None) == (not expected)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "gzip, deflate"])
def test_urllib3_decode_errors_are_one_clean_line(coding: str) -> None:
    import requests
    import urllib3.exceptions as u3

    from apicli.spec import NetworkOptions
    from apicli.transport.session import translate

    inner = u3.DecodeError(
        f"Received response with content-encoding: {coding}, but failed to decode it.",
        zlib.error("Error -3 while decompressing data: incorrect header check"),
    )
    for exc in (inner, requests.exceptions.ContentDecodingError(inner)):
        error = translate(exc, "http://127.0.0.1:9/x", NetworkOptions())
        assert error is not None
        assert (error.message, error.exit_code) == (
            f"the {coding}-encoded body from http://127.0.0.1:9/x could not be decoded",
            7,
        )


def test_undecodable_is_translated_with_the_url() -> None:
    from apicli.spec import NetworkOptions
    from apicli.transport.session import translate

    error = translate(Undecodable("gzip", 1234, truncated=True), "http://127.0.0.1:9/x", NetworkOptions())
    assert error is not None
    assert error.message == (
        "the gzip-encoded body from http://127.0.0.1:9/x ended before the end of its stream (1234 bytes received)"
    )


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_a_cut_brotli_or_zstd_body_is_reported_incomplete(coding: str) -> None:
    body = json.dumps([{"n": n, "pad": "x" * 40} for n in range(2000)]).encode()
    if coding == "br":
        import brotli

        wire = brotli.compress(body)
    else:
        from urllib3.response import zstd

        wire = zstd.compress(body)
    decoder = BodyDecoder(coding)
    whole = b"".join(decoder.feed(wire))
    decoder.finish()
    assert whole == body
    cut = BodyDecoder(coding)
    b"".join(cut.feed(wire[: len(wire) // 2]))
    with pytest.raises(Undecodable, match="ended before its end of stream"):
        cut.finish()
