"""An external CRM asked who is responsible for a caller: a GET per entity kind.

The request is the configured URL template with {entity} (lead, contact, deal) and {phone}
(E.164, URL-encoded) filled in, and the configured headers (e.g. an API token). The answer
is JSON; `responsible_path` says where the responsible user's id is (dots between keys,
numbers for list items: `data.0.responsible_user_id`). Nothing there (an empty list, null)
means no such entity; the next kind is asked. The caller of `lookup` bounds the time.
"""
from __future__ import annotations

from urllib.parse import quote

import aiohttp


def at_path(doc, path: str):
    """The value at a dotted path, or None when any step is missing."""
    for key in path.split("."):
        if isinstance(doc, list) and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        elif isinstance(doc, dict) and key in doc:
            doc = doc[key]
        else:
            return None
    return doc


class HttpCrm:
    def __init__(self, config):
        """`config`: config.CrmHttpConfig."""
        self.config = config
        self._http: aiohttp.ClientSession | None = None

    async def responsible_user(self, phone: str, order: tuple[str, ...]) -> tuple[str, str] | None:
        """(CRM user id, which entity kind had it) or None. Raises on a failed request."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        for entity in order:
            url = self.config.url.format(entity=entity, phone=quote(phone, safe=""))
            async with self._http.get(url, headers=self.config.headers) as resp:
                resp.raise_for_status()
                doc = await resp.json(content_type=None)
            user = at_path(doc, self.config.responsible_path)
            if user not in (None, "", [], {}):
                return str(user), entity
        return None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
