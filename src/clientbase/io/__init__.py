"""File edge: CSV/XLSX/ODS readers and writers, column mapping, CRM export formats."""
