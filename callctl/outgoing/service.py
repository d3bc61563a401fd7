"""Caller-ID rules and barred SIP accounts over the database.

Written like the other services: each change is one transaction that first bumps the
directory version (a running daemon reloads the policy), then checks, then writes. A
refusal raises OutgoingError naming what is wrong and changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..domain.catalog import Catalog
from ..domain.outgoing import SCOPES, CallerIdRule, OutgoingPolicy, rule_problem
from ..domain.phones import BadNumber, to_e164
from ..store.directory_models import SipAccount
from ..store.outgoing_models import CallerIdRuleRow, OutgoingBan


class OutgoingError(ValueError):
    """A refused change; str() says what is wrong."""


class NotFound(LookupError):
    entity = "outgoing"


def rule_view(row: CallerIdRuleRow) -> dict:
    return {"id": row.id, "scope": row.scope, "owner": row.owner or None,
            "prefix": row.prefix or None, "number": row.number}


class OutgoingService:
    def __init__(self, sessions: sessionmaker, directory_service, country: str = "US"):
        self._sessions, self._directory, self.country = sessions, directory_service, country

    # ---- rules ----------------------------------------------------------------------------

    def add_rule(self, scope: str, owner: str | None, number: str,
                 prefix: str | None = None, replace: bool = False) -> dict:
        """A rule for `scope` (sip_account|employee|department|company) `owner`; `prefix`
        None for every destination. `replace`: overwrite the owner's rule for that prefix."""
        rule = self.parse(scope, owner, number, prefix)
        with self._change() as s:
            problem = rule_problem(rule, Catalog(self._directory.snapshot()))
            if problem:
                raise OutgoingError(problem)
            row = s.scalar(select(CallerIdRuleRow).where(
                CallerIdRuleRow.scope == rule.scope, CallerIdRuleRow.owner == rule.owner,
                CallerIdRuleRow.prefix == rule.prefix))
            if row is not None and not replace:
                raise OutgoingError(f"{_who(rule)} already has a rule for "
                                    f"{rule.prefix or 'every destination'} (rule {row.id}: "
                                    f"shows {row.number}); replace it or delete it first")
            if row is None:
                row = CallerIdRuleRow(scope=rule.scope, owner=rule.owner, prefix=rule.prefix)
                s.add(row)
            row.number = rule.number
            s.flush()
            return rule_view(row)

    def parse(self, scope, owner, number, prefix) -> CallerIdRule:
        if scope not in SCOPES:
            raise OutgoingError(f"scope {scope!r}: one of {', '.join(SCOPES)}")
        if scope == "company":
            if owner:
                raise OutgoingError("a company rule has no owner")
            owner = ""
        elif not isinstance(owner, str) or not owner.strip():
            raise OutgoingError(f"a {scope} rule needs the {scope} it is for")
        try:
            number = to_e164(number, self.country)
        except BadNumber as exc:
            raise OutgoingError(f"number: {exc}") from None
        prefix = "".join((prefix or "").split())
        if prefix and not prefix.startswith("+"):
            raise OutgoingError(f"prefix {prefix!r}: write it with its +, e.g. +{prefix}")
        return CallerIdRule(scope, owner.strip(), number, prefix)

    def delete_rule(self, rule_id: int) -> dict:
        with self._change() as s:
            row = s.get(CallerIdRuleRow, rule_id)
            if row is None:
                raise NotFound(f"no caller-ID rule {rule_id}")
            view = rule_view(row)
            s.delete(row)
            return view

    def list_rules(self) -> list[dict]:
        with self._sessions() as s:
            return [rule_view(r) for r in s.scalars(select(CallerIdRuleRow).order_by(
                CallerIdRuleRow.scope, CallerIdRuleRow.owner, CallerIdRuleRow.prefix))]

    # ---- bans -----------------------------------------------------------------------------

    def bar(self, login: str) -> dict:
        with self._change() as s:
            if s.scalar(select(SipAccount.id).where(SipAccount.login == login)) is None:
                raise NotFound(f"no SIP account {login!r}")
            if s.get(OutgoingBan, login) is None:
                s.add(OutgoingBan(login=login))
            return {"login": login, "barred": True}

    def unbar(self, login: str) -> dict:
        with self._change() as s:
            s.execute(delete(OutgoingBan).where(OutgoingBan.login == login))
            return {"login": login, "barred": False}

    def list_bans(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(OutgoingBan.login).order_by(OutgoingBan.login)))

    # ---- for the daemon and simulate ------------------------------------------------------

    def policy(self) -> OutgoingPolicy:
        with self._sessions() as s:
            rules = tuple(CallerIdRule(r.scope, r.owner, r.number, r.prefix)
                          for r in s.scalars(select(CallerIdRuleRow)))
            barred = frozenset(s.scalars(select(OutgoingBan.login)))
        return OutgoingPolicy(rules, barred, self.country)

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            self._directory.bump_version(s)
            yield s


def _who(rule: CallerIdRule) -> str:
    return "the company" if rule.scope == "company" else f"{rule.scope} {rule.owner!r}"


# ---- the directory's deletes and renames ---------------------------------------------------

_OWNER = {"employee": lambda e: e.full_name, "department": lambda d: d.name,
          "sip_account": lambda a: a.login}


def usage_checkers() -> list[tuple[str, Callable, Callable]]:
    """(kind, find, detach) for DirectoryService.register_usage_checker: a deleted owner's
    rules (and a deleted account's ban) go with force; a company number a rule shows is
    kept until the rule is changed or the number deleted with force."""
    def rules_of(s: Session, kind: str, obj):
        if kind == "number":
            return list(s.scalars(select(CallerIdRuleRow)
                                  .where(CallerIdRuleRow.number == obj.number)))
        return list(s.scalars(select(CallerIdRuleRow).where(
            CallerIdRuleRow.scope == kind, CallerIdRuleRow.owner == _OWNER[kind](obj))))

    def checker(kind: str):
        def find(s: Session, obj) -> list[str]:
            return [f"caller-ID rule {r.id} ({_who(_rule(r))}: "
                    f"{r.prefix or 'every destination'} -> {r.number})"
                    for r in rules_of(s, kind, obj)]

        def detach(s: Session, obj) -> list[str]:
            found = find(s, obj)
            for r in rules_of(s, kind, obj):
                s.delete(r)
            if kind == "sip_account":
                s.execute(delete(OutgoingBan).where(OutgoingBan.login == obj.login))
            return [f"{f} removed" for f in found]
        return find, detach
    return [(kind, *checker(kind)) for kind in ("employee", "department", "sip_account",
                                                "number")]


def rename_hooks() -> list[tuple[str, Callable]]:
    def renamer(kind: str):
        def rename(s: Session, old: str, new: str) -> None:
            s.execute(update(CallerIdRuleRow).where(CallerIdRuleRow.scope == kind,
                                                    CallerIdRuleRow.owner == old)
                      .values(owner=new))
        return rename
    return [(kind, renamer(kind)) for kind in ("employee", "department")]


def _rule(r: CallerIdRuleRow) -> CallerIdRule:
    return CallerIdRule(r.scope, r.owner, r.number, r.prefix)
