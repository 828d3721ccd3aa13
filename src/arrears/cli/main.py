"""`arrears`: the command line of docs/csv.md, assembled from its command modules.

Exit status 0 on success, 1 on a user error (message on stderr, nothing changed), 2 on bad usage.
"""

from __future__ import annotations

from .app import app

# Each module registers its commands on `app` as it is imported: this order is the order of `arrears --help`.
# isort: off
from . import db, users, reports, ledger, automation, demo, serve, tasks, tokens, portal, mail, disputes, credit, calls  # noqa: F401
# isort: on

__all__ = ["app", "run"]


def run() -> None:
    """The `arrears` console script."""
    app()
