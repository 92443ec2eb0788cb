"""Who may see what (SPEC §8): a manager his own clients, a head his department, an admin all.

A `Scope` is handed to every read and write of the web app and the API; the queries turn it
into conditions (db/repository.py), so pages, API and exports obey the same rule. The
command line runs with `Scope.everything()`: whoever runs it already holds the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UserRole(StrEnum):
    """Roles of web accounts."""

    MANAGER = "manager"
    HEAD = "head"
    ADMIN = "admin"


USER_ROLE_RU = {
    UserRole.MANAGER: "менеджер",
    UserRole.HEAD: "руководитель отдела продаж",
    UserRole.ADMIN: "администратор",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of the base a user may see and change.

    - admin, or head without a team: everything;
    - head with a team: clients held by managers of that team, and those managers;
    - manager: clients he holds in any role, and himself (none if the account is not
      linked to a manager).
    """

    role: UserRole
    manager_id: int | None = None
    team: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        """The scope of the command line and of an administrator."""
        return cls(role=UserRole.ADMIN)

    @property
    def is_everything(self) -> bool:
        """True when nothing is hidden."""
        return self.role is UserRole.ADMIN or (self.role is UserRole.HEAD and self.team is None)

    @property
    def is_manager(self) -> bool:
        """True for a salesperson's own account."""
        return self.role is UserRole.MANAGER

    @property
    def may_manage(self) -> bool:
        """Heads and admins plan, apply, rotate and import; managers only look."""
        return self.role in (UserRole.HEAD, UserRole.ADMIN)

    @property
    def may_administer(self) -> bool:
        """Only admins manage accounts."""
        return self.role is UserRole.ADMIN
