"""Routing plans: what to ring, in which order, for how long. Pure functions over data.

A plan is a list of blocks; the legs of a block ring together until the first answer or
the block's timeout, then the next block starts. The daemon executes plans, `simulate`
and the benchmarks print and time them: the same code decides in all three.
"""
from __future__ import annotations

from dataclasses import dataclass

from .directory import Directory, Employee


@dataclass(frozen=True)
class Leg:
    dial: str  # an Asterisk endpoint, e.g. PJSIP/alice or PJSIP/+15550199@carrier
    employee: str | None = None


@dataclass(frozen=True)
class Block:
    legs: tuple[Leg, ...]
    timeout: int


@dataclass(frozen=True)
class Plan:
    blocks: tuple[Block, ...]
    reason: str = ""


@dataclass(frozen=True)
class NotInService:
    """Nothing answers this number: the caller hears a prompt."""
    reason: str


@dataclass(frozen=True)
class Trunk:
    """How phone numbers and SIP logins turn into Asterisk dial strings."""
    endpoint: str = "carrier"

    def phone(self, number: str) -> str:
        return f"PJSIP/{number}@{self.endpoint}"

    @staticmethod
    def sip(login: str) -> str:
        return f"PJSIP/{login}"


def employee_legs(employee: Employee, trunk: Trunk) -> tuple[Leg, ...]:
    return tuple(Leg(trunk.sip(login), employee.name) for login in employee.sip_logins)


def plan_inbound(directory: Directory, number: str, trunk: Trunk) -> Plan | NotInService:
    target = directory.number(number)
    if target is None:
        return NotInService(f"{number} is not a company number")
    employee = directory.employee(target.employee)
    if employee is None or not employee.sip_logins:
        return NotInService(f"{number} points at {target.employee!r}, who has no SIP account")
    return Plan((Block(employee_legs(employee, trunk), target.ring_timeout),),
                reason=f"{number} rings {employee.name}")


def plan_internal(directory: Directory, dialled: str, trunk: Trunk,
                  ring_timeout: int = 30) -> Plan | NotInService:
    """A staff phone dialled an extension or a company number."""
    employee = directory.by_extension(dialled)
    if employee is not None:
        return Plan((Block(employee_legs(employee, trunk), ring_timeout),),
                    reason=f"extension {dialled} is {employee.name}")
    return plan_inbound(directory, dialled, trunk)


def fallback_target(directory: Directory, number: str, trunk: Trunk) -> str | None:
    """The Dial() string Asterisk uses for `number` when the daemon is absent."""
    target = directory.number(number)
    if target is None:
        return None
    who = target.fallback or target.employee
    employee = directory.employee(who)
    if employee is not None:
        return "&".join(trunk.sip(login) for login in employee.sip_logins) or None
    return trunk.phone(who)
