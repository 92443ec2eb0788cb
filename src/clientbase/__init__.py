"""clientbase: who owns which client, how many clients a manager carries, and how well."""

__version__ = "0.1.0"
