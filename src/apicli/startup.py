"""Start-up cost control for a short-lived process.

Importing requests and Typer and building the command allocates tens of thousands of
long-lived objects and no garbage worth collecting; the cyclic collector would scan them
over and over (about 5 ms of a 110 ms start). It is paused while the process starts, and
the start-up objects are frozen out of later collections once the command begins its work.
"""

import gc

_paused_here = False


def pause_collector() -> None:
    global _paused_here
    if gc.isenabled():
        gc.disable()
        _paused_here = True


def resume_collector() -> None:
    """Undo `pause_collector`; a no-op when it did not pause (for instance in-process tests)."""
    global _paused_here
    if _paused_here:
        _paused_here = False
        gc.freeze()
        gc.enable()
