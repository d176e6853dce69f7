"""The download core without a server: range rules, checksums, input files, part files, formatting."""

from __future__ import annotations

import errno
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicli.downloads import (
    DownloadJob,
    DownloadOptions,
    DownloadsFailed,
    check_options,
    parse_checksum,
    parse_input_lines,
    sha256_checksum,
)
from apicli.downloads.files import (
    DamagedMeta,
    PartFile,
    PartMeta,
    StreamSink,
    find_directory_part,
    open_directory_part,
    open_output_part,
    url_key,
)
from apicli.downloads.jobs import bounded_lines, input_file_jobs, request_item_name
from apicli.downloads.ranges import (
    ContentRange,
    accepts_byte_ranges,
    changed_representation,
    content_length,
    parse_content_range,
    range_headers,
    resume_validator,
)
from apicli.errors import ConnectionFailed, ExitCode, HTTPStatusError, OutputError, PipeClosed, UsageError
from apicli.limits import INPUT_LINE, Limit, TooLarge
from apicli.output.progress import Saved, format_progress_size, format_rate, format_size, summary_line

# --- ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes 0-499/1234", ContentRange(0, 499, 1234)),
        ("bytes 500-1233/1234", ContentRange(500, 1233, 1234)),
        ("BYTES 10-19/*", ContentRange(10, 19, None)),
        ("bytes */1234", ContentRange(None, None, 1234)),
        ("  bytes 1-1 / 2 ", ContentRange(1, 1, 2)),
        ("bytes 5-4/10", None),  # end before start
        ("bytes 0-10/10", None),  # end past the total
        ("bytes */*", None),
        ("items 0-1/2", None),
        ("bytes 0-/10", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_content_range(value: str | None, expected: ContentRange | None) -> None:
    assert parse_content_range(value) == expected


@given(st.integers(0, 10**12), st.integers(0, 10**9), st.integers(1, 10**6))
def test_content_range_round_trip(start: int, length: int, extra: int) -> None:
    end = start + length
    total = end + extra
    assert parse_content_range(f"bytes {start}-{end}/{total}") == ContentRange(start, end, total)


@given(st.text(max_size=40))
def test_parse_content_range_never_raises(value: str) -> None:
    result = parse_content_range(value)
    assert result is None or isinstance(result, ContentRange)


def test_length_ranges_and_validators() -> None:
    assert content_length({"Content-Length": " 42 "}) == 42
    assert content_length({"Content-Length": "42, 42"}) == 42
    assert content_length({"Content-Length": "42, 43"}) is None
    assert content_length({"Content-Length": "-1"}) is None
    assert content_length({}) is None
    assert accepts_byte_ranges({"Accept-Ranges": "none, Bytes"})
    assert not accepts_byte_ranges({"Accept-Ranges": "none"})
    assert resume_validator({"ETag": '"abc"', "Last-Modified": "then"}) == '"abc"'
    assert resume_validator({"ETag": 'W/"weak"', "Last-Modified": "then"}) == "then"  # weak ETags never match
    assert resume_validator({}) is None
    assert range_headers(0, '"abc"') == ()
    assert range_headers(10, None) == (("Range", "bytes=10-"),)
    assert range_headers(10, '"abc"') == (("Range", "bytes=10-"), ("If-Range", '"abc"'))


# --- checksums, input files, options -------------------------------------------------------------


def test_checksums_parse_and_hash() -> None:
    digest = hashlib.sha512(b"x").hexdigest()
    checksum = parse_checksum(f" SHA512:{digest.upper()} ")
    assert (checksum.algorithm, checksum.hexdigest) == ("sha512", digest)
    hasher = checksum.new_hasher()
    hasher.update(b"x")
    assert hasher.hexdigest() == digest
    assert str(parse_checksum("md5:" + "a" * 32)) == "md5:" + "a" * 32
    assert sha256_checksum("F" * 64).hexdigest == "f" * 64


@pytest.mark.parametrize(
    "text", ["sha256", "sha1:" + "0" * 40, "sha256:" + "0" * 63, "sha256:" + "g" * 64, "md5:", ":00"]
)
def test_bad_checksums_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_checksum(text)


def test_input_lines() -> None:
    lines = [
        "# header comment\n",
        "\n",
        "   \n",
        "https://a.example/x\n",
        "https://a.example/y\tnamed.bin\r\n",
        "  https://a.example/z  \t  spaced name.txt  \n",
        "   # indented comment\n",
        "https://a.example/w\t\n",
        "\tonly-a-name\n",
    ]
    assert parse_input_lines(lines) == [
        DownloadJob("https://a.example/x"),
        DownloadJob("https://a.example/y", "named.bin"),
        DownloadJob("https://a.example/z", "spaced name.txt"),
        DownloadJob("https://a.example/w"),
    ]


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=30), max_size=10))
def test_input_lines_keep_every_url_line(lines: list[str]) -> None:
    jobs = parse_input_lines(line + "\n" for line in lines)
    expected = [
        line.partition("\t")[0].strip()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#") and line.partition("\t")[0].strip()
    ]
    assert [job.url for job in jobs] == expected


def test_option_checks() -> None:
    one, two = [DownloadJob("u")], [DownloadJob("u"), DownloadJob("v")]
    check_options(two, DownloadOptions(), directory_given=True)
    check_options(one, DownloadOptions(output=Path("f")), directory_given=False)
    bad = [
        (two, DownloadOptions(output=Path("f")), False),
        (two, DownloadOptions(to_stdout=True), False),
        (one, DownloadOptions(output=Path("f")), True),
        (one, DownloadOptions(to_stdout=True, resume=True), False),
        (two, DownloadOptions(checksums=(sha256_checksum("0" * 64),)), False),
        ([], DownloadOptions(), False),
    ]
    for jobs, options, directory_given in bad:
        with pytest.raises(UsageError):
            check_options(jobs, options, directory_given=directory_given)


@pytest.mark.parametrize(
    ("argument", "name"),
    [
        ("Cookie:session=s3cr3t", "Cookie:"),
        ("Authorization:Bearer s3cr3t", "Authorization:"),
        ("X-Api-Key:s3cr3t", "X-Api-Key:"),
        ("token==s3cr3t", "token=="),
        ("password=s3cr3t", "password="),
        ("doc:=@payload.json", "doc:=@"),
        ("count:=3", "count:="),
        ("next=https://example.com/?token=s3cr3t", "next="),
        ("https://example.com/x?a=b", None),
        ("example.com/search?q=a=b", None),
        ("localhost:8080", None),
        (":8080/files?x=1", None),
        ("user:pw@example.com/file", None),
        ("[::1]:8080/x", None),
        ("example.com", None),
    ],
)
def test_request_items_given_as_urls_are_told_apart(argument: str, name: str | None) -> None:
    assert request_item_name(argument) == name
    if name is not None:
        with pytest.raises(UsageError) as refused:
            check_options([DownloadJob(argument)], DownloadOptions(), directory_given=False)
        assert "s3cr3t" not in refused.value.message
        assert refused.value.message.startswith(f"download takes URLs; {name + '…'!r} looks like a request item")


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=12)


@given(
    name=_TOKEN,
    sep=st.sampled_from(["=", "==", ":=", "=@", ":=@"]),
    value=st.text(max_size=20).filter(lambda text: not text.startswith(("=", "@"))),  # would lengthen sep
)
def test_body_and_query_items_are_never_taken_for_urls(name: str, sep: str, value: str) -> None:
    assert request_item_name(name + sep + value) == name + sep


@given(
    scheme=st.sampled_from(["http://", "https://", ""]),
    host=st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z]{2,5}){0,2}", fullmatch=True),
    port=st.one_of(st.just(""), st.integers(1, 65535).map(lambda n: f":{n}")),
    rest=st.text(alphabet="abc/=?&#.", max_size=20).map(lambda text: "/" + text),
)
def test_urls_are_never_taken_for_request_items(scheme: str, host: str, port: str, rest: str) -> None:
    assert request_item_name(scheme + host + port + rest) is None


def test_stream_sink_write_failures_are_apicli_errors() -> None:
    class Failing(io.BytesIO):
        def __init__(self, error: OSError) -> None:
            super().__init__()
            self.error = error

        def write(self, data: object) -> int:
            raise self.error

    full = StreamSink(Failing(OSError(errno.ENOSPC, "No space left on device")), "/dev/full")
    with pytest.raises(OutputError, match=r"^cannot write to '/dev/full': No space left on device$"):
        full.write(memoryview(b"x"))
    closed = StreamSink(Failing(BrokenPipeError(errno.EPIPE, "Broken pipe")), "stdout", target="standard output")
    with pytest.raises(PipeClosed):
        closed.write(memoryview(b"x"))
    assert (full.size, closed.size) == (0, 0)


def test_downloads_failed_takes_the_first_failures_exit_code() -> None:
    failures = [("u1", ConnectionFailed("refused")), ("u2", HTTPStatusError("HTTP 404", status=404))]
    error = DownloadsFailed(failures, 5)
    assert error.exit_code == ExitCode.CONNECTION
    assert error.message == "2 of 5 downloads failed"
    assert error.detail == "  u1: refused\n  u2: HTTP 404"


# --- progress text -------------------------------------------------------------------------------


def test_sizes_rates_and_the_summary_line() -> None:
    assert [format_size(n) for n in (0, 999, 1000, 1_234_567, 5 * 10**12, 10**16)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.2 MB",
        "5.0 TB",
        "10000.0 TB",
    ]
    assert format_rate(1_200_000, 1.0) == "1.2 MB/s"
    assert format_rate(10, 1.0) == "10 B/s"  # the bar's unit style too: never "10 bytes/s"
    assert [format_progress_size(*pair) for pair in ((1000, 3000), (800_000, 1_500_000), (5, None))] == [
        "1.0/3.0 kB",
        "800.0 kB/1.5 MB",
        "5 B",
    ]
    assert format_rate(10, 0.0).endswith("/s")
    saved = Saved(Path("out/report.csv"), "report.csv", 204800, 0.17)
    assert summary_line(saved) == "apicli: saved out/report.csv (204.8 kB, 1.2 MB/s)"
    assert summary_line(Saved(None, "stdout", 5, 1.0)) == "apicli: wrote stdout (5 B, 5 B/s)"


# --- part files ----------------------------------------------------------------------------------


def test_part_meta_is_only_a_hint(tmp_path: Path) -> None:
    meta_file = tmp_path / "a.part.meta"
    assert PartMeta.load(meta_file) is None
    for garbage in ("{", "[]", '{"url_key": 3}', "\xff", "[" * 5000 + "]" * 5000):
        meta_file.write_text(garbage, encoding="utf-8")
        with pytest.raises(DamagedMeta):  # a damaged meta is said to be one: the part restarts
            PartMeta.load(meta_file)
        assert PartMeta.load_hint(meta_file) is None
    meta_file.write_text(json.dumps({"url_key": "k", "total": -5, "validator": "", "encoded": "yes"}))
    assert PartMeta.load(meta_file) == PartMeta("k", None, None, None, False)


def test_a_part_is_locked_against_a_second_writer(tmp_path: Path) -> None:
    first = open_directory_part(tmp_path, "file.bin")
    second = open_directory_part(tmp_path, "file.bin")
    try:
        assert first.path.name == "file.bin.part"
        assert second.path.name == "file.bin.1.part"
        assert PartFile.open(first.path, keep=True) is None
        first.write(memoryview(b"abc"))
        assert (first.size, first.path.read_bytes()) == (3, b"abc")
    finally:
        first.close()
        second.close()
    reopened = PartFile.open(first.path, keep=True)
    assert reopened is not None and reopened.size == 3
    reopened.restart()
    assert reopened.size == 0 and first.path.read_bytes() == b""
    reopened.close()


def test_publish_unique_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(b"mine")
    part = open_directory_part(tmp_path, "r.csv")
    part.write(memoryview(b"theirs"))
    part.save_meta(PartMeta(url_key("u")))
    final = part.publish_unique(tmp_path, "r.csv")
    part.close()
    assert final == tmp_path / "r (1).csv"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"r.csv": b"mine", "r (1).csv": b"theirs"}


def test_output_part_adopts_the_file_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "o.bin"
    target.write_bytes(b"12345")
    fresh = open_output_part(target, resume=True)
    assert fresh.size == 0 and target.read_bytes() == b"12345"
    fresh.close()
    fresh.path.unlink()
    adopted = open_output_part(target, resume=True, adopt=True)
    assert adopted.size == 5 and not target.exists()
    adopted.write(memoryview(b"678"))
    assert adopted.publish(target) == target
    adopted.close()
    assert [p.name for p in tmp_path.iterdir()] == ["o.bin"] and target.read_bytes() == b"12345678"


def test_find_directory_part_prefers_this_urls_meta(tmp_path: Path) -> None:
    mine = open_directory_part(tmp_path, "server-name.bin")
    mine.write(memoryview(b"mine"))
    mine.save_meta(PartMeta(url_key("https://h/x"), "server-name.bin"))
    mine.close()
    other = open_directory_part(tmp_path, "x")
    other.write(memoryview(b"other"))
    other.save_meta(PartMeta(url_key("https://h/elsewhere/x")))
    other.close()
    found = find_directory_part(tmp_path, "https://h/x", "x")
    assert found is not None and found.path.name == "server-name.bin.part"
    found.close()
    assert find_directory_part(tmp_path, "https://h/y", "x") is None  # x.part belongs to another URL
    (tmp_path / "y.part").write_bytes(b"no meta")
    unlabelled = find_directory_part(tmp_path, "https://h/y", "y")
    assert unlabelled is not None and unlabelled.size == 7
    unlabelled.close()


def test_a_planted_symlink_part_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "x.part").symlink_to(victim)
    with pytest.raises(OutputError):
        open_directory_part(downloads, "x")
    assert victim.read_bytes() == b"keep me"


# --- input files read line by line, resumes checked against their validator ---------------------


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@settings(max_examples=200)
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=60))
def test_bounded_lines_are_the_lines_however_the_chunks_fall(data: bytes, chunk: int, limit: int) -> None:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    try:
        got = list(bounded_lines(_split(data, chunk), Limit(limit, "a line")))
    except TooLarge as exc:
        # Refused only for a line that is really too long: the first one, named by its number.
        number = int(exc.message.split()[1])
        assert len(lines[number - 1]) > limit
        assert all(len(line) <= limit for line in lines[: number - 1])
        return
    assert got == list(enumerate(lines, start=1))
    assert all(len(line) <= limit for line in lines)


def test_input_file_jobs_name_the_line_that_is_too_long_or_not_utf8() -> None:
    chunks = [b"# list\nhttp://a/\tone\n\n", b"x" * (INPUT_LINE.bytes + 1)]
    jobs = input_file_jobs(iter(chunks), "'urls.txt'")
    assert next(jobs) == DownloadJob("http://a/", "one")
    with pytest.raises(UsageError, match=r"line 4 of --input-file is larger than 64 KiB \('urls.txt'\)"):
        next(jobs)
    with pytest.raises(UsageError, match="line 2 of --input-file 'u' is not UTF-8 text"):
        list(input_file_jobs([b"http://a/\nhttp://\xff/\n"], "'u'"))


def test_input_file_jobs_stop_reading_an_endless_line() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"y" * 4096

    with pytest.raises(UsageError, match="line 1 of --input-file"):
        list(input_file_jobs(endless(), "-"))


TUE, WED = "Tue, 01 Jul 2025 10:00:00 GMT", "Wed, 02 Jul 2025 10:00:00 GMT"


@pytest.mark.parametrize(
    ("sent", "headers", "changed"),
    [
        (None, {"ETag": '"v2"'}, None),
        ('"v1"', {"ETag": '"v1"'}, None),
        ('"v1"', {"ETag": '"v2"'}, 'ETag: "v2" instead of "v1"'),
        ('"v1"', {"ETag": 'W/"v1"'}, 'ETag: W/"v1" instead of "v1"'),
        ('"v1"', {}, 'it has no ETag, and the part was fetched with ETag: "v1"'),
        ('"v1"', {"ETag": '"v\x1b[2J"'}, 'ETag: "v\\x1b[2J" instead of "v1"'),
        (TUE, {"Last-Modified": TUE}, None),
        (
            TUE,
            {"Last-Modified": WED, "ETag": '"x"'},
            f"Last-Modified: {WED} instead of {TUE}",
        ),
        (
            TUE,
            {"ETag": '"x"'},
            f"it has no Last-Modified, and the part was fetched with Last-Modified: {TUE}",
        ),
    ],
)
def test_a_206_is_the_same_version_only_with_the_same_validator(
    sent: str | None, headers: dict[str, str], changed: str | None
) -> None:
    assert changed_representation(sent, headers) == changed


@given(st.text(max_size=120), st.text(max_size=120))
def test_changed_representation_is_printable_and_none_only_for_an_equal_validator(sent: str, got: str) -> None:
    sent = f'"{sent}"'
    changed = changed_representation(sent, {"ETag": got})
    assert (changed is None) == (got.strip() == sent)
    assert changed is None or changed.isprintable()


@settings(max_examples=100)
@given(st.binary(max_size=300))
def test_a_meta_file_loads_or_is_damaged_never_anything_else(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    meta_file = tmp_path_factory.mktemp("meta") / "x.part.meta"
    meta_file.write_bytes(data)
    try:
        meta = PartMeta.load(meta_file)
    except DamagedMeta as damaged:
        assert damaged.reason
    else:
        assert meta is not None and isinstance(meta.url_key, str)
