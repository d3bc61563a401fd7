"""The directory's checks: each takes a raw value, returns it cleaned (or the row it names)
or raises `DirectoryError` naming the entity and field. Uniqueness checks read the session.

Names follow the one rule of callctl/domain/names.py (normalised, unique case-insensitively);
phone numbers are stored in E.164 (domain/phones.py), read in the project's country."""
from __future__ import annotations

import re
import secrets
import string
import unicodedata

from sqlalchemy import func, select

from ..domain.names import BadName, clean_name, clean_text, name_key, shown
from ..domain.phones import BadNumber, to_e164
from ..store.directory_models import Department, Employee, PhoneNumber, SipAccount
from .errors import DirectoryError
from .views import name_of

EMAIL_RE = re.compile(r"^[^@\s]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
EXTENSION_RE = re.compile(r"^[0-9]{2,8}$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
SIP_URI_RE = re.compile(r"^sips?:[^@\s]+@[^@\s]+$")
MAX_URI = 255  # the contact column's size

# kind -> (table, identifying column, how messages name it, the identifying field)
KINDS = {
    "employee": (Employee, Employee.full_name, "employee", "full_name"),
    "department": (Department, Department.name, "department", "name"),
    "sip_account": (SipAccount, SipAccount.login, "SIP account", "login"),
    "number": (PhoneNumber, PhoneNumber.number, "number", "number"),
}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def lookup_key(kind, value, country):
    """How `value` is stored, as far as it can be made so (a name normalised, a number in
    E.164); None when it cannot name anything of `kind`."""
    try:
        if kind in ("employee", "department"):
            return clean_name(value)
        if kind == "number":
            return to_e164(value, country)
    except (BadName, BadNumber):
        return None
    return value if isinstance(value, str) else None


def get(s, kind, value, country="US"):
    model, column, what, key = KINDS[kind]
    # The raw text too: a number stored before numbers were kept in E.164 is still found.
    keys = {k for k in (lookup_key(kind, value, country), value) if isinstance(k, str)}
    obj = s.scalar(select(model).where(column.in_(keys))) if keys else None
    if obj is None:
        raise DirectoryError(f"{what} {shown(value)}", key, "not found", code="not_found")
    return obj


def free_name(s, kind, value, own=None) -> str:
    model, column, what, key = KINDS[kind]
    try:
        value = clean_name(value)
    except BadName as exc:
        raise DirectoryError(what, key, str(exc)) from None
    label = f"{what} {value!r}"
    wanted = name_key(value)
    for other_id, other_name in s.execute(select(model.id, column)):
        if name_key(other_name) == wanted and (own is None or other_id != own.id):
            same = "this name" if other_name == value else f"this name ({other_name!r})"
            raise DirectoryError(label, key, f"another {what} already has {same}",
                                 code="conflict")
    return value


def free_email(s, label, email) -> str:
    if email is None or (isinstance(email, str) and not email.strip()):
        raise DirectoryError(label, "email", "required")
    try:
        email = clean_text(email, max_length=254).strip()
    except BadName as exc:
        raise DirectoryError(label, "email", str(exc)) from None
    if not EMAIL_RE.match(email):
        raise DirectoryError(label, "email", f"{shown(email)} is not a valid e-mail address")
    domain_part = email.rsplit("@", 1)[1].lower()
    if domain_part.endswith(".ru"):
        raise DirectoryError(label, "email", "addresses in the .ru domain are not accepted")
    other = s.scalar(select(Employee).where(func.lower(Employee.email) == func.lower(email)))
    if other is not None:
        raise DirectoryError(label, "email", f"already used by employee {other.full_name!r}",
                             code="conflict")
    return email


def free_extension(s, label, extension, feature_codes, own=None) -> str:
    if not isinstance(extension, str) or not EXTENSION_RE.fullmatch(extension.strip()):
        raise DirectoryError(label, "extension", "must be 2 to 8 digits")
    extension = extension.strip()
    for code in feature_codes:
        if code and extension.startswith(code):
            raise DirectoryError(label, "extension",
                                 f"starts with {code!r}, which begins a feature code")
    for model, what in ((Employee, "employee"), (Department, "department")):
        other = s.scalar(select(model).where(model.extension == extension))
        if other is not None and other is not own:
            raise DirectoryError(label, "extension", f"already used by {what} "
                                 f"{name_of(other)!r}", code="conflict")
    if s.scalar(select(PhoneNumber.id).where(PhoneNumber.number == extension)):
        raise DirectoryError(label, "extension", f"equals company number {extension}",
                             code="conflict")
    return extension


def phone(label, key, value, country) -> str:
    try:
        return to_e164(value, country)
    except BadNumber as exc:
        raise DirectoryError(label, key, str(exc)) from None


def free_number(s, label, number, country) -> str:
    number = phone(label, "number", number, country)
    if s.scalar(select(PhoneNumber.id).where(PhoneNumber.number == number)):
        raise DirectoryError(label, "number", "already a company number", code="conflict")
    for model, what in ((Employee, "employee"), (Department, "department")):
        other = s.scalar(select(model).where(model.extension == number))
        if other is not None:
            raise DirectoryError(label, "number", f"equals the extension of {what} "
                                 f"{name_of(other)!r}", code="conflict")
    return number


def free_login(s, label, login) -> str:
    if not isinstance(login, str) or not LOGIN_RE.fullmatch(login):
        raise DirectoryError(label, "login", "letters, digits, '.', '_' and '-' only, 1 to 40")
    # Logins are ASCII: SQL's lower() compares them case-insensitively on every database.
    other = s.scalar(select(SipAccount.login).where(func.lower(SipAccount.login)
                                                    == login.lower()))
    if other is not None:
        same = "" if other == login else f" ({other!r})"
        raise DirectoryError(label, "login", f"already used by another SIP account{same}",
                             code="conflict")
    return login


def new_login(s, owner: Employee | None) -> str:
    base = _slug(owner.full_name) if owner else "sip"
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(20):
        login = f"{base}-{''.join(secrets.choice(alphabet) for _ in range(4))}"
        if not s.scalar(select(SipAccount.id).where(SipAccount.login == login)):
            return login
    raise DirectoryError("SIP account", "login", "no free login found: give one")


def employee_ref(s, label, key, name) -> Employee | None:
    if name is None:
        return None
    found = lookup_key("employee", name, None)
    e = s.scalar(select(Employee).where(Employee.full_name == found)) if found else None
    if e is None:
        raise DirectoryError(label, key, f"no employee named {shown(name)}")
    return e


def department_ref(s, label, name) -> Department | None:
    if name is None:
        return None
    found = lookup_key("department", name, None)
    d = s.scalar(select(Department).where(Department.name == found)) if found else None
    if d is None:
        raise DirectoryError(label, "department", f"no department named {shown(name)}")
    return d


def fallback_target(s, label, value, number, country) -> tuple[Employee | None, str | None]:
    """An employee's name (looked up first) or a phone number; None: no fallback."""
    if value is None:
        return None, None
    if isinstance(value, str):
        name = lookup_key("employee", value, None)
        e = s.scalar(select(Employee).where(Employee.full_name == name)) if name else None
        if e is not None:
            return e, None
        try:
            dial = to_e164(value, country)
        except BadNumber:
            dial = None
        if dial is not None and dial == number:
            raise DirectoryError(label, "fallback", "cannot be the number itself (a loop)")
        if dial is not None:
            return None, dial
    raise DirectoryError(label, "fallback", f"{shown(value)} is neither an employee nor a "
                         "phone number")


def check_ring_timeout(label, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 600:
        raise DirectoryError(label, "ring_timeout", "must be a whole number of seconds, 1 to 600")
    return value


def check_choice(label, key, value, allowed) -> None:
    if value not in allowed:
        raise DirectoryError(label, key, f"must be one of {', '.join(allowed)}")


def check_flag(label, key, value) -> None:
    if not isinstance(value, bool):
        raise DirectoryError(label, key, "must be true or false")


def check_editable(label, changes, allowed) -> None:
    for key in changes:
        if key not in allowed:
            raise DirectoryError(label, key, f"cannot be edited (editable: {', '.join(allowed)})")


def check_contacts(label, phone_numbers, other_contacts,
                   country) -> tuple[list[str], list[str]]:
    for key, values in (("phone_numbers", phone_numbers), ("other_contacts", other_contacts)):
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise DirectoryError(label, key, "must be a list of strings")
        if len(values) > 20:
            raise DirectoryError(label, key, "at most 20")
    primary = [phone(label, "phone_numbers", v, country) for v in phone_numbers]
    other = [_other_contact(label, v, country) for v in other_contacts]
    seen = set()
    for key, v in [("phone_numbers", v) for v in primary] + [("other_contacts", v) for v in other]:
        if v in seen:
            raise DirectoryError(label, key, f"{v!r} is given twice")
        seen.add(v)
    return primary, other


def _other_contact(label, value: str, country) -> str:
    if value.strip().lower().startswith(("sip:", "sips:")):
        try:
            uri = clean_text(value, max_length=MAX_URI).strip()
        except BadName as exc:
            raise DirectoryError(label, "other_contacts", str(exc)) from None
        if SIP_URI_RE.match(uri):
            return uri
    else:
        try:
            return to_e164(value, country)
        except BadNumber:
            pass
    raise DirectoryError(label, "other_contacts", f"{shown(value)} is neither a phone number "
                         "nor a sip: URI")


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:30].strip(".") or "sip"
