"""Database edge: tables, engine, migrations, repositories, unit of work."""
