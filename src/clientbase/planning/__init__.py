"""Distribution of clients among managers (SPEC §4): a pure core, no database, no files."""
