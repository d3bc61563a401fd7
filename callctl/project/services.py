"""The directory and scheme services, built and wired together. The one place (for the
daemon, the CLI and the import alike) where schemes are told about directory deletes and
renames, so that neither package has to patch the other."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from ..directory.service import DirectoryService
from ..schemes import service as schemes


@dataclass(frozen=True)
class Services:
    directory: DirectoryService
    schemes: schemes.SchemeService
    country: str = "US"


def build_services(maker: sessionmaker, *, mailer=None, seats_included: int = 3,
                   country: str = "US", **clock) -> Services:
    """`clock` (tests): `clock=lambda: datetime` for both services."""
    directory = DirectoryService(maker, mailer=mailer, seats_included=seats_included,
                                 country=country, **clock)
    for kind, find, detach in schemes.usage_checkers():
        directory.register_usage_checker(kind, find, detach)
    for kind, hook in schemes.rename_hooks():
        directory.register_rename_hook(kind, hook)
    return Services(directory, schemes.SchemeService(maker, directory, country=country,
                                                     **clock), country)


def from_config(cfg, maker: sessionmaker | None = None) -> Services:
    """The services over the configured database (or `maker`'s connection)."""
    from ..integrations.mail import mailer_from_config
    from ..store.db import make_engine, sessions
    return build_services(maker or sessions(make_engine(cfg.database.url)),
                          mailer=mailer_from_config(cfg.smtp),
                          seats_included=cfg.project.seats_included,
                          country=cfg.project.country)
