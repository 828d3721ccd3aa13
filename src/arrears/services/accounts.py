"""Reading an account: its timeline (from the audit log), its issues; saved views; API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from typing import Any

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from . import history, throttles
from .ports import UnitOfWork
from .workspace_ports import IssueRow, Page, SavedView, TokenRow

TOKEN_PREFIX = "arr_"  # noqa: S105 - a prefix that marks Arrears tokens, not a secret
MAX_TOKEN_LABEL = 100
DEFAULT_VIEWS = {"Open": {"status": "open"}, "All": {"status": "all"}}


def timeline(uow: UnitOfWork, user: User, customer_external_id: str, limit: int = 100, offset: int = 0) -> Page:
    """Everything that happened on the account, newest first: tasks, promises, disputes, imports, emails
    (`history.timeline` narrows it)."""
    return history.timeline(uow, user, customer_external_id, limit, offset)


def list_issues(uow: UnitOfWork, user: User, customer_external_id: str | None, status: str | None) -> list[IssueRow]:
    require(user, Action.READ)
    with uow:
        customer_id = None
        if customer_external_id is not None:
            customer = uow.ledger.customer(customer_external_id)
            if customer is None:
                raise NotFound(f"no customer with external id {customer_external_id!r}")
            customer_id = customer.id
        return uow.customer_records.issues(customer_id, status)


def views(uow: UnitOfWork, user: User) -> list[SavedView]:
    """The user's saved views; "Open" (the default) and "All" until they save their own."""
    require(user, Action.READ)
    with uow:
        saved = uow.accounts.views(user.id)
    if saved:
        return saved
    return [SavedView(0, name, filters, name == "Open") for name, filters in DEFAULT_VIEWS.items()]


def save_view(uow: UnitOfWork, user: User, name: str, filters: dict[str, Any], is_default: bool = False) -> SavedView:
    require(user, Action.READ)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidValue("a view needs a name of 1 to 100 characters")
    if "\x00" in name:
        raise InvalidValue("a view's name may not hold a NUL byte (0x00)")
    with uow:
        view = uow.accounts.save_view(user.id, name, filters, is_default)
        uow.commit()
        return view


def delete_view(uow: UnitOfWork, user: User, view_id: int) -> None:
    require(user, Action.READ)
    with uow:
        if not uow.accounts.delete_view(user.id, view_id):
            raise NotFound(f"no saved view {view_id}")
        uow.commit()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_token_label(label: str | None) -> str | None:
    """What a token is for ("erp-sync"): up to 100 characters, no NUL; blank is no label."""
    if label is None or not label.strip():
        return None
    label = label.strip()
    if len(label) > MAX_TOKEN_LABEL:
        raise InvalidValue(f"a token's label has at most {MAX_TOKEN_LABEL} characters")
    if "\x00" in label:
        raise InvalidValue("a token's label may not hold a NUL byte (0x00)")
    return label


def issue_token(uow: UnitOfWork, user_name: str, name: str | None = None, *, by: User | None = None) -> str:
    """A new API token for the user, returned once; only its SHA-256 is stored. `by`: the owner who
    issues it from the web (checked, and named in the audit); without it, the terminal's operator."""
    if by is not None:
        require(by, Action.MANAGE_USERS)
    label = check_token_label(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        user = uow.accounts.user(user_name)
        if user is None:
            raise NotFound(f"no user named {user_name!r}")
        token_id = uow.accounts.add_token(user.id, hash_token(token), label)
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(by or user),
                "api_token",
                str(token_id),
                "created",
                f"API token created for {user.name}" + (f" ({label})" if label else ""),
                None,
            )
        )
        uow.commit()
    return token


def list_tokens(uow: UnitOfWork, actor: User) -> list[TokenRow]:
    """Every API token with its user, label, creation, last use and whether it is revoked (owners);
    never the token itself, which is not stored."""
    require(actor, Action.MANAGE_USERS)
    with uow:
        return uow.accounts.list_tokens()


def revoke_token(uow: UnitOfWork, actor: User, token_id: int) -> TokenRow:
    """Revoke one API token (owners): it is refused from now on. Revoking a revoked token changes
    nothing. Returns the token as it now is."""
    require(actor, Action.MANAGE_USERS)
    with uow:
        found = uow.accounts.token(token_id)
        if found is None:
            raise NotFound(f"no API token {token_id}")
        now = uow.clock.now()
        if not uow.accounts.revoke_token(token_id, now):
            return found
        label = f" ({found.label})" if found.label else ""
        uow.audit.record(
            AuditEntry(
                now,
                Actor.of(actor),
                "api_token",
                str(token_id),
                "revoked",
                f"API token {token_id}{label} of {found.user_name} revoked",
                None,
            )
        )
        uow.commit()
    return replace(found, revoked_at=now)


def revoke_tokens(uow: UnitOfWork, user_name: str) -> int:
    with uow:
        user = uow.accounts.user(user_name)
        if user is None:
            raise NotFound(f"no user named {user_name!r}")
        count = uow.accounts.revoke_tokens(user.id, uow.clock.now())
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                "api_token",
                None,
                "revoked",
                f"{count} API tokens of {user.name} revoked",
                None,
            )
        )
        uow.commit()
    return count


def _well_formed(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= 200


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """Whom an API call comes from, or why it is refused: its address sent too many refused tokens
    of late (`blocked`), the token is unknown or revoked (no `user`), or its user is over the rate
    limit (`retry_after`: the seconds until the window ends)."""

    user: User | None = None
    blocked: bool = False
    retry_after: int | None = None


def admit_api_call(uow: UnitOfWork, token: str, address: str, limit: throttles.RateLimit) -> ApiCaller:
    """An API call's token checked, in one transaction: first whether its address is blocked (then
    the token is not looked at), then the token, then its user's call counted against `limit`. A
    refused token is counted against the address by `throttles.api_token_failed`, apart, so that the
    count survives whatever the call does next."""
    with uow:
        if throttles.address_blocked_in(uow, throttles.API_TOKEN, address, throttles.API_TOKEN_LIMITS):
            return ApiCaller(blocked=True)
        user = uow.accounts.user_by_token(hash_token(token), uow.clock.now()) if _well_formed(token) else None
        wait = None if user is None else throttles.over_rate_in(uow, throttles.API_CALL, str(user.id), limit)
        uow.commit()
    return ApiCaller(user, retry_after=wait)
