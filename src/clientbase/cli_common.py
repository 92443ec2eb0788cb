"""What every sub-command module of the CLI shares: the `--db` option and the consoles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from clientbase.io import writers

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Адрес базы (по умолчанию CLIENTBASE_DATABASE_URL).", show_default=False
    ),
]


def write_rows(path: Path, headers: list[str] | tuple[str, ...], rows: list[Any]) -> int:
    """Write rows to `.xlsx` or, for any other suffix, CSV; return the row count."""
    if path.suffix.lower() == ".xlsx":
        return writers.write_xlsx(path, headers, rows)
    return writers.write_csv(path, headers, rows)
