"""Asking a customer's webhook handler where a call goes.

One request per call that reaches a `webhook` direction: a signed POST of the call
(docs/webhooks.md), bounded by the webhook's timeout and the block's remaining time
whichever ends first, and by a per-webhook limit of requests in flight (a call that finds
the limit reached waits for a free slot within the same bounds). Every failure comes back
as a reason for the call log, never as an exception: the call goes on with its next block.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp

from .signing import signed


class Webhooks:
    def __init__(self, configs: dict):
        """`configs`: name -> config.WebhookConfig."""
        self.configs = configs
        self._slots = {name: asyncio.Semaphore(c.max_concurrent) for name, c in configs.items()}
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def ask(self, name: str, payload: dict, budget_s: float) -> tuple[object, str]:
        """(the parsed JSON answer, "") or (None, why there is none)."""
        config = self.configs.get(name)
        if config is None:
            return None, f"no webhook {name!r} is configured"
        seconds = min(config.timeout_s, budget_s)
        if seconds <= 0:
            return None, "no time left in the block"
        try:
            return await asyncio.wait_for(self._post(name, config, payload), seconds), ""
        except asyncio.TimeoutError:
            return None, f"no answer within {seconds:.1f} s"
        except aiohttp.ClientError as exc:
            return None, f"request failed: {exc or type(exc).__name__}"
        except ValueError as exc:
            return None, str(exc)

    async def _post(self, name: str, config, payload: dict):
        async with self._slots[name]:
            body, headers = signed({**payload, "webhook": name}, config.secret)
            async with self._session().post(config.url, data=body, headers=headers) as resp:
                text = await resp.text(errors="replace")
                if not 200 <= resp.status < 300:
                    raise ValueError(f"answered HTTP {resp.status}")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"answer is not JSON: {text[:60]!r}") from None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
