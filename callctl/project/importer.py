"""`callctl project export` and `import`: the company as one document, all or nothing.

Import reads and checks the whole document first (document.py), then makes the database
match it through the same services as the CLI and the API, inside ONE outer transaction:
every step commits only a savepoint, and any refusal rolls the whole import back.
`--dry-run` runs the very same steps and rolls back at the end, so it reports exactly what
a real import would refuse. SIP passwords are never exported; accounts created by an
import get new ones.
"""
from __future__ import annotations

from collections.abc import Callable

import yaml
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from ..yamldoc import Document
from .directory_sections import DEPARTMENTS, EMPLOYEES, NUMBERS, SIP_ACCOUNTS
from .document import read_document
from .menu_sections import MENUS
from .outgoing_sections import OUTGOING
from .prompt_sections import PROMPTS
from .scheme_sections import SCHEMES
from .services import Services

# In the order they are applied: a section after those it names. Retracting runs the
# other way round. Menus and schemes may lead to each other: see menu_sections.py for how
# that is resolved. Queues join this list.
SECTIONS = [PROMPTS, DEPARTMENTS, EMPLOYEES, SIP_ACCOUNTS, NUMBERS, MENUS, SCHEMES, OUTGOING]


def export_project(services: Services) -> dict:
    """Every section as plain data, in a stable order (export → import → export is equal)."""
    doc: dict = {}
    for section in SECTIONS:
        doc.update(section.export(services))
    return doc


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)


def import_project(engine: Engine, make_services: Callable[[sessionmaker], Services],
                   doc: Document, *, dry_run: bool, prune: bool = False):
    """Apply `doc`; returns (change lines, service results). Raises ProjectError (nothing
    changed) naming the file and line, or the entry, of the first refusal.
    `make_services(sessionmaker)` builds the services on the import's own connection."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            maker = sessionmaker(bind=conn, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
            services = make_services(maker)
            wanted = read_document(doc, services.country, SECTIONS)
            plans = [(section, section.plan(services, w, prune)) for section, w in wanted]
            lines = [line for section, plan in plans for line in section.lines(plan)]
            results = []
            for section, plan in reversed(plans):
                results += section.retract(services, plan)
            for section, plan in plans:
                results += section.apply(services, plan)
            for section, plan in plans:
                section.verify(services, plan)
        except BaseException:
            outer.rollback()
            raise
        if dry_run:
            outer.rollback()
        else:
            outer.commit()
    return lines, results
