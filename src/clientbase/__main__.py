"""`python -m clientbase` runs the CLI."""

from clientbase.cli import run

run()
