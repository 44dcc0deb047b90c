"""`python -m sender_cli` is the `sender` command."""

from sender_cli.main import app

app()
