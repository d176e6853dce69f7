"""Start-up and shut-down cost control for a short-lived process.

Importing requests and Typer and building the command allocates tens of thousands of
long-lived objects and no garbage worth collecting; the cyclic collector would scan them
over and over. It is paused while the process starts, and the start-up objects are frozen
out of later collections once the command begins its work. Together that is about 25 ms
of a 120 ms run.

At the end, tearing the interpreter down (a last collection, then every module's
namespace) costs several more milliseconds and releases nothing the kernel would not:
by then every output file is closed or renamed and the workers are daemon threads. The
exit handlers still run; only the teardown is skipped.
"""

import contextlib
import gc
import os
import sys
import warnings

from .compat import run_exit_handlers

_paused_here = False


def pause_collector() -> None:
    global _paused_here
    if gc.isenabled():
        gc.disable()
        _paused_here = True


def skip_charset_detection() -> None:
    """Keep requests from importing a character-set detector (about 5 ms per run).

    requests loads charset_normalizer (or chardet) only for `Response.text` and
    `apparent_encoding` on bodies that declare no charset; apicli never calls either, since
    bodies travel as bytes. With neither importable, requests falls back to UTF-8 and warns
    once, a warning meant for programs that do decode text that way.
    """
    for name in ("charset_normalizer", "chardet"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None makes `import name` fail
    warnings.filterwarnings("ignore", message="Unable to find acceptable character detection", module="requests")


def resume_collector() -> None:
    """Undo `pause_collector`; a no-op when it did not pause (for instance in-process tests)."""
    global _paused_here
    if _paused_here:
        _paused_here = False
        gc.freeze()
        gc.enable()


def leave(code: int) -> None:
    """Run the exit handlers and flush the streams, then end the process with `code`, skipping teardown."""
    run_exit_handlers()  # registered handlers still run (coverage tools, certifi's clean-up)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed or absent: the outcome stands
            stream.flush()
    os._exit(code)
