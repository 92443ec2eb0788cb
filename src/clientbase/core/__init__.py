"""Pure domain logic: no database, HTTP or file access here."""
