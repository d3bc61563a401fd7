"""Signing in to the workspace in real Chromium against the real daemon: the password set
from the invitation link, right and wrong passwords, the rate limit, an expired link, the
session cookie's flags, sign-out, CSRF, and what each access level sees."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.integration.conftest import cli
from tests.support.browser import sign_in
from tests.support.workspace import PASSWORD, chromium, staff  # noqa: F401 (fixtures)


def test_given_an_invitation_link_when_a_password_is_chosen_then_it_signs_in_once(
        daemon, staff, chromium):
    cli(daemon.path, "employees", "add", "--name", "Erin Green", "--email", "erin@example.com",
        "--extension", "105")
    token = staff.invitation("Erin Green")
    page = chromium.page(staff.base)
    page.goto(f"/invite/{token}")
    page.fill("#p", "a new password 1")
    page.fill("#q", "a new password 1")
    page.click("button")
    page.wait_for_selector("text=Done: sign in with your e-mail and this password.")
    sign_in(page, "erin@example.com", "a new password 1")
    assert page.inner_text("[data-testid=who]") == "Erin Green (operator)"
    page.goto(f"/invite/{token}")  # the link works once
    page.fill("#p", "another password")
    page.fill("#q", "another password")
    page.click("button")
    page.wait_for_selector("text=unknown or already used")


def test_given_an_expired_invitation_when_opened_then_the_page_says_so(daemon, staff,
                                                                       chromium):
    token = staff.invitation("Alice Smith")
    engine = create_engine(daemon.config["database"]["url"])
    with engine.begin() as db:  # the link was sent long ago
        db.execute(text("UPDATE employees SET invite_expires_at = :past WHERE full_name = "
                        "'Alice Smith'"), {"past": datetime.now(timezone.utc) - timedelta(hours=1)})
    engine.dispose()
    page = chromium.page(staff.base)
    page.goto(f"/invite/{token}")
    page.fill("#p", "too late a password")
    page.fill("#q", "too late a password")
    page.click("button")
    page.wait_for_selector("text=expired: ask an admin for a new invitation")
    sign_in(page, "alice@example.com", PASSWORD)  # her password did not change


def test_given_a_wrong_password_then_refused_and_after_five_even_the_right_one_waits(
        daemon, staff, chromium):
    cli(daemon.path, "employees", "add", "--name", "Frank Hill", "--email", "frank@example.com",
        "--extension", "106")
    staff.set_password("Frank Hill")
    page = chromium.page(staff.base)
    page.goto("/workspace/")

    def try_password(password: str) -> int:
        page.fill("input[name=email]", "Frank@Example.com ")  # as people type it
        page.fill("input[name=password]", password)
        with page.expect_response("**/api/v1/session") as answer:
            page.click("button[type=submit]")
        return answer.value.status

    for _ in range(5):
        assert try_password("not his password") == 401
        assert page.inner_text("[role=alert]") == "wrong e-mail or password"
    assert try_password(PASSWORD) == 429
    assert page.inner_text("[role=alert]").startswith("too many failed sign-ins: try again in ")
    assert page.query_selector("[data-testid=who]") is None
    # Another person is not locked out by Frank's failures.
    sign_in(chromium.page(staff.base), "alice@example.com", PASSWORD)


def test_given_a_session_then_its_cookie_is_httponly_strict_secure_and_sign_out_ends_it(
        staff, chromium):
    page = sign_in(chromium.page(staff.base), "carol@example.com", PASSWORD)
    cookie, = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == \
        ("callctl_session", True, "Strict", True)
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it
    page.click("text=Sign out")
    page.wait_for_selector("input[name=email]")
    assert page.context.cookies() == []
    status = page.evaluate("fetch('/api/v1/session').then(r => r.status)")
    assert status == 401


def test_given_a_change_without_the_csrf_token_then_403_and_nothing_changes(
        daemon, staff, chromium):
    page = sign_in(chromium.page(staff.base), "carol@example.com", PASSWORD)
    forged = page.evaluate("""fetch('/api/v1/workspace/status', {method: 'PUT',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({online: false})})
        .then(async r => [r.status, (await r.json()).error.message])""")
    assert forged == [403, "a change made with the session cookie needs the session's "
                           "X-CSRF-Token header"]
    employee = cli(daemon.path, "employees", "show", "Carol White")
    assert employee["online"] is True


def test_given_each_access_level_then_reports_only_for_managers_and_admins(staff, chromium):
    operator = sign_in(chromium.page(staff.base), "alice@example.com", PASSWORD)
    assert operator.query_selector("nav >> text=Reports") is None
    status = operator.evaluate("fetch('/api/v1/reports/employees').then(r => r.status)")
    assert status == 403
    manager = sign_in(chromium.page(staff.base), "bob@example.com", PASSWORD)
    manager.click("nav >> text=Reports")
    manager.wait_for_selector("[data-testid=report]")
