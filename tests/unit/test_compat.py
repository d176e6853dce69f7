"""Each private internal apicli.compat reaches still exists, with the shape compat relies on.

A failure names the internal, the installed version of its library and the versions it was
checked against, so an upgrade that moves one fails here, not in a user's run. The last test
keeps every such reach in compat.py: no other module of apicli names a library's private name.
"""

from __future__ import annotations

import ast
import http.client
import importlib
import inspect
import io
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.cookiejar import Cookie
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import urllib3.response

import apicli
from apicli import compat
from apicli.cli import typer_compat
from apicli.output.streams import iter_wire_direct

# The versions each reach was read against: the floors pyproject.toml allows, and the newest tried.
CHECKED_AGAINST = {
    "urllib3": ("2.6.0", "2.8.0"),
    "requests": ("2.32.2", "2.34.2"),
    "typer": ("0.26.0", "0.28.0"),
    "PySocks": ("1.7.1", "1.7.1"),
    "python": ("3.11", "3.11"),
}


def _installed(library: str) -> str:
    if library == "python":
        import sys

        return ".".join(map(str, sys.version_info[:3]))
    return version(library)


def expect(holds: object, internal: str, library: str, relied_on_by: str) -> None:
    """Fail, naming what changed, unless `holds`."""
    if not holds:
        floor, newest = CHECKED_AGAINST[library]
        pytest.fail(
            f"{internal} is missing or changed in {library} {_installed(library)} "
            f"(checked against {floor} to {newest}): apicli.compat.{relied_on_by} relies on it"
        )


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def names_used(function: Callable[..., Any]) -> set[str]:
    """The global and attribute names a function's own code refers to."""
    return set(function.__code__.co_names)


# --- the standard library ---------------------------------------------------------------------


def test_http_client_reads_its_header_limits_from_module_globals() -> None:
    for name in ("_MAXHEADERS", "_MAXLINE"):
        expect(
            isinstance(getattr(http.client, name, None), int),
            f"http.client.{name}",
            "python",
            "set_http_client_header_limits",
        )
        readers = [f for f in vars(http.client).values() if inspect.isfunction(f) and name in names_used(f)]
        expect(readers, f"a function of http.client reading {name}", "python", "set_http_client_header_limits")


def test_header_limits_take_effect_on_a_response(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http.client, "_MAXHEADERS", 100)  # restored after the test
    compat.set_http_client_header_limits(2, 64 * 1024 + 2)
    head = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n"
    with pytest.raises(http.client.HTTPException, match="more than 2 headers"):
        http.client.parse_headers(io.BytesIO(head.split(b"\r\n", 1)[1]))


def test_exit_handlers_run_on_request() -> None:
    import atexit

    expect(callable(getattr(atexit, "_run_exitfuncs", None)), "atexit._run_exitfuncs", "python", "run_exit_handlers")
    # In a process of its own: running the exit handlers here would also shut weakref.finalize
    # down for the rest of the test run (a finalizer called after that does nothing).
    program = (
        "import atexit, os\n"
        "from apicli import compat\n"
        "atexit.register(os.write, 1, b'ran\\n')\n"
        "compat.run_exit_handlers()\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"ran\n", b"")


def test_a_cookie_jar_locks_itself_with_an_rlock() -> None:
    import threading
    from http.cookiejar import CookieJar

    jar = CookieJar()
    lock = compat.cookie_jar_lock(jar)
    expect(lock is getattr(jar, "_cookies_lock", None), "http.cookiejar.CookieJar._cookies_lock", "python",
           "cookie_jar_lock")  # fmt: skip
    assert isinstance(lock, type(threading.RLock()))
    with lock:  # re-entrant, as the jar's own methods take it again inside
        jar.clear()


def test_cookie_attributes_keep_their_spelling() -> None:
    cookie = Cookie(
        0,
        "sid",
        "1",
        None,
        False,
        "example.com",
        True,
        False,
        "/",
        True,
        False,
        None,
        False,
        None,
        None,
        {"httpOnly": None},
    )
    expect(
        isinstance(getattr(cookie, "_rest", None), dict),
        "http.cookiejar.Cookie._rest",
        "python",
        "cookie_attribute_names",
    )
    assert compat.cookie_attribute_names(cookie) == ["httpOnly"]


def test_the_socket_under_a_response_is_found() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        response = http.client.HTTPResponse(ours)
        expect(
            compat.response_socket(response) is ours,
            "socket.SocketIO._sock (HTTPResponse.fp.raw._sock)",
            "python",
            "response_socket",
        )


# --- requests ---------------------------------------------------------------------------------


def test_a_prepared_request_keeps_its_cookie_jar() -> None:
    prepared = requests.Session().prepare_request(requests.Request("GET", "http://127.0.0.1/", cookies={"a": "1"}))
    jar = compat.request_cookie_jar(prepared)
    expect(jar is not None and "a" in jar, "requests.PreparedRequest._cookies", "requests", "request_cookie_jar")
    expect(
        "_cookies" in names_used(requests.PreparedRequest.prepare_cookies),
        "PreparedRequest.prepare_cookies storing _cookies",
        "requests",
        "request_cookie_jar",
    )


# --- urllib3 ----------------------------------------------------------------------------------

POOL = urllib3.connectionpool.HTTPConnectionPool
CONNECTION = urllib3.connection.HTTPConnection


def test_pools_send_each_request_through_make_request() -> None:
    send = getattr(POOL, "_make_request", None)
    expect(callable(send), "HTTPConnectionPool._make_request", "urllib3", "PoolSendHook")
    assert send is not None
    expect(
        parameters(send)[:7] == ["self", "conn", "method", "url", "body", "headers", "retries"],
        "the parameters of HTTPConnectionPool._make_request",
        "urllib3",
        "PoolSendHook",
    )
    expect("_make_request" in names_used(POOL.urlopen), "urlopen calling _make_request", "urllib3", "PoolSendHook")


def test_pool_classes_name_their_connection_class_publicly() -> None:
    # Not a private reach: timing.py and unixsocket.py swap connections through this class attribute.
    assert urllib3.connectionpool.HTTPConnectionPool.ConnectionCls is CONNECTION
    assert urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls is urllib3.connection.HTTPSConnection


def test_connections_open_their_socket_in_new_conn() -> None:
    expect(
        callable(getattr(CONNECTION, "_new_conn", None)), "HTTPConnection._new_conn", "urllib3", "ConnectionSocketHook"
    )
    for cls in (CONNECTION, urllib3.connection.HTTPSConnection):
        expect(
            "_new_conn" in names_used(cls.connect),
            f"{cls.__name__}.connect calling _new_conn",
            "urllib3",
            "ConnectionSocketHook",
        )


def test_connections_look_up_dns_host() -> None:
    conn = CONNECTION("localhost.", 80)
    expect(getattr(conn, "_dns_host", None) == "localhost.", "HTTPConnection._dns_host", "urllib3", "name_to_resolve")
    expect(
        "_dns_host" in names_used(CONNECTION._new_conn),
        "HTTPConnection._new_conn connecting to _dns_host",
        "urllib3",
        "connecting_to_address",
    )
    assert compat.name_to_resolve(conn) == "localhost."
    with compat.connecting_to_address(conn, "127.0.0.1"):
        assert compat.name_to_resolve(conn) == "127.0.0.1"
    assert compat.name_to_resolve(conn) == "localhost."


def test_socks_connections_keep_their_options() -> None:
    socks = importlib.import_module("urllib3.contrib.socks")
    expect(
        "_socks_options" in parameters(socks.SOCKSConnection.__init__),
        "SOCKSConnection(_socks_options=...)",
        "urllib3",
        "socks_options",
    )
    options = {"socks_version": 2, "proxy_host": "127.0.0.1", "proxy_port": 1080, "rdns": True}
    conn = socks.SOCKSConnection(options, "example.com", 80)
    expect(compat.socks_options(conn) == options, "SOCKSConnection._socks_options", "urllib3", "socks_options")
    assert compat.socks_options(CONNECTION("example.com", 80)) is None


def _compressed(coding: str, data: bytes) -> bytes:
    if coding == "br":
        return bytes(importlib.import_module("brotli").compress(data))
    zstd = urllib3.response.zstd  # the zstd module urllib3 itself decodes with
    return bytes(zstd.compress(data))


@pytest.mark.parametrize(("coding", "decoder_class"), [("br", "BrotliDecoder"), ("zstd", "ZstdDecoder")])
def test_library_decoders_tell_whether_their_stream_ended(coding: str, decoder_class: str) -> None:
    cls = getattr(urllib3.response, decoder_class)
    expect(hasattr(cls(), "_obj"), f"urllib3.response.{decoder_class}._obj", "urllib3", "decoder_stream_ended")
    whole = _compressed(coding, b"x" * 10_000)
    cut, complete = cls(), cls()
    cut.decompress(whole[: len(whole) // 2])
    complete.decompress(whole)
    expect(
        not compat.decoder_stream_ended(cut) and compat.decoder_stream_ended(complete),
        f"the end-of-stream flag of {decoder_class}._obj (is_finished() or eof)",
        "urllib3",
        "decoder_stream_ended",
    )


@pytest.fixture
def urllib3_response() -> Iterator[tuple[urllib3.response.HTTPResponse, http.client.HTTPResponse]]:
    """A urllib3 response over an http.client one over a socket pair, its 10-byte body not yet read."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
        below = http.client.HTTPResponse(ours)
        below.begin()
        above = urllib3.response.HTTPResponse(
            body=below, headers=dict(below.getheaders()), status=200, preload_content=False, original_response=below
        )
        yield above, below


def test_a_urllib3_response_can_be_read_below(urllib3_response: tuple[Any, http.client.HTTPResponse]) -> None:
    above, below = urllib3_response
    for name, kind in (("_fp", http.client.HTTPResponse), ("_fp_bytes_read", int), ("_has_decoded_content", bool)):
        expect(
            isinstance(getattr(above, name, None), kind),
            f"urllib3.response.HTTPResponse.{name}",
            "urllib3",
            "directly_readable_response",
        )
    expect(
        callable(getattr(above, "_error_catcher", None)),
        "urllib3.response.HTTPResponse._error_catcher",
        "urllib3",
        "urllib3_read_errors",
    )
    assert compat.http_client_response(above) is below
    assert compat.directly_readable_response(above) is below
    assert b"".join(iter_wire_direct(above, 4)) == b"0123456789"
    expect(
        above.tell() == 10 and above.length_remaining == 0,
        "HTTPResponse.tell() reading _fp_bytes_read",
        "urllib3",
        "count_bytes_read",
    )


def test_read_errors_become_urllib3_errors(urllib3_response: tuple[Any, http.client.HTTPResponse]) -> None:
    above, _below = urllib3_response
    with pytest.raises(urllib3.exceptions.ProtocolError), compat.urllib3_read_errors(above):
        raise ConnectionResetError("reset")


# --- typer and the click it vendors -----------------------------------------------------------

CLICK_NAMES = {
    "types": ("ParamType", "IntRange", "FloatRange"),
    "exceptions": ("ClickException", "UsageError", "NoSuchOption", "NoArgsIsHelpError"),
    "shell_completion": ("CompletionItem", "add_completion_class"),
    "core": ("Parameter", "Command", "Context"),
}


@pytest.mark.parametrize("module", sorted(CLICK_NAMES))
def test_typer_vendors_click(module: str) -> None:
    try:
        found = typer_compat.click_module(module)
    except ImportError:
        found = None
    expect(found is not None, f"typer._click.{module}", "typer", "click_module")
    for name in CLICK_NAMES[module]:
        expect(hasattr(found, name), f"typer._click.{module}.{name}", "typer", "click_module")


def test_a_click_parameter_completes_through_its_custom_function() -> None:
    core = typer_compat.click_module("core")
    expect(
        "_custom_shell_complete" in names_used(core.Parameter.shell_complete),
        "click Parameter._custom_shell_complete",
        "typer",
        "set_shell_complete",
    )
    from typer.core import TyperCommand, TyperOption

    option = TyperOption(param_decls=["--colour"])
    typer_compat.set_shell_complete(option, lambda ctx, param, incomplete: [f"{incomplete}-red"])
    context = core.Context(TyperCommand("apicli", params=[option]))
    assert [item.value for item in option.shell_complete(context, "dark")] == ["dark-red"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_typer_completion_classes_take_a_mixin(shell: str) -> None:
    class Answers:
        pass

    made = typer_compat.typer_completion_class(shell, Answers, "# %(prog_name)s")
    expect(
        callable(getattr(made, "get_completion_args", None)),
        f"typer._completion_classes' {shell} class",
        "typer",
        "typer_completion_class",
    )
    assert made.__mro__[1] is Answers and made.source_template == "# %(prog_name)s"


def test_typer_completion_scripts_come_from_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = importlib.import_module("typer._completion_shared")
    expect(
        isinstance(getattr(shared, "_completion_scripts", None), dict),
        "typer._completion_shared._completion_scripts",
        "typer",
        "set_typer_completion_script",
    )
    expect(
        parameters(shared.get_completion_script) == ["prog_name", "complete_var", "shell"],
        "typer._completion_shared.get_completion_script(prog_name, complete_var, shell)",
        "typer",
        "typer_completion_script",
    )
    expect(
        {"shell", "prog_name", "complete_var"} <= set(parameters(shared.install)),
        "typer._completion_shared.install(shell, prog_name, complete_var)",
        "typer",
        "install_typer_completion",
    )
    monkeypatch.setitem(shared._completion_scripts, "bash", "complete %(prog_name)s via %(autocomplete_var)s")
    typer_compat.set_typer_completion_script("bash", "complete %(prog_name)s via %(autocomplete_var)s")
    assert typer_compat.typer_completion_script(prog_name="apicli", complete_var="_X", shell="bash") == (
        "complete apicli via _X"
    )


# --- the rule ---------------------------------------------------------------------------------

# Names with an underscore that are public: namedtuple's API, os._exit (documented, on purpose).
PUBLIC_UNDERSCORED = {"_replace", "_asdict", "_fields", "_make", "_exit"}


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """Nodes inside annotations: seen only by the type checker (typeshed's zlib._Decompress)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.AnnAssign | ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        for annotation in annotations:
            if annotation is not None:
                inside.update(id(part) for part in ast.walk(annotation))
    return inside


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_UNDERSCORED


def private_names_defined(source: str) -> set[str]:
    """The private names a module defines: functions, classes, and names or attributes it assigns."""
    defined = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                defined.add(target.id)
            elif isinstance(target, ast.Attribute):
                defined.add(target.attr)
    return {name for name in defined if _private(name)}


def private_reaches(source: str, own: set[str] = frozenset(), hooked: set[str] = frozenset()) -> list[str]:
    """Another library's private names that `source` uses: attributes, getattr strings, imports, module paths.

    `own`: private names apicli defines itself (its attributes are its own business), unless
    `hooked`, the private names compat.py reaches, which no other module may use or override."""
    tree = ast.parse(source)
    skip = _annotation_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Attribute) and _private(node.attr) and (node.attr not in own or node.attr in hooked):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.FunctionDef) and node.name in hooked:
            found.append(f"def {node.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and _private(str(node.args[1].value)):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [*(node.module or "").split("."), *(alias.name for alias in node.names)]
            if any(_private(name) for name in names):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Import) and any(_private(part) for a in node.names for part in a.name.split(".")):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = node.value.split(".")
            if len(parts) > 1 and all(part.isidentifier() for part in parts) and any(map(_private, parts[1:])):
                found.append(repr(node.value))  # importlib.import_module("typer._click.types")
    return found


def hooked_names(compat_source: str) -> set[str]:
    """The private names compat.py reaches or overrides: its hook methods and what it reads."""
    tree = ast.parse(compat_source)
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and _private(node.attr)}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and _private(n.name)}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return names | {part for text in strings for part in text.split(".") if part.isidentifier() and _private(part)}


def test_the_rule_finds_each_kind_of_reach() -> None:
    source = (
        "from typer._click import types\nimport a._b\nx = r._fp\ny = getattr(r, '_fp', None)\n"
        "m = importlib.import_module('typer._completion_shared')\nself._own = t._replace(a=1)\nos._exit(0)\n"
        "v: zlib._Decompress | None = None\nclock._deadline = 1\nclass C:\n    def _new_conn(self): pass\n"
    )
    assert sorted(private_reaches(source, own={"_deadline", "_new_conn"}, hooked={"_new_conn"})) == [
        "'typer._completion_shared'",
        "def _new_conn",
        "from typer._click import types",
        "getattr(r, '_fp', None)",
        "import a._b",
        "r._fp",
    ]
    assert "clock._deadline" in private_reaches(source)  # not apicli's own: a reach


def test_only_compat_reaches_private_internals() -> None:
    package = Path(apicli.__file__).parent
    sources = {str(path.relative_to(package)): path.read_text(encoding="utf-8") for path in package.rglob("*.py")}
    # The core's reaches, and the Typer layer's (which the core must not load).
    compat_source = sources.pop("compat.py") + sources.pop(str(Path("cli", "typer_compat.py")))
    hooked = hooked_names(compat_source)
    assert {"_make_request", "_new_conn", "_fp", "_socks_options", "_obj", "_MAXHEADERS"} <= hooked
    own = set().union(*map(private_names_defined, sources.values())) - hooked
    reaches = {
        name: found for name, source in sorted(sources.items()) if (found := private_reaches(source, own, hooked))
    }
    assert reaches == {}, (
        "reach private internals through apicli.compat (typer's: apicli.cli.typer_compat), with a check in this file"
    )
