"""Use cases: each opens one unit of work, calls the core, writes, commits once."""
