"""Who may see a call and hear its voicemail message (domain/call_access.py)."""
import pytest

from callctl.domain.call_access import may_see
from callctl.domain.directory import Department, Directory, Employee
from callctl.domain.voicemail import VoicemailBox

DIRECTORY = Directory(
    employees=(Employee("Ada Admin", "100", email="ada@example.com"),
               Employee("Max Manager", "101", department="Sales", email="max@example.com"),
               Employee("Olga Operator", "102", department="Sales", email="olga@example.com"),
               Employee("Sam Support", "103", department="Support", email="sam@example.com"),
               Employee("Nia Nodept", "104", email="nia@example.com")),
    departments=(Department("Sales", "600"), Department("Support", "601")))


def box(*notify):
    return VoicemailBox("General", notify=tuple(notify))


def sees(level, who, answered_by=None, department=None, vm=None):
    return may_see(level, who, answered_by, department, vm, DIRECTORY)


def test_given_an_admin_then_every_call():
    assert sees("admin", "Ada Admin")
    assert sees("admin", "Ada Admin", "Sam Support", "Support")


@pytest.mark.parametrize("answered_by, department, vm, expected", [
    ("Olga Operator", "Sales", None, True),  # she answered it
    ("Max Manager", "Sales", None, False),  # a colleague answered it
    (None, None, box(("employee", "Olga Operator")), True),  # her box
    (None, None, box(("department", "Sales")), True),  # her department's box
    (None, None, box(("email", "OLGA@example.com")), True),  # her address, any case
    (None, None, box(("department", "Support"), ("sms", "+15550142")), False),
    (None, None, None, False),  # missed, no message
])
def test_given_an_operator_then_calls_they_answered_or_their_boxes_told_them_of(
        answered_by, department, vm, expected):
    assert sees("operator", "Olga Operator", answered_by, department, vm) is expected


@pytest.mark.parametrize("answered_by, department, vm, expected", [
    ("Olga Operator", "Sales", None, True),  # answered in Sales
    ("Olga Operator", None, None, True),  # by a Sales member (department not recorded)
    ("Sam Support", "Support", None, False),
    (None, None, box(("employee", "Olga Operator")), True),  # tells a member
    (None, None, box(("employee", "Max Manager")), True),  # tells him
    (None, None, box(("department", "Support")), False),
    (None, None, box(("email", "office@example.com")), False),
])
def test_given_a_manager_then_their_departments_calls(answered_by, department, vm, expected):
    assert sees("manager", "Max Manager", answered_by, department, vm) is expected


def test_given_a_manager_without_a_department_then_only_their_own():
    assert sees("manager", "Nia Nodept", "Nia Nodept")
    assert not sees("manager", "Nia Nodept", "Olga Operator", "Sales")
    assert not sees("manager", "Nia Nodept", None, None)  # answered_department None == theirs


def test_given_someone_no_longer_in_the_directory_then_nothing():
    assert not sees("operator", "Gone Person", "Gone Person")
    assert not sees("nobody", "Olga Operator", "Olga Operator")
