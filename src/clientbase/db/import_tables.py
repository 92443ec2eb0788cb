"""Tables of the import edge (defined with the others in tables.py so metadata is whole)."""

from clientbase.db.tables import ColumnMapping, ManagerAlias

__all__ = ["ColumnMapping", "ManagerAlias"]
