"""The `arrears` command line: thin Typer commands that parse, call one service, and render."""
