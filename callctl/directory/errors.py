"""The one error the directory raises: a refused change, named by entity and field."""
from __future__ import annotations


class DirectoryError(Exception):
    """A refusal. `str()` reads `employee 'Ann Lee': email: already used by employee 'Bob'`.

    `code` lets the HTTP layer pick a status without parsing text:
    invalid (422), conflict (409), not_found (404), in_use (409).
    `usages` lists what still uses the entity when a delete is refused.
    """

    def __init__(self, entity: str, field: str, message: str, *, code: str = "invalid",
                 usages: list[str] | None = None):
        super().__init__(f"{entity}: {field}: {message}")
        self.entity, self.field, self.message = entity, field, message
        self.code = code
        self.usages = list(usages or ())
