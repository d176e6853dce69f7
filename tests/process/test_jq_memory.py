"""A streamed --jq selection holds constant memory on a large body (a real process, RSS sampled).

`--jq '.items[] | .id'` on a generated body far past the 48 MiB a whole body may have: apicli
and its jq child together stay small, because the body is split into elements as it arrives.
"""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from tests.hostile.harness import assert_clean, run

ITEMS = 900_000  # about 97 MB
STREAMED_CAP_MIB = 80  # generous: apicli's own process holds a window and a batch, the child one batch


def _body() -> bytes:
    items = ",".join(
        f'{{"id": {n}, "login": "user{n}", "active": {"true" if n % 3 else "false"}, '
        f'"score": 12345678901234567890.5, "tags": ["a", "ü"]}}'
        for n in range(ITEMS)
    )
    return f'{{"total": {ITEMS}, "items": [{items}], "next": null}}'.encode()


def test_a_selection_over_a_large_body_holds_constant_memory(httpserver: HTTPServer) -> None:
    body = _body()
    assert len(body) > 90 * 1024 * 1024
    # A server without a send timeout: on a busy machine the jq child may fall seconds behind.
    httpserver.expect_request("/big").respond_with_data(body, content_type="application/json")
    outcome = run(["get", httpserver.url_for("/big"), "--jq", ".items[] | .id"], timeout=600)
    assert_clean(outcome, 0, bounded=True)
    assert outcome.stdout_size == sum(len(b"%d\n" % n) for n in range(ITEMS)), outcome.describe()
    assert outcome.stdout.startswith(b"0\n1\n2\n")
    assert outcome.peak_mib < STREAMED_CAP_MIB, outcome.describe()
    assert outcome.child_peak_mib < STREAMED_CAP_MIB, outcome.describe()


def test_exact_numbers_survive_the_split(httpserver: HTTPServer) -> None:
    numbers = ["100000000000000000000001", "1.000", "1E+1000"]
    body = ('{"items": [' + ",".join(f'{{"n": {number}}}' for number in numbers) + "]}").encode()
    httpserver.expect_request("/exact").respond_with_data(body, content_type="application/json")
    outcome = run(["get", httpserver.url_for("/exact"), "--jq", ".items[] | .n"])
    assert_clean(outcome, 0)
    assert outcome.stdout == b"100000000000000000000001\n1.000\n1E+1000\n"  # as libjq spells them


def test_a_whole_document_output_passes_through_the_parent(httpserver: HTTPServer) -> None:
    # `--jq .` reads the body whole in libjq; its output, compact into a pipe or indented, is laid
    # out in the child and passes through apicli's own process, which never holds it.
    body = b'{"items": [' + b",".join(b'{"id": %d, "name": "user%d"}' % (n, n) for n in range(600_000)) + b"]}"
    assert len(body) > 20 * 1024 * 1024
    httpserver.expect_request("/doc").respond_with_data(body, content_type="application/json")
    for extra in ([], ["--pretty", "--no-color"]):
        outcome = run(["get", httpserver.url_for("/doc"), "--jq", ".", *extra], timeout=300)
        assert_clean(outcome, 0)
        assert outcome.stdout_size > len(body) * (0.9 if not extra else 1.5), outcome.describe()
        assert outcome.stdout.startswith(b'{"items":[{"id":0,' if not extra else b'{\n  "items": [\n'), (
            outcome.describe()
        )
        assert outcome.peak_mib < 50, outcome.describe()  # the body is 21 MB; holding the output would take more
