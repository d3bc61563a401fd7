"""The whole invitation as the new employee lives it: the admin creates them over the API, a
real e-mail arrives at a real SMTP server, its link opens the page, the password is set, and
the employee logs in."""
from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import SMTP

from callctl.integrations.mail import SmtpMailer
from tests.api.conftest import start_company
from tests.unit.test_mail import Inbox


@pytest.fixture
async def mailed_company(database):
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mailer = SmtpMailer("127.0.0.1", port, "pbx@example.com", "https://pbx.example.com")
    company = await start_company(database, mailer)
    yield company, inbox
    await company.client.close()
    server.close()
    await server.wait_closed()


async def test_given_smtp_when_admin_creates_an_employee_then_the_link_sets_a_password(
        mailed_company):
    company, inbox = mailed_company
    inbox.envelopes.clear()  # the three seeded employees were invited too

    status, created = await company.call("POST", "/employees", company.admin, json={
        "full_name": "Nina New", "email": "nina@example.com", "extension": "104"})
    assert status == 201
    assert "invitation sent to nina@example.com" in created["messages"]

    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["nina@example.com"]
    body = message_from_bytes(envelope.original_content, policy=policy.default).get_content()
    assert "Nina New" in body
    token = re.search(r"https://pbx\.example\.com/invite/(\S+)", body).group(1)

    async with company.client.get(f"/invite/{token}") as page:
        assert page.status == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        html = await page.text()
        assert "/api/v1/invitations/" in html and f'"{token}"' in html

    status, accepted = await company.call("POST", f"/invitations/{token}",
                                          json={"password": "correct horse battery"})
    assert (status, accepted["object"]["invitation"]) == (200, "accepted")
    status, login = await company.call("POST", "/login", json={
        "email": "nina@example.com", "password": "correct horse battery"})
    assert status == 201
    status, me = await company.call("GET", "/me", {"token": login["token"]})
    assert (status, me["employee"]["full_name"]) == (200, "Nina New")


async def test_given_a_script_in_the_link_when_opening_the_page_then_it_stays_a_string(
        mailed_company):
    company, _ = mailed_company
    async with company.client.get("/invite/%3C%2Fscript%3E%3Cscript%3Ealert(1)") as page:
        html = await page.text()
    assert "</script><script>alert(1)" not in html
