"""SIP accounts live in Asterisk: pushed over ARI's dynamic configuration (sorcery memory
objects), so a phone can register at once, without a reload, and Asterisk may run on
another host. Memory objects vanish when Asterisk restarts: `push_all` runs on every
(re)connect."""
from __future__ import annotations

import asyncio

from .. import log
from ..domain.directory import Directory, SipAccount
from .ari import Ari


def account_objects(account: SipAccount, caller_name: str, extension: str, transport: str,
                    context: str) -> list[tuple[str, str, dict[str, str]]]:
    """The auth, aor and endpoint of one account, in the order Asterisk needs them."""
    login = account.login
    return [
        ("auth", login, {"auth_type": "userpass", "username": login,
                         "password": account.password}),
        ("aor", login, {"max_contacts": "1", "remove_existing": "yes",
                        "qualify_frequency": "0"}),
        ("endpoint", login, {"transport": transport, "context": context, "disallow": "all",
                             "allow": "ulaw,alaw", "auth": login, "aors": login,
                             "callerid": f'"{caller_name}" <{extension}>',
                             "direct_media": "no", "rtp_symmetric": "yes",
                             "force_rport": "yes", "rewrite_contact": "yes"}),
    ]


async def push_account(ari: Ari, account: SipAccount, directory: Directory, transport: str,
                       context: str) -> None:
    employee = directory.employee(account.employee)
    for kind, object_id, fields in account_objects(account, employee.name, employee.extension,
                                                   transport, context):
        await ari.put_dynamic("res_pjsip", kind, object_id, fields)


async def push_all(ari: Ari, directory: Directory, transport: str, context: str) -> None:
    await asyncio.gather(*(push_account(ari, a, directory, transport, context)
                           for a in directory.sip_accounts))
    log.event("sip.provisioned", accounts=len(directory.sip_accounts))
