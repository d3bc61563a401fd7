"""Targets as Asterisk dial strings: the one place that knows PJSIP's syntax."""
from __future__ import annotations

from collections.abc import Iterable

from ..domain.flow import Target


def dial_string(target: Target, trunk: str) -> str:
    if target.kind == "sip":
        return f"PJSIP/{target.address}"
    if target.kind == "phone":  # through the trunk endpoint
        return f"PJSIP/{target.address}@{trunk}"
    return f"PJSIP/{trunk}/{target.address}"  # another PBX's URI, over the trunk's transport


def dial_all(targets: Iterable[Target], trunk: str) -> str:
    """One Dial() argument ringing every target together ('' for none)."""
    return "&".join(dial_string(t, trunk) for t in targets)


def dialled_target(dialled: str, trunk: str) -> Target:
    """What Dial() reports it reached (DIALEDPEERNUMBER: a dial string without 'PJSIP/')."""
    if dialled.startswith(f"{trunk}/"):
        return Target("uri", dialled[len(trunk) + 1:])
    if dialled.endswith(f"@{trunk}"):
        return Target("phone", dialled[:-len(trunk) - 1])
    return Target("sip", dialled)
