"""All queries over web accounts and their sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from clientbase.db.tables import Manager, Responsibility, User, UserSession


class AccountRepository:
    """Users and sessions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_login(self, login: str) -> User | None:
        """The user with this login (case-insensitive), None when absent."""
        stmt = select(User).where(func.lower(User.login) == login.strip().lower())
        return self.session.scalars(stmt).first()

    def get(self, user_id: int) -> User | None:
        """The user with this id."""
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        """The user with this id, his row locked until the transaction ends (PostgreSQL).

        Two concurrent logins of one account then count their failures one after the other;
        on SQLite the writer's BEGIN IMMEDIATE already serialises them.
        """
        stmt = select(User).where(User.id == user_id).with_for_update()
        return self.session.scalars(stmt).first()

    def all(self) -> list[User]:
        """Every account, by login."""
        return list(self.session.scalars(select(User).order_by(User.login)))

    def manager(self, manager_id: int) -> Manager | None:
        """The manager an account is linked to."""
        return self.session.get(Manager, manager_id)

    def busiest_farmer(self) -> Manager | None:
        """The account manager with the most clients (the demo's manager account)."""
        held = func.count(Responsibility.client_id)
        stmt = (
            select(Manager)
            .join(Responsibility, Responsibility.manager_id == Manager.id)
            .where(
                Manager.role_group == "farmer",
                Responsibility.role == "account",
                Responsibility.until.is_(None),
            )
            .group_by(Manager.id)
            .order_by(held.desc(), Manager.id)
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def add_pending(self, user: User) -> None:
        """Add a user whose fields are still being filled (flushed at commit)."""
        self.session.add(user)

    def add(self, user: User) -> None:
        """Insert a new user."""
        self.session.add(user)
        self.session.flush()

    def session_with_user(self, token_hash: str) -> tuple[UserSession, User] | None:
        """A session and its user, by the hash of the cookie's token."""
        stmt = (
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == token_hash)
        )
        row = self.session.execute(stmt).first()
        return (row[0], row[1]) if row else None

    def add_session(self, record: UserSession) -> None:
        """Store a new login session."""
        self.session.add(record)
        self.session.flush()

    def drop_session(self, token_hash: str) -> None:
        """End one session."""
        self.session.execute(delete(UserSession).where(UserSession.token_hash == token_hash))

    def drop_sessions_of(self, user_id: int) -> int:
        """End every session of a user; how many there were."""
        result = self.session.execute(delete(UserSession).where(UserSession.user_id == user_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def touch(self, token_hash: str, at: dt.datetime) -> None:
        """Record activity on a session."""
        self.session.execute(
            update(UserSession).where(UserSession.token_hash == token_hash).values(last_seen=at)
        )

    def drop_expired(self, idle_before: dt.datetime, created_before: dt.datetime) -> int:
        """Remove sessions idle or old beyond the limits."""
        result = self.session.execute(
            delete(UserSession).where(
                (UserSession.last_seen < idle_before) | (UserSession.created_at < created_before)
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
