"""The company directory: employees, departments, SIP accounts, company numbers.

`DirectoryService` holds every rule; the CLI, the HTTP API and the YAML import call it.
"""
from .errors import DirectoryError
from .service import DirectoryService, Result

__all__ = ["DirectoryError", "DirectoryService", "Result"]
