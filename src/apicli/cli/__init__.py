"""The command-line layer: Typer declarations over the plain-Python core.

Importing this package registers every command on `app`.
"""

from . import config as config
from . import download as download
from . import paginate as paginate
from . import verbs as verbs
from .app import app, run

__all__ = ["app", "run"]
