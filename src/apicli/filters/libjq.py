"""libjq's own C interface, reached through the library the `jq` package already loaded.

The `jq` bindings take a program's input only as one Python str, so a large body was held as
bytes, then as str, then as the UTF-8 copy the bindings make. libjq's parser reads bytes in
pieces (`jv_parser_set_buf` with `is_partial`), so here the body goes to libjq chunk by chunk
as it arrives, and libjq writes each result's compact JSON text straight to a file descriptor
(`jv_dumpf`, as the jq command does), with numbers exactly as the jq command prints them:
Python never holds a copy of the input or of the results.

The `jq` package links libjq statically and exports its symbols; a build that does not (or a
platform without ctypes) gets None from `load()`, and callers keep using the bindings.
"""

from __future__ import annotations

import ctypes

_KIND_INVALID = 0
_KIND_NULL = 1
_KIND_NUMBER = 4
_KIND_STRING = 5
HALT_MESSAGE_LIMIT = 64 * 1024  # characters of a halt_error message or a jq error kept
_FULLY_BUFFERED = 0  # stdio's _IOFBF


class _Value(ctypes.Structure):
    """libjq's `jv`: 16 bytes passed by value. Its last field is a union of a pointer and a
    double, which the x86-64 and AArch64 calling conventions pass like the pointer alone."""

    _fields_ = (
        ("kind_flags", ctypes.c_ubyte),
        ("pad", ctypes.c_ubyte),
        ("offset", ctypes.c_ushort),
        ("size", ctypes.c_int),
        ("payload", ctypes.c_uint64),
    )


_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "jq_init": (ctypes.c_void_p, []),
    "jq_compile": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "jq_start": (None, [ctypes.c_void_p, _Value, ctypes.c_int]),
    "jq_next": (_Value, [ctypes.c_void_p]),
    "jq_halted": (ctypes.c_int, [ctypes.c_void_p]),
    "jq_get_exit_code": (_Value, [ctypes.c_void_p]),
    "jq_get_error_message": (_Value, [ctypes.c_void_p]),
    "jv_number_value": (ctypes.c_double, [_Value]),
    "jv_parser_new": (ctypes.c_void_p, [ctypes.c_int]),
    "jv_parser_free": (None, [ctypes.c_void_p]),
    "jv_parser_set_buf": (None, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
    "jv_parser_next": (_Value, [ctypes.c_void_p]),
    "jv_get_kind": (ctypes.c_int, [_Value]),
    "jv_copy": (_Value, [_Value]),
    "jv_free": (None, [_Value]),
    "jv_invalid_has_msg": (ctypes.c_int, [_Value]),
    "jv_invalid_get_msg": (_Value, [_Value]),
    "jv_dump_string": (_Value, [_Value, ctypes.c_int]),
    "jv_dumpf": (None, [_Value, ctypes.c_void_p, ctypes.c_int]),
    "jq_set_colors": (ctypes.c_int, [ctypes.c_char_p]),
    "jv_string_value": (ctypes.c_void_p, [_Value]),
    "jv_string_length_bytes": (ctypes.c_int, [_Value]),
}

_library: ctypes.CDLL | None = None
# jv_dumpf's flags, as in jq's jv.h: indented by two spaces (JV_PRINT_INDENT_FLAGS(2)), and
# coloured. The indented layout is apicli's own (json.dumps(indent=2)'s, numbers as written).
DUMP_PRETTY = 1 | 2 << 8
DUMP_COLOR = 4


def palette() -> bytes:
    """apicli's colours in jq's JQ_COLORS form (null:false:true:numbers:strings:arrays:objects:keys).

    libjq also wraps punctuation in its container's colour; an empty colour (SGR 0) leaves it, and
    numbers, in the terminal's default, so the result looks as apicli colours a body itself."""
    from ..palette import BOOL_COLOR, KEY_COLOR, NULL_COLOR, STRING_COLOR

    def sgr(sequence: bytes) -> bytes:
        return sequence.removeprefix(b"\x1b[").removesuffix(b"m")

    parts = (NULL_COLOR, BOOL_COLOR, BOOL_COLOR, b"", STRING_COLOR, b"", b"", KEY_COLOR)
    return b":".join(sgr(part) for part in parts)


def load() -> ctypes.CDLL | None:
    """libjq with its signatures declared, or None where the `jq` package does not expose it."""
    global _library
    if _library is None:
        try:
            import jq

            library = ctypes.CDLL(jq.__file__)
            for name, (result, arguments) in _SIGNATURES.items():
                function = getattr(library, name)
                function.restype = result
                function.argtypes = arguments
        except (ImportError, OSError, AttributeError, TypeError):
            return None
        _library = library
    return _library


def parse_error(library: ctypes.CDLL, text: bytes) -> str | None:
    """libjq's message for the first error in `text` (JSON values one after another, the text
    complete), or None when it all parses. The values are freed as they are parsed."""
    parser = library.jv_parser_new(0)
    try:
        library.jv_parser_set_buf(parser, text, len(text), 0)
        while True:
            value = library.jv_parser_next(parser)
            if library.jv_get_kind(value) != _KIND_INVALID:
                library.jv_free(value)
                continue
            if not library.jv_invalid_has_msg(library.jv_copy(value)):
                library.jv_free(value)
                return None
            message = library.jv_invalid_get_msg(value)
            if library.jv_get_kind(message) != _KIND_STRING:
                message = library.jv_dump_string(message, 0)
            text_value = ctypes.string_at(
                library.jv_string_value(message), library.jv_string_length_bytes(library.jv_copy(message))
            )
            library.jv_free(message)
            return text_value.decode("utf-8", "replace")
    finally:
        library.jv_parser_free(parser)


class JqFailed(ValueError):
    """The program raised a jq error, or its input did not parse; the message is libjq's."""


class JqHalted(Exception):
    """The program called `halt` or `halt_error`: evaluation stops, and what it produced stays.

    `code` is halt_error's exit code (None for `halt`); `message` its message as text: a string
    as itself, any other value as JSON (None when there is none)."""

    def __init__(self, code: int | None, message: str | None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


class ResultFile:
    """A C stdio stream on a file descriptor: libjq writes results to it, and so do we, in order."""

    def __init__(self, fd: int) -> None:
        self.libc = ctypes.CDLL(None)
        self.libc.fdopen.restype = ctypes.c_void_p
        self.libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
        self.libc.fwrite.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
        self.libc.fflush.argtypes = [ctypes.c_void_p]
        self.stream = self.libc.fdopen(fd, b"wb")
        if not self.stream:
            raise OSError(ctypes.get_errno(), "fdopen failed")
        # A write per pipe-full of results, not per 4 KiB (stdio's default): fewer wake-ups of the reader.
        self.libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
        # glibc ignores the size unless given the buffer itself; it must live as long as the stream.
        self.buffer = ctypes.create_string_buffer(64 * 1024)
        self.libc.setvbuf(self.stream, self.buffer, _FULLY_BUFFERED, len(self.buffer))

    def write(self, data: bytes) -> None:
        if data and self.libc.fwrite(data, 1, len(data), self.stream) != len(data):
            raise BrokenPipeError("the parent stopped reading")

    def flush(self) -> None:
        if self.libc.fflush(self.stream) != 0:
            raise BrokenPipeError("the parent stopped reading")


class StreamingFilter:
    """One compiled program, fed an input's bytes in pieces: `feed` and `finish` write each
    result to `out`, compact, a line each, as soon as libjq has parsed enough to produce it."""

    # libjq counts a chunk's length in an int.
    _PIECE = 1 << 30

    def __init__(self, library: ctypes.CDLL, program: str, out: ResultFile) -> None:
        self.lib = library
        self.out = out
        self.state = library.jq_init()
        if not self.state or not library.jq_compile(self.state, program.encode("utf-8", "surrogatepass")):
            raise JqFailed(f"invalid jq program: {program}")
        self.parser: int | None = None
        self.dump_flags = 0  # jv_dumpf's: compact unless the parent asks for indented or coloured results
        self.coloured = False  # apicli's palette is set (libjq keeps one, for the whole process)
        self.held = b""  # libjq reads the current chunk in place: it must outlive the parsing of it

    def lay_out(self, flags: int) -> None:
        """Write the results that follow with jv_dumpf's `flags`; coloured in apicli's palette."""
        if flags & DUMP_COLOR and not self.coloured:
            self.lib.jq_set_colors(palette())
            self.coloured = True
        self.dump_flags = flags

    def feed(self, chunk: bytes) -> None:
        for start in range(0, len(chunk), self._PIECE):
            self._parse(chunk[start : start + self._PIECE], partial=True)

    def finish(self) -> None:
        """The input has ended: parse what is left, and be ready for the next input."""
        try:
            self._parse(b"", partial=False)
        finally:
            self.reset()

    def reset(self) -> None:
        if self.parser is not None:
            self.lib.jv_parser_free(self.parser)
            self.parser = None
        self.held = b""

    def _parse(self, data: bytes, *, partial: bool) -> None:
        lib = self.lib
        if self.parser is None:
            self.parser = lib.jv_parser_new(0)
        self.held = data
        lib.jv_parser_set_buf(self.parser, data, len(data), 1 if partial else 0)
        while True:
            value = lib.jv_parser_next(self.parser)
            if lib.jv_get_kind(value) == _KIND_INVALID:
                if lib.jv_invalid_has_msg(lib.jv_copy(value)):
                    raise JqFailed(f"parse error: {self._message(value)}")
                lib.jv_free(value)
                return  # the parser needs more input
            self._run(value)

    def _run(self, value: _Value) -> None:
        lib = self.lib
        lib.jq_start(self.state, value, 0)
        while True:
            result = lib.jq_next(self.state)
            if lib.jv_get_kind(result) == _KIND_INVALID:
                if lib.jv_invalid_has_msg(lib.jv_copy(result)):
                    raise JqFailed(self._message(result))
                lib.jv_free(result)
                if lib.jq_halted(self.state):
                    raise self._halted()
                return  # no more results
            lib.jv_dumpf(result, self.out.stream, self.dump_flags)
            self.out.write(b"\n")

    def _halted(self) -> JqHalted:
        lib = self.lib
        code_value = lib.jq_get_exit_code(self.state)
        code: int | None = None
        if lib.jv_get_kind(code_value) == _KIND_NUMBER:
            number = lib.jv_number_value(lib.jv_copy(code_value))
            code = int(number) if abs(number) < 2**31 else 5  # jq's own code for an unusable one
        elif lib.jv_get_kind(code_value) != _KIND_INVALID:
            code = 5  # halt_error with a code that is not a number: jq exits 5
        lib.jv_free(code_value)
        message_value = lib.jq_get_error_message(self.state)
        kind = lib.jv_get_kind(message_value)
        if kind == _KIND_INVALID or (kind == _KIND_NULL and code is None):
            lib.jv_free(message_value)
            return JqHalted(code, None)
        if kind != _KIND_STRING:
            message_value = lib.jv_dump_string(message_value, 0)
        text = self._take_text(message_value).decode("utf-8", "replace")
        return JqHalted(code, text[:HALT_MESSAGE_LIMIT])

    def _message(self, invalid: _Value) -> str:
        lib = self.lib
        message = lib.jv_invalid_get_msg(invalid)
        if lib.jv_get_kind(message) != _KIND_STRING:
            message = lib.jv_dump_string(message, 0)
        return self._take_text(message).decode("utf-8", "replace")

    def _take_text(self, string: _Value) -> bytes:
        """A jv string's bytes, and the jv freed."""
        lib = self.lib
        text = ctypes.string_at(lib.jv_string_value(string), lib.jv_string_length_bytes(lib.jv_copy(string)))
        lib.jv_free(string)
        return text
