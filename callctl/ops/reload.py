"""SIGHUP: re-read the configuration file and apply what can change while calls are up (the
log level), reload the directory from the database, and name what would need a restart.
A configuration that no longer loads is refused: the daemon keeps running as it was."""
from __future__ import annotations

import logging
from typing import Callable

from .. import config as configuration
from .. import log
from .systemd import Notifier

RELOADABLE = ("log_level",)


class Reloader:
    def __init__(self, path: str | None, running: configuration.Config,
                 reload_directory: Callable[[], None], notifier: Notifier):
        self.path, self.running = path, running
        self.reload_directory, self.notifier = reload_directory, notifier

    def reload(self) -> None:
        self.notifier.reloading()
        try:
            if self.path is None:
                raise configuration.ConfigError("the daemon was not started from a file")
            new = configuration.load(self.path)
        except configuration.ConfigError as exc:
            log.event("config.reload_failed", logging.ERROR, error=str(exc),
                      kept="the running configuration")
        else:
            if new.log_level != self.running.log_level:
                log.set_level(new.log_level)
            restart = [name for name in type(new).model_fields if name not in RELOADABLE
                       and getattr(new, name) != getattr(self.running, name)]
            self.running = self.running.model_copy(update={"log_level": new.log_level})
            log.event("config.reloaded", logging.WARNING if restart else logging.INFO,
                      log_level=new.log_level,
                      restart_needed_for=",".join(restart) or None)
        self.reload_directory()
        self.notifier.ready("serving (reloaded)")
