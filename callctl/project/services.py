"""The services, built and wired together: the one place (for the daemon, the CLI and the
import alike) where schemes, menus and voicemail boxes are told about directory deletes and
renames, and prompts about who plays them, so that no package has to patch another."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from ..crm import service as crm
from ..directory.service import DirectoryService
from ..outgoing import service as outgoing
from ..prompts.service import PromptService
from ..routing import service as routing
from ..schemes import service as schemes


@dataclass(frozen=True)
class Services:
    directory: DirectoryService
    schemes: schemes.SchemeService
    routing: routing.RoutingService
    prompts: PromptService
    country: str = "US"
    outgoing: outgoing.OutgoingService | None = None
    crm: crm.CrmService | None = None


def build_services(maker: sessionmaker, *, mailer=None, seats_included: int = 3,
                   country: str = "US", webhooks=None, **clock) -> Services:
    """`clock` (tests): `clock=lambda: datetime` for the services. `webhooks`: the
    configured webhook names scheme directions may use (None: not checked)."""
    directory = DirectoryService(maker, mailer=mailer, seats_included=seats_included,
                                 country=country, **clock)
    for module in (schemes, routing, outgoing, crm):
        for kind, find, detach in module.usage_checkers():
            directory.register_usage_checker(kind, find, detach)
        for kind, hook in getattr(module, "rename_hooks", list)():
            directory.register_rename_hook(kind, hook)
    prompts: PromptService | None = None
    # Menus and boxes may only play prompts that exist; prompts they play stay.
    menus = routing.RoutingService(maker, directory, webhooks=webhooks,
                                   prompt_names=lambda: set(prompts.catalog()), **clock)
    prompts = PromptService(maker, usages=menus.prompt_usages,
                            on_change=DirectoryService.bump_version, **clock)
    return Services(directory, schemes.SchemeService(maker, directory, country=country,
                                                     webhooks=webhooks, **clock),
                    menus, prompts, country,
                    outgoing.OutgoingService(maker, directory, country),
                    crm.CrmService(maker, country, **clock))


def from_config(cfg, maker: sessionmaker | None = None) -> Services:
    """The services over the configured database (or `maker`'s connection)."""
    from ..integrations.mail import mailer_from_config
    from ..store.db import make_engine, sessions
    return build_services(maker or sessions(make_engine(cfg.database.url)),
                          mailer=mailer_from_config(cfg.smtp),
                          seats_included=cfg.project.seats_included,
                          country=cfg.project.country, webhooks=set(cfg.webhooks))
