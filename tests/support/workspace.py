"""Fixtures for the workspace's browser tests: Chromium, and a company whose people can
sign in (passwords set through their invitations, as a person would)."""
from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import cli
from tests.support.browser import Chromium, http, sign_in

PASSWORD = "correct horse battery"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def shot(page, name: str) -> None:
    """CALLCTL_DOCS_SCREENSHOTS=1: keep this screen for the README (docs/)."""
    if os.environ.get("CALLCTL_DOCS_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / f"workspace-{name}.png"))


@dataclass
class Staff:
    base: str  # the daemon's HTTP address
    admin_token: str
    softphone: tuple[str, str]  # Carol's "on PC" account: (login, password)

    def api(self, method: str, path: str, body=None, token: str | None = None):
        return http(method, self.base + "/api/v1" + path, body,
                    {"Authorization": f"Bearer {token or self.admin_token}"})

    def invitation(self, name: str) -> str:
        status, body = self.api("POST", f"/employees/{urllib.parse.quote(name)}/invitation")
        assert status == 200, body
        return body["invitation_token"]

    def set_password(self, name: str, password: str = PASSWORD) -> None:
        token = self.invitation(name)
        status, body = http("POST", f"{self.base}/api/v1/invitations/{token}",
                            {"password": password})
        assert status == 200, body


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def staff(daemon) -> Staff:
    """Sales (ext 200): Alice (operator), Bob (its manager), Carol (operator with a
    softphone in the page); Dana, an admin. Alice, Bob and Carol have passwords."""
    c = daemon.path
    cli(c, "departments", "add", "--name", "Sales", "--extension", "200")
    cli(c, "employees", "edit", "Alice Smith", "--department", "Sales")
    cli(c, "employees", "edit", "Bob Jones", "--department", "Sales", "--access", "manager")
    cli(c, "employees", "add", "--name", "Carol White", "--email", "carol@example.com",
        "--extension", "103", "--department", "Sales")
    made = cli(c, "sip", "add", "--employee", "Carol White", "--pc")
    cli(c, "employees", "add", "--name", "Dana Admin", "--email", "dana@example.com",
        "--extension", "109", "--access", "admin", "--no-online")
    staff = Staff(f"http://127.0.0.1:{daemon.config['http']['port']}",
                  cli(c, "tokens", "create", "Dana Admin")["token"],
                  (made["object"]["login"], made["password"]))
    for name in ("Alice Smith", "Bob Jones", "Carol White"):
        staff.set_password(name)
    daemon.wait_directory_loaded()
    return staff


@pytest.fixture
def alice_page(staff, chromium, registered):
    """Alice's workspace, signed in and on line."""
    page = sign_in(chromium.page(staff.base), "alice@example.com", PASSWORD)
    page.wait_for_selector("[data-testid=status]:has-text('ON LINE')")
    yield page
    page.context.close()


@pytest.fixture
def carol(daemon, staff, chromium, registered):
    """Carol's workspace, signed in, its softphone registered (and gone with the page)."""
    page = sign_in(chromium.page(staff.base), "carol@example.com", PASSWORD)
    login = staff.softphone[0]
    page.wait_for_selector(f"[data-testid=phone-state]:has-text('{login}: registered')")
    daemon.wait_log("sip.registration", login=login, state="online")
    yield page
    page.context.close()
    daemon.wait_log("sip.registration", login=login, state="offline")
