"""Writes that change the whole company (its rules, its settings, a company-wide run).

A head of sales limited to one team manages his department: such a write would change
other departments' clients or the rules they live by, so it is refused with a 403 that
says why. The whole-company head and the admin pass.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from clientbase.errors import OutsideScopeError
from clientbase.services.accounts import CurrentUser
from clientbase.web.auth import HeadDep
from clientbase.web.i18n import gettext


def require_company_head(user: HeadDep) -> CurrentUser:
    """Heads of the whole company and admins only."""
    if not user.scope.is_everything:
        raise OutsideScopeError(
            gettext(
                "Это меняет всю компанию, а не только ваш отдел: доступно руководителю "
                "отдела продаж всей компании и администратору."
            )
        )
    return user


CompanyHeadDep = Annotated[CurrentUser, Depends(require_company_head)]
