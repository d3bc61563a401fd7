"""Outgoing SMS through an HTTP gateway described by the configuration (callctl.config.
SmsConfig): a URL template, a method, an optional Authorization header and a body of
templated fields sent as JSON or as a form. Any 2xx answer is success.
"""
from __future__ import annotations

from urllib.parse import quote

import aiohttp

from ..domain.notices import render


class SmsError(Exception):
    """The gateway did not take the SMS; str() says what it answered."""


class SmsGateway:
    def __init__(self, config):
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def request(self, values: dict[str, str]) -> tuple[str, str, dict]:
        """(method, url, aiohttp keyword arguments) for one SMS."""
        c = self.config
        url = render(c.url, {k: quote(v, safe="") for k, v in values.items()})
        kwargs: dict = {"headers": {"Authorization": c.authorization} if c.authorization
                        else {}}
        if c.method != "GET":
            body = {key: render(template, values) for key, template in c.body.items()}
            kwargs["json" if c.encoding == "json" else "data"] = body
        return c.method, url, kwargs

    async def send(self, values: dict[str, str]) -> None:
        method, url, kwargs = self.request(values)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds))
        try:
            async with self._session.request(method, url, **kwargs) as resp:
                if not 200 <= resp.status < 300:
                    text = (await resp.text(errors="replace")).strip()[:200]
                    raise SmsError(f"gateway answered HTTP {resp.status}: {text or resp.reason}")
        except aiohttp.ClientError as exc:
            raise SmsError(f"gateway unreachable: {exc}") from None
        except TimeoutError:  # asyncio.TimeoutError is TimeoutError from Python 3.11
            raise SmsError(f"gateway gave no answer within {self.config.timeout_seconds} s") \
                from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
