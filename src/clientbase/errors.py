"""One exception hierarchy for every user-facing failure, mapped once to exit codes."""

from __future__ import annotations


class ClientbaseError(Exception):
    """Base of every error the user is meant to read; `message` is shown as is."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(ClientbaseError):
    """The input is malformed: a file, a row, a column or an option value."""

    exit_code = 1


class NotFoundError(BadInputError):
    """A referenced object (client, manager, plan) does not exist."""


class DatabaseError(ClientbaseError):
    """The database cannot be reached or is in an unusable state."""

    exit_code = 1


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer clientbase than this one."""


class InfeasibleError(ClientbaseError):
    """A valid input that has no solution (an infeasible distribution)."""

    exit_code = 2


class OutsideScopeError(ClientbaseError):
    """The user may not change this: it lies outside his department (HTTP 403)."""


class ConflictError(ClientbaseError):
    """The data changed since it was read, or the same job is already running."""

    exit_code = 3


EXIT_OK = 0
EXIT_BAD_INPUT = BadInputError.exit_code
EXIT_INFEASIBLE = InfeasibleError.exit_code
EXIT_CONFLICT = ConflictError.exit_code
