"""Routing plans: what to ring, in which order, for how long. Pure functions over data.

A plan is a list of blocks; the legs of a block ring together until the first answer or
the block's timeout, then the next block starts. The daemon executes plans, `simulate`
and the benchmarks print and time them: the same code decides in all three.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .directory import ALL_REACHABLE, Department, Directory, Employee, Presence


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


def employee_legs(employee: Employee, trunk: Trunk,
                  presence: Presence = ALL_REACHABLE) -> tuple[Leg, ...]:
    """An employee's primary contacts that can ring now; none when they are offline."""
    if not employee.online:
        return ()
    sip = (Leg(trunk.sip(login), employee.name) for login in employee.sip_logins
           if presence.sip_reachable(login))
    phones = (Leg(trunk.phone(number), employee.name) for number in employee.phone_numbers)
    return (*sip, *phones)


def department_legs(directory: Directory, department: Department, trunk: Trunk,
                    presence: Presence = ALL_REACHABLE) -> tuple[Leg, ...]:
    return tuple(leg for e in directory.members(department.name)
                 for leg in employee_legs(e, trunk, presence))


def plan_inbound(directory: Directory, number: str, trunk: Trunk,
                 presence: Presence = ALL_REACHABLE) -> Plan | NotInService:
    target = directory.number(number)
    if target is None:
        return NotInService(f"{number} is not a company number")
    employee = directory.employee(target.employee) if target.employee else None
    if employee is None:
        return NotInService(f"{number} rings nobody: it has no employee")
    legs = employee_legs(employee, trunk, presence)
    blocks = (Block(legs, target.ring_timeout),) if legs else ()
    return Plan(blocks, reason=f"{number} rings {employee.name}" if legs else
                f"{number} rings {employee.name}, who cannot be reached now")


def plan_internal(directory: Directory, dialled: str, trunk: Trunk,
                  presence: Presence = ALL_REACHABLE,
                  ring_timeout: int = 30) -> Plan | NotInService:
    """A staff phone dialled an extension (employee or department) or a company number."""
    target = directory.by_extension(dialled)
    if isinstance(target, Employee):
        legs = employee_legs(target, trunk, presence)
        what = f"extension {dialled} is {target.name}"
    elif isinstance(target, Department):
        legs = department_legs(directory, target, trunk, presence)
        what = f"extension {dialled} is the {target.name} department"
    else:
        return plan_inbound(directory, dialled, trunk, presence)
    return Plan((Block(legs, ring_timeout),) if legs else (),
                reason=what if legs else f"{what}: nobody can be reached now")


def fallback_target(directory: Directory, number: str, trunk: Trunk) -> str | None:
    """The Dial() string Asterisk uses for `number` when the daemon is absent."""
    target = directory.number(number)
    if target is None:
        return None
    who = target.fallback or target.employee
    employee = directory.employee(who)
    if employee is not None:  # every primary contact, whatever its state: Asterisk decides
        legs = employee_legs(dataclasses.replace(employee, online=True), trunk)
        return "&".join(leg.dial for leg in legs) or None
    return trunk.phone(who)
