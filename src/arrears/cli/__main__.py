"""`python -m arrears.cli`: the same as the `arrears` command."""

from .main import run

run()
