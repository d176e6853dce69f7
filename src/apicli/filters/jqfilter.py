"""--jq: filter JSON responses with real jq (libjq, through the `jq` bindings).

The bindings turn results into Python values through C doubles, which would
round big or precise numbers. So the user's program runs as `(EXPR) | tojson`:
libjq itself writes each result's JSON text, and numbers come out exactly as
the jq command prints them. This module is a filter: it hands each result's JSON
text on, and the output's renderer (output/render.py) lays them out as jq does.

The `jq` package (libjq) is a dependency where wheels exist; it is imported only
when --jq is used.
"""

from __future__ import annotations

import codecs
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ..errors import ApicliError, ExitCode, ResponseFormatError, UsageError
from ..limits import too_large
from ..signals import fork
from .jqvars import NO_FACTS, WRAPPER, names_response, wrapped
from .jqworker import JqWorker, results_too_large
from .libjq import JqHalted

INSTALL_HINT = "install the jq package (pip install jq); it has no wheel for this platform yet"
RESULTS_LIMIT = 48 * 1024 * 1024  # bytes of results held for one input, Python's own per result counted
_RESULT_OVERHEAD = 64  # a str object and its slot in the list: many small results cost more than their text
# The largest input a brief program (jqscan.py) runs on in this process; its cost bound may allow less.
BRIEF_INPUT_LIMIT = 1024 * 1024


_Item = TypeVar("_Item")
_SHOWN_MESSAGE = 1000  # characters of a halt_error message in the one-line report


class JqResults(list[str]):
    """Each result's compact JSON text; `halt` is set when the program stopped with halt or halt_error."""

    halt: JqHalted | None = None


class JqHaltError(ApicliError):
    """`halt_error`: what came before is kept, the message is shown, and the run exits 2 (a jq
    runtime error's code; jq's own code is named, as it would collide with apicli's table),
    or 0 for `halt_error(0)`."""

    def __init__(self, flag: str, halt: JqHalted, output: bytes = b"") -> None:
        message = (halt.message or "").removesuffix("\n")
        if len(message) > _SHOWN_MESSAGE:
            message = message[:_SHOWN_MESSAGE] + "…"
        # One line: line breaks spelled out here, other controls where every error is shown (visible()).
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        super().__init__(f"{flag}: halt_error({halt.code}){': ' if message else ''}{message}")
        self.exit_code = ExitCode.OK if halt.code == 0 else ExitCode.USAGE
        self.output = output  # the results before the halt, formatted: the caller writes them first


def halt_error(flag: str, halt: JqHalted | None, output: bytes = b"") -> JqHaltError | None:
    """The error a halt ends the run with; None for `halt`, which just stops, exit 0."""
    if halt is None or (halt.code is None and halt.message is None):
        return None
    return JqHaltError(flag, halt, output)


class JqProgram:
    """A compiled jq program: `expression` as given, run so that libjq writes the JSON text."""

    # A plain class, not a dataclass: building a dataclass costs about 1 ms of start-up per run.
    __slots__ = (
        "bindings",
        "compiled",
        "element_program",
        "expression",
        "facts",
        "halted",
        "here_below",
        "raw_output",
        "streamer",
        "worker",
    )

    def __init__(
        self,
        expression: str,
        compiled: Any,
        raw_output: bool = False,
        worker: JqWorker | None = None,
        here_below: int = 0,
        facts: bytes | None = None,
        bindings: str = "",
    ) -> None:
        self.expression = expression
        self.bindings = bindings  # the prefix binding jq's own arguments (jqargs.py), for the programs made from it
        # For a program that names $status & co. (jqvars.py): the facts its inputs are wrapped with.
        self.facts = facts
        self.compiled = compiled
        self.raw_output = raw_output
        # Where fork exists, evaluation runs in a child that --max-time and Ctrl-C can stop ...
        self.worker = worker
        # ... except for inputs shorter than this, when the program cannot compute for long (jqscan.py).
        self.here_below = here_below
        self.halted = False  # the program called halt or halt_error: a stream writes nothing more
        self.streamer: JqProgram | None = None  # for a selection (`PATH[] | REST`): the program its elements run
        self.element_program: JqProgram | bool | None = None  # on_each_element's program (False: none)

    def __repr__(self) -> str:
        return f"JqProgram({self.expression!r}, raw_output={self.raw_output})"

    def expect(self, size: int | None) -> None:
        """An input of about `size` bytes is coming (None: unknown): fork the child now, before the
        input is read and held, unless the program will run on it here."""
        if self.worker is not None and self.runs_in_child(size):
            self.worker.start()

    def with_facts(self, facts: bytes) -> None:
        """The response's facts (a JSON object's text) for the inputs that follow, if the program uses them."""
        if self.facts is not None:
            self.facts = facts

    def results(self, text: str) -> JqResults:
        """Each result's compact JSON text, for input `text` (one or more JSON values)."""
        if self.facts is not None:
            text = f"[{self.facts.decode('utf-8')},{text}]"
        if self.worker is not None and _size(text) >= self.here_below:
            return self._collect(self.worker.results([text.encode("utf-8", "surrogatepass")], RESULTS_LIMIT))
        return self._collect(iter(self.compiled.input_text(text)))

    def on_each_element(self) -> JqProgram | None:
        """This program run on each element of an array given whole (`.[] | (PROGRAM)`), with the
        same results, in order, as one run per element; None when that would differ: a program
        that reads other inputs or its own location, or names the response's facts."""
        if self.element_program is None:
            from .jqshape import find_selection

            source = self.expression if self.expression.strip() else "."
            if self.facts is not None or find_selection(f".[] | {source}") is None:
                self.element_program = False
            else:
                self.element_program = compile_jq(
                    f".[] | (\n{source}\n)",
                    raw_output=self.raw_output,
                    fork_now=False,
                    brief_here=bool(self.here_below),
                    bindings=self.bindings,
                    judged=[source],
                )
        return self.element_program if isinstance(self.element_program, JqProgram) else None

    def laid_out(self, text: bytes, flags: int) -> Iterator[bytes] | None:
        """The output for the input `text` as libjq writes it in the child (jv_dumpf's `flags`), as
        it is produced; None where there is no child with libjq's C interface."""
        from .libjq import load

        worker = self.worker
        if worker is None or load() is None:
            return None
        return self._streamed(lambda inputs: worker.output(inputs, RESULTS_LIMIT, flags), iter([iter([text])]))

    def body_results(self, chunks: Iterator[bytes], content_type: str | None, limit: int) -> JqResults:
        """Each result's compact JSON text, for a response body arriving as `chunks`.

        With a child running, the bytes go to libjq as they arrive and no copy of the body is held
        here; otherwise (a brief program on a small body, or no fork) the body is read whole.
        """
        checked = json_chunks(chunks, content_type, limit)
        if self.facts is not None:
            checked = wrapped(self.facts, checked)
        if self.worker is not None and (self.worker.child is not None or not self.here_below):
            return self._in_child(checked, checked)
        held: list[bytes] = []
        size = 0
        for chunk in checked:
            held.append(chunk)
            size += len(chunk)
            if self.worker is not None and size >= self.here_below:
                # Too large to run here: the child takes what came and the rest as it comes.
                return self._in_child(itertools.chain(held, checked), checked)
        return self._collect(iter(self.compiled.input_text(b"".join(held).decode("utf-8"))))

    def runs_in_child(self, size: int | None) -> bool:
        """Whether an input of `size` bytes (None: unknown) is evaluated in the child."""
        return self.worker is not None and (size is None or size >= self.here_below)

    def streamed_output(
        self, chunks: Iterator[bytes], content_type: str | None, limit: int, flags: int, *, whole: bool
    ) -> Iterator[bytes] | None:
        """The output for a response body as libjq writes it (jv_dumpf's `flags`), as it is
        produced: for a selection (`PATH[] | REST`, jqshape.py) an element at a time, whatever the
        body's size; for any other program when `whole`, the body (bounded by `limit`) given to
        the child whole and the output laid out there, so the parent never holds or parses it.
        None: neither applies, and nothing was read."""
        plan = self._stream_plan(chunks, content_type, limit, whole=whole)
        if plan is None:
            return None
        worker, documents = plan
        return self._streamed(lambda inputs: worker.output(inputs, RESULTS_LIMIT, flags), documents)

    def streamed_results(self, chunks: Iterator[bytes], content_type: str | None) -> Iterator[str] | None:
        """Each result's compact JSON text as it is produced, for a selection (`PATH[] | REST`);
        None for any other program, and nothing was read."""
        plan = self._stream_plan(chunks, content_type, 0, whole=False)
        if plan is None:
            return None
        worker, documents = plan
        return self._streamed(lambda inputs: worker.results(inputs, RESULTS_LIMIT), documents)

    def _stream_plan(
        self, chunks: Iterator[bytes], content_type: str | None, limit: int, *, whole: bool
    ) -> tuple[JqWorker, Iterator[Iterator[bytes]]] | None:
        """The child to run, and the inputs for each of the body's JSON values; None: not streamed."""
        from .libjq import load

        library = load() if self.worker is not None else None
        if library is None:
            return None  # no fork, or no C interface: the bindings take an input only whole
        from .jqshape import find_selection

        # A program that names $status & co. runs on [FACTS, BODY] (jqvars.py): it takes the whole path.
        selection = find_selection(self.expression) if self.facts is None else None
        if selection is not None:
            from .jqsplit import Splitter, child_program

            if self.streamer is None:
                self.streamer = compile_jq(child_program(selection), raw_output=self.raw_output, bindings=self.bindings)
            assert self.worker is not None and self.streamer.worker is not None
            self.worker.stop()  # the whole program's child, forked at compile time, has nothing to do
            # No cap: memory holds an element at a time.
            splitter = Splitter(json_chunks(chunks, content_type, sys.maxsize), selection, library)
            return self.streamer.worker, splitter.documents()
        if not whole:
            return None
        assert self.worker is not None
        checked = json_chunks(chunks, content_type, limit)
        return self.worker, iter([wrapped(self.facts, checked) if self.facts is not None else checked])

    def _streamed(
        self, run: Callable[[Iterator[bytes]], Iterator[Any]], documents: Iterator[Iterator[bytes]]
    ) -> Iterator[Any]:
        """What `run` makes of each document's inputs, with jq's errors and halts as the collected
        path reports them. An error found in the body is raised after the results of what came
        before it; and as libjq parses each of the body's values whole before it runs the program
        on it, a value that is not JSON is reported before an error or a halt of the program on one
        of its elements."""
        held_back: list[BaseException] = []
        for document in _holding_back(documents, held_back):
            inputs = _holding_back(document, held_back)
            produced = run(inputs)
            try:
                yield from produced
            except (JqHalted, ValueError) as stopped:
                if not isinstance(stopped, ApicliError):
                    for _input in inputs:  # the rest of this value, checked but not run
                        pass
                    if held_back:
                        raise _input_error(held_back[0]) from None
                if isinstance(stopped, JqHalted):
                    self.halted = True
                    stop = halt_error("--jq", stopped)
                    if stop is not None:
                        raise stop from None
                    return
                if isinstance(stopped, ApicliError):
                    raise
                raise _jq_error(stopped) from None
            finally:
                close = getattr(produced, "close", None)
                if close is not None:
                    close()
            if held_back:
                break
        if held_back:
            raise _input_error(held_back[0])

    def _in_child(self, body: Iterator[bytes], rest: Iterator[bytes]) -> JqResults:
        assert self.worker is not None
        try:
            return self._collect(self.worker.results(body, RESULTS_LIMIT))
        except ResponseFormatError:
            # libjq may see the garbage of a broken transfer (a corrupt gzip stream) before the
            # transfer's own error is raised: that error, if there is one, is the better report.
            for _chunk in rest:
                pass
            raise

    def _collect(self, produced: Iterator[str]) -> JqResults:
        """The results, taken one at a time in a Python loop, not with list(): libjq holds the GIL
        while it runs, and only between results do the --max-time alarm and Ctrl-C get to
        raise. What is held is bounded, so `range(1e9)` is refused instead of filling memory.
        """
        results = JqResults()
        held = 0
        try:
            for result in produced:
                held += len(result) + _RESULT_OVERHEAD
                if held > RESULTS_LIMIT:
                    raise results_too_large(RESULTS_LIMIT)
                results.append(result)
        except JqHalted as halt:
            results.halt = halt
            self.halted = True
        except ApicliError:
            raise  # the body itself was refused (json_chunks): not jq's to report
        except ValueError as exc:
            # Not bound to a local: the frame would hold the error and the error the frame (through
            # its traceback), a cycle whose collection takes libjq's iterator down out of order.
            raise _after(results, _jq_error(exc)) from None
        finally:
            close = getattr(produced, "close", None)
            if close is not None:
                close()  # a worker stopped early kills its child now, not when collected
        return results


def _after(results: JqResults, error: ResponseFormatError) -> ResponseFormatError:
    """`error` carrying the results that came before it, for the output to write first."""
    error.results = results  # type: ignore[attr-defined]
    return error


def _jq_error(exc: ValueError) -> ResponseFormatError:
    """libjq's error (a parse error of the input, or the program's own) as --jq reports it."""
    message = str(exc)
    if message.startswith("parse error: "):
        return ResponseFormatError(
            f"--jq: the response is not JSON ({message})", hint="drop --jq to see the body as it is"
        )
    if len(message) > _SHOWN_MESSAGE:
        message = message[:_SHOWN_MESSAGE] + "…"
    return ResponseFormatError(f"jq: error: {message}")


def _input_error(error: BaseException) -> BaseException:
    """The body's own error (not JSON, not UTF-8, too large) as --jq reports it."""
    if isinstance(error, ValueError) and not isinstance(error, ApicliError):
        return _jq_error(error)
    return error


def _holding_back(inputs: Iterator[_Item], errors: list[BaseException]) -> Iterator[_Item]:
    """`inputs` until one fails: its error is kept in `errors`, and the input ends there, so that
    the child's results for what came before are read and written first."""
    try:
        yield from inputs
    except (ApicliError, ValueError) as exc:
        errors.append(exc)


def compile_jq(
    expression: str,
    *,
    raw_output: bool = False,
    fork_now: bool = True,
    brief_here: bool = False,
    bindings: str = "",
    judged: Sequence[str] | None = None,
) -> JqProgram:
    """Compile `expression`; a syntax error, or no jq package, is a usage error (nothing is sent).

    `fork_now` starts the evaluating child at once, while the process is small (right for a body
    of any size); without it the child starts at the first input, which costs less when the
    inputs are known to be small: the parent then does little after the fork, so few of its
    pages are copied. With `brief_here`, a program that cannot compute for long (jqscan.py)
    runs on inputs under BRIEF_INPUT_LIMIT in this process, with no child at all; its child is
    forked only for a larger input (see `expect`). `bindings` is the prefix that binds jq's own
    arguments (jqargs.py). `judged`: for a program apicli generates around the user's expressions
    (--assert, --capture), those expressions, whose cost is the program's but for a constant.
    """
    try:
        import jq
    except ImportError:
        raise UsageError("--jq needs the jq package, which is not installed", hint=INSTALL_HINT) from None
    source = expression if expression.strip() else "."  # as the jq command treats an empty filter
    if "*" in source and hasattr(os, "fork"):
        _check_folding(source)
    facts = NO_FACTS if names_response(source) else None
    # The program starts on the first line, so that $__loc__ counts its lines as jq does; the
    # newline after it keeps a trailing `# comment` from swallowing what follows.
    prefix = bindings + (WRAPPER if facts is not None else "")
    program = f"{prefix}({source}\n)"
    try:
        compiled = jq.compile(f"{program} | tojson")
    except ValueError as wrapped_error:
        # Compiled alone, the program's error points at the user's own line and column. (Compiling
        # costs about 2 ms, so this is done only for a program that failed.)
        try:
            jq.compile(source)
        except ValueError as exc:
            # Alone, a bound variable is undefined: unless the prefix cures that, this is the report.
            if not (prefix and "is not defined" in str(exc) and _compiles(prefix + source)):
                raise UsageError(f"--jq: invalid jq program: {_first_lines(str(exc))}") from None
        raise UsageError(f"--jq: invalid jq program: {_first_lines(str(wrapped_error))}") from None
    here_below = 0
    if brief_here:
        from .jqscan import brief_input_limit

        here_below = min(brief_input_limit(text, BRIEF_INPUT_LIMIT, len(bindings)) for text in (judged or [source]))
    worker = JqWorker(compiled, program) if hasattr(os, "fork") else None
    if worker is not None and fork_now and not here_below:
        worker.start()
    return JqProgram(expression, compiled, raw_output, worker, here_below, facts, bindings)


# jq folds constant expressions while it compiles, so `"x" * 1e9` allocates a gigabyte before any
# input is read, in whichever process compiles it. Only `*` (string repetition) grows past the
# program's own size: a program with one is first compiled in a child under this cap.
COMPILE_MEMORY_LIMIT = 64 * 1024 * 1024


def _check_folding(source: str) -> None:
    """UsageError when compiling `source` takes more than COMPILE_MEMORY_LIMIT (tried in a child)."""
    from .jqworker import OUT_OF_MEMORY, cap_memory

    pid = fork()
    if pid == 0:  # the child never returns into the caller's code
        code = 0  # a syntax error is reported by the compile that follows, in the parent
        try:
            cap_memory(COMPILE_MEMORY_LIMIT)
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 2)  # libjq says "cannot allocate memory" on its own; the parent says more
            import jq

            jq.compile(source)
        except MemoryError:
            code = OUT_OF_MEMORY
        except BaseException:
            pass
        finally:
            os._exit(code)
    status = os.waitpid(pid, 0)[1]
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise UsageError(
            "--jq: the program's constant expressions need more than 64 MiB (jq computes them when it compiles)",
            hint='repeat strings on input values, not on literals such as "x" * 1e9',
        )


def apply_to_item(program: JqProgram, item: Any) -> JqResults:
    """Run `program` on one item (a parsed value, or JSON text as str/bytes); for pagination, once per item."""
    return program.results(_as_text(item))


def apply_to_collection(program: JqProgram, items: Iterable[Any]) -> JqResults:
    """Run `program` once on all items as one JSON array (like `jq -s`); for --jq-all."""
    return program.results("[" + ",".join(_as_text(item) for item in items) + "]")


def body_text(body: bytes, content_type: str | None = None) -> str:
    """A response body as text for jq; bodies that cannot be JSON fail clearly."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(content_type) from None
    if "\x00" in text:
        raise _not_json("it contains NUL bytes")
    return text


def json_chunks(chunks: Iterator[bytes], content_type: str | None, limit: int) -> Iterator[bytes]:
    """`chunks` as they come, checked as body_text checks a whole body, and bounded by `limit`
    bytes (libjq holds the parsed body, several times its size)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    blank = True
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit, "to filter with --jq", "save it with -o FILE (without --jq) and work on the file")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            raise _not_utf8(content_type) from None
        if b"\x00" in chunk:
            raise _not_json("it contains NUL bytes")
        blank = blank and not chunk.strip()
        yield chunk
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(content_type) from None
    if blank:
        # As paginate does with an empty page: no JSON is not an empty result.
        raise _not_json(f"the body is empty{f'; Content-Type: {content_type}' if content_type else ''}")


def _size(text: str) -> int:
    """At least `text`'s size in UTF-8, without encoding it (isascii is a flag check)."""
    return len(text) if text.isascii() else 4 * len(text)


def _not_utf8(content_type: str | None) -> ResponseFormatError:
    return ResponseFormatError(
        f"--jq: the response is not JSON (not UTF-8 text; Content-Type: {content_type or 'none'})",
        hint="drop --jq, and save it with -o FILE",
    )


def _not_json(why: str) -> ResponseFormatError:
    return ResponseFormatError(f"--jq: the response is not JSON ({why})")


def _as_text(item: Any) -> str:
    if isinstance(item, bytes):
        return body_text(item)
    if isinstance(item, str):
        return item
    return json.dumps(item, ensure_ascii=False)


def _compiles(program: str) -> bool:
    import jq

    try:
        jq.compile(program)
    except ValueError:
        return False
    return True


def _first_lines(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip() and not line.startswith("jq: 1 compile error")]
    return "\n".join(lines[:3]) if lines else message
