"""The OAuth2 client-credentials token source for the Analytics API (API.md §1).

:class:`TokenSource` is a :class:`requests.auth.AuthBase`: it asks the Azure AD v1 token
endpoint for a token the first time a request needs one, caches it, and asks again
*before* a request whenever the token would not outlive that request (read timeout plus a
margin, capped at half the token's lifetime so that a short-lived token is still used).
One lock makes concurrent first use fetch once. Neither the secret nor the token ever
appears in a ``repr``, an error message or a log record.

Examples
--------
>>> source = TokenSource("my-client", "s3cret", "https://login.example.com/t/oauth2/token")
>>> source
TokenSource(client_id='my-client', token_url='https://login.example.com/t/oauth2/token', token=None)
>>> "s3cret" in repr(source) + str(source)
False
>>> source.refresh_lead(86399.0), source.refresh_lead(600.0)
(660.0, 300.0)
>>> check_url("http://127.0.0.1:8080", what="base URL")
'http://127.0.0.1:8080'
>>> check_url("http://analytics.example.com", what="base URL")
Traceback (most recent call last):
...
digitalcx_frames.errors.ConfigurationError: The base URL must use https:// (plain http is allowed only on loopback): 'http://analytics.example.com'
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from digitalcx_frames.errors import (
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "DEFAULT_TOKEN_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "REDACTED",
    "RESOURCE",
    "TokenEndpointRateLimitError",
    "TokenEndpointServerError",
    "TokenFacts",
    "TokenSource",
    "check_url",
    "is_loopback",
]

DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/digitalcx.onmicrosoft.com/oauth2/token"
RESOURCE = "https://digitalcx.onmicrosoft.com/external-api"
ENV_CLIENT_ID = "DIGITALCX_CLIENT_ID"
ENV_CLIENT_SECRET = "DIGITALCX_CLIENT_SECRET"
REDACTED = "***"

_DEFAULT_LIFETIME = 3600.0
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_UNSAFE_URL_CHARACTER = re.compile(r"[\x00-\x20\x7f\\]")
# What may travel in an Authorization header: visible ASCII, no space (RFC 9110 token68 and more).
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")

log = logging.getLogger(__name__)


def check_url(url: str, *, what: str) -> str:
    r"""Return ``url`` without a trailing slash if it is https, or http on a loopback host.

    The host that counts is the one urllib3 (which opens the connection) reads; a URL that
    :func:`urllib.parse.urlsplit` reads differently is refused, as is any URL with a
    backslash, whitespace, a control or non-ASCII character, user information
    (``user@host``), a query or a fragment.

    Parameters
    ----------
    url
        The URL to check.
    what
        What the URL is for ("base URL", "token URL"); named in the error.

    Raises
    ------
    ConfigurationError
        For another scheme, a missing host, a URL the two parsers disagree on, or plain
        http to a host that is not loopback (``127.0.0.0/8``, ``::1``, ``localhost``):
        the token would travel in clear text, or to another host than the one checked.

    Examples
    --------
    >>> check_url("https://analytics.example.com/", what="base URL")
    'https://analytics.example.com'
    >>> check_url("http://evil.example\\@127.0.0.1", what="base URL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    digitalcx_frames.errors.ConfigurationError: The base URL must not contain a backslash, ...
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"The {what} must be a string, got {type(url).__name__}")
    if _UNSAFE_URL_CHARACTER.search(url) or not url.isascii():
        raise ConfigurationError(
            f"The {what} must not contain a backslash, whitespace, a control or a non-ASCII character: {url!r}"
        )
    parts = urlsplit(url)
    try:
        seen = parse_url(url)
        split_port = parts.port
    except (LocationParseError, ValueError):
        raise ConfigurationError(f"The {what} is not a valid URL: {url!r}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    connect_host = (seen.host or "").lower().removeprefix("[").removesuffix("]")
    if scheme not in {"http", "https"} or not host:
        raise ConfigurationError(f"The {what} must be an absolute https:// URL: {url!r}")
    if (scheme, host, split_port) != ((seen.scheme or "").lower(), connect_host, seen.port):
        raise ConfigurationError(f"The {what} is read differently by different URL parsers; refusing it: {url!r}")
    if scheme == "http" and not is_loopback(connect_host):
        raise ConfigurationError(f"The {what} must use https:// (plain http is allowed only on loopback): {url!r}")
    if "@" in parts.netloc or seen.auth is not None:
        raise ConfigurationError(f"The {what} must not carry user information (user@host): {url!r}")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigurationError(f"The {what} must not carry a query or a fragment: {url!r}")
    return url.rstrip("/")


def is_loopback(url_or_host: str) -> bool:
    """Whether a URL's host (or a bare host) is this machine: plain http is allowed there only.

    >>> is_loopback("http://127.0.0.1:8765"), is_loopback("localhost"), is_loopback("https://api.example")
    (True, True, False)
    """
    host = urlsplit(url_or_host.strip()).hostname or "" if "//" in url_or_host else url_or_host.strip()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What the token endpoint's last reply looked like, without the token (for the doctor).

    Attributes
    ----------
    token_type : str
        ``Bearer`` as documented.
    expires_in : str
        How ``expires_in`` came: ``"string"`` (as documented), ``"number"``, ``"missing"``
        or ``"unusable"``.
    lifetime : float
        The lifetime in seconds the client uses.
    """

    token_type: str
    expires_in: str
    lifetime: float


@dataclass(frozen=True, slots=True)
class _Token:
    value: str = field(repr=False)
    token_type: str
    issued_at: float
    lifetime: float


class _Secret:
    """A string that never shows itself in a ``repr`` or ``str``."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


class TokenSource(AuthBase):
    """Bearer tokens from the client-credentials grant, cached and refreshed early.

    Parameters
    ----------
    client_id, client_secret
        The credentials the vendor issued. ``None`` is allowed at construction;
        the first request that needs a token then raises :class:`ConfigurationError`.
    token_url
        The Azure AD v1 token endpoint (https, or http on loopback).
    session
        The :class:`requests.Session` to post with (a private one if ``None``).
    timeout
        ``(connect, read)`` seconds for the token request.
    read_timeout
        The read timeout of the data requests this token authorises: a token is
        refreshed before a request whenever it has less than ``read_timeout + margin``
        seconds left (at most half its lifetime).
    margin
        Extra seconds of life a token must have before it is used.
    clock
        Monotonic seconds; ``time.monotonic`` unless injected by a test.
    resource
        The ``resource`` the token is asked for.
    scope
        A context manager factory entered around each token request (the client passes
        its response deadline, so a token endpoint that drips cannot hold a read).
    """

    def __init__(
        self,
        client_id: str | None,
        client_secret: str | None,
        token_url: str = DEFAULT_TOKEN_URL,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        read_timeout: float = 600.0,
        margin: float = 60.0,
        clock: Callable[[], float] | None = None,
        resource: str = RESOURCE,
        scope: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.client_id = client_id
        self._secret = _Secret(client_secret) if client_secret else None
        self.token_url = check_url(token_url, what="token URL")
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._timeout = timeout
        self.read_timeout = read_timeout
        self.margin = margin
        self._clock = clock if clock is not None else time.monotonic
        self.resource = resource
        self._scope = scope
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.fetch_count = 0
        self.facts: TokenFacts | None = None
        """How the last token reply looked (no token in it); ``None`` before the first fetch."""

    def __repr__(self) -> str:
        state = None if self._token is None else "'cached'"
        return f"TokenSource(client_id={self.client_id!r}, token_url={self.token_url!r}, token={state})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set ``Authorization: Bearer <token>`` on ``request``, fetching a token if needed."""
        request.headers["Authorization"] = self.authorization()
        return request

    # -- the token -------------------------------------------------------------------------

    def refresh_lead(self, lifetime: float) -> float:
        """Seconds of remaining life below which a token of ``lifetime`` seconds is replaced.

        ``min(read_timeout + margin, lifetime / 2)``.
        """
        return min(self.read_timeout + self.margin, lifetime / 2)

    def authorization(self) -> str:
        """The ``Authorization`` header value, e.g. ``"Bearer eyJ..."``; fetches when needed."""
        token = self._current()
        return f"{token.token_type} {token.value}"

    def token(self) -> str:
        """The access token itself; fetched on first use and whenever it is about to expire."""
        return self._current().value

    def invalidate(self, authorization: str | None = None) -> None:
        """Drop the cached token so that the next request fetches a new one.

        Parameters
        ----------
        authorization
            The ``Authorization`` header (or bare token) that was refused. When given,
            the cache is dropped only if it still holds that token, so that threads
            refused with the same old token trigger one new fetch, not one each.
        """
        with self._lock:
            current = self._token
            if current is None:
                return
            if authorization is not None and authorization.split(" ")[-1] != current.value:
                return
            self._token = None
            log.debug("token invalidated")

    def redact(self, text: str) -> str:
        """``text`` with the secret and the cached token replaced by ``***``."""
        for hidden in (self._secret.value if self._secret else None, self._token.value if self._token else None):
            if hidden:
                text = text.replace(hidden, REDACTED)
        return text

    def close(self) -> None:
        """Close the session if this source created it."""
        if self._own_session:
            self._session.close()

    def _current(self) -> _Token:
        with self._lock:
            token = self._token
            if token is not None and self._clock() < token.issued_at + token.lifetime - self.refresh_lead(
                token.lifetime
            ):
                return token
            if token is not None:
                log.debug("token has less than its refresh lead left; fetching a new one")
            token = self._fetch()
            self._token = token
            return token

    def _fetch(self) -> _Token:
        if not self.client_id or self._secret is None:
            raise ConfigurationError(
                f"No DigitalCX credentials: pass client_id and client_secret, or set {ENV_CLIENT_ID} and "
                f"{ENV_CLIENT_SECRET}."
            )
        issued_at = self._clock()
        try:
            with self._scope():  # the client's response deadline, for a token endpoint that drips
                response = self._session.post(
                    self.token_url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self._secret.value,
                        "resource": self.resource,
                    },
                    headers={"Accept": "application/json"},
                    timeout=self._timeout,
                    allow_redirects=False,  # a 307/308 would send the secret on to another host
                )
                with response:
                    status = response.status_code
                    content = response.content
        except requests.RequestException as exc:
            raise NetworkError(
                self.redact(f"the token endpoint {self.token_url} could not be reached ({type(exc).__name__})")
            ) from None
        try:
            reply = json.loads(content)
        except ValueError:
            reply = None
        self.fetch_count += 1
        if not isinstance(reply, dict):
            reply = {}
        if status != 200:
            raise self._refusal(status, reply, response)
        value = reply.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthenticationError("the token endpoint answered without an access_token", status_code=status)
        if not _HEADER_SAFE.fullmatch(value):
            # Never the value itself: it is a credential, whatever else it holds.
            raise AuthenticationError(
                f"the token endpoint answered an access_token that cannot be sent in an HTTP header "
                f"({len(value)} characters, some of them spaces, control or non-ASCII characters)",
                status_code=status,
            )
        token_type = reply.get("token_type") or "Bearer"
        if not isinstance(token_type, str) or not _HEADER_SAFE.fullmatch(token_type):
            raise AuthenticationError(
                "the token endpoint answered a token_type that cannot be sent in an HTTP header", status_code=status
            )
        token = _Token(
            value=value,
            token_type=token_type,
            issued_at=issued_at,
            lifetime=_lifetime(reply.get("expires_in")),
        )
        self.facts = TokenFacts(token_type, _kind_of(reply.get("expires_in")), token.lifetime)
        log.debug("fetched a token from %s valid for %.0f s", self.token_url, token.lifetime)
        return token

    def _refusal(self, status: int, reply: dict[str, object], response: requests.Response) -> Exception:
        description = reply.get("error_description") or reply.get("error") or reply.get("message")
        if isinstance(description, str) and description.strip():
            message = description.strip().splitlines()[0]
        else:
            message = f"the token endpoint answered HTTP {status} ({response.reason or 'no reason given'})"
        # The error classes add their own full stop: "provided." + "." would read "provided..".
        message = self.redact(message).rstrip(". ") or "no message"
        if 300 <= status < 400:
            return AuthenticationError(
                f"the token endpoint answered a redirect (HTTP {status}); the credentials were not sent on. "
                "Check the token URL",
                status_code=status,
            )
        if status == 429:
            return TokenEndpointRateLimitError(status, message)
        if status >= 500:
            return TokenEndpointServerError(status, message)
        return AuthenticationError(message, status_code=status)


class TokenEndpointServerError(ServerError):
    """A 5xx from the token endpoint: a :class:`ServerError` that names the token endpoint, not the Analytics API.

    Examples
    --------
    >>> print(TokenEndpointServerError(503, "Service Unavailable"))  # doctest: +NORMALIZE_WHITESPACE
    HTTP 503 from the token endpoint: Service Unavailable.
    The token endpoint (Microsoft Entra ID) failed on its side; try again later.
    """

    advice = "The token endpoint (Microsoft Entra ID) failed on its side; try again later."
    source = "the token endpoint"


class TokenEndpointRateLimitError(RateLimitError):
    """A 429 from the token endpoint, worded as such.

    Examples
    --------
    >>> print(TokenEndpointRateLimitError(429, "Too Many Requests"))
    HTTP 429 from the token endpoint: Too Many Requests. The token endpoint is throttling; try again later.
    """

    advice = "The token endpoint is throttling; try again later."
    source = "the token endpoint"


def _kind_of(expires_in: object) -> str:
    """How ``expires_in`` was sent: string, number, missing or unusable."""
    if expires_in is None:
        return "missing"
    lifetime = _lifetime(expires_in) if not isinstance(expires_in, bool) else None
    if lifetime is None or (lifetime == _DEFAULT_LIFETIME and str(expires_in).strip() not in {"3600", "3600.0"}):
        return "unusable"
    return "string" if isinstance(expires_in, str) else "number"


def _lifetime(expires_in: object) -> float:
    """Seconds from ``expires_in``, a string such as ``"86399"`` or a number."""
    if isinstance(expires_in, bool):
        return _DEFAULT_LIFETIME
    if isinstance(expires_in, (int, float)):
        seconds = float(expires_in)
    elif isinstance(expires_in, str):
        try:
            seconds = float(expires_in.strip())
        except ValueError:
            seconds = -1.0
    else:
        seconds = -1.0
    if not seconds > 0 or math.isinf(seconds):  # missing, unparsable, non-positive, NaN or infinite
        log.debug("token reply has no usable expires_in (%r); assuming %.0f s", expires_in, _DEFAULT_LIFETIME)
        return _DEFAULT_LIFETIME
    return seconds
