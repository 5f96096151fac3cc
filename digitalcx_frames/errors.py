"""The exceptions raised by :mod:`digitalcx_frames`, rooted in one class.

The tree::

    DigitalCXError
    ├── ConfigurationError (also ValueError)   bad arguments, raised before any request
    ├── AuthenticationError                    the token endpoint refused the credentials
    ├── APIError                               the data endpoint answered with an error
    │   ├── InvalidRequestError                400
    │   ├── PermissionDeniedError              403 with a valid token
    │   ├── RateLimitError                     429 after every retry
    │   └── ServerError                        5xx after every retry
    ├── NetworkError                           connection failures and timeouts after every retry
    │   └── WindowTimeoutError                 408/504/read timeout: the window is split and fetched again
    └── ParseError (also ValueError)           a body that is not the documented CSV/JSON

    DataWarning (a UserWarning)                the data holds something unexpected but was kept
                                               (unknown type names, undocumented columns)

Context travels as attributes (``window``, ``page``, ``attempts``, ``status_code``,
``message``). ``str(error)`` says what failed, where, how often it was tried and what
to do. No message ever holds a client secret or a token.

Examples
--------
>>> from digitalcx_frames.errors import APIError, ServerError
>>> err = ServerError(500, "Something went wrong", window="2025-03-01T00:00:00Z/2025-03-02T00:00:00Z",
...                   page=1, attempts=4)
>>> isinstance(err, APIError), err.status_code
(True, 500)
>>> print(err)  # doctest: +NORMALIZE_WHITESPACE
HTTP 500 from the Analytics API: Something went wrong (window 2025-03-01T00:00:00Z/2025-03-02T00:00:00Z, page 1,
after 4 attempts). The service failed on its side; try again later or narrow the range.
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "DataWarning",
    "DigitalCXError",
    "InvalidRequestError",
    "NetworkError",
    "PagingError",
    "ParseError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "WindowTimeoutError",
]


def _where(window: str | None, page: int | None, attempts: int | None, line: int | None = None) -> str:
    parts = []
    if window is not None:
        parts.append(f"window {window}")
    if page is not None:
        parts.append(f"page {page}")
    if line is not None:
        parts.append(f"line {line}")
    if attempts is not None:
        parts.append(f"after {attempts} attempt{'s' if attempts != 1 else ''}")
    return f" ({', '.join(parts)})" if parts else ""


class DigitalCXError(Exception):
    """Root of every error raised by digitalcx_frames."""


class DataWarning(UserWarning):
    """The API sent something the documentation does not describe; it was kept, not dropped."""


class ConfigurationError(DigitalCXError, ValueError):
    """An argument is not allowed; raised before any request is made."""


class AuthenticationError(DigitalCXError):
    """The token endpoint refused the credentials, or the API keeps refusing the token.

    Parameters
    ----------
    message
        What the token endpoint said (first line of ``error_description``), never the secret.
    status_code
        The HTTP status of the refusal, if there was one.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.message = message
        self.status_code = status_code
        status = f"HTTP {status_code}: " if status_code is not None else ""
        super().__init__(
            f"Authentication failed: {status}{message}. Check DIGITALCX_CLIENT_ID and "
            "DIGITALCX_CLIENT_SECRET (or the client_id/client_secret arguments)."
        )


class APIError(DigitalCXError):
    """The data endpoint answered with an error status.

    Attributes
    ----------
    status_code : int
        The HTTP status.
    message : str
        The server's own message (from ``{"message": ...}`` or the body's start).
    window : str or None
        The half-open UTC window ``start/end`` that was asked for.
    page : int or None
        The 1-based page within the window.
    attempts : int or None
        How many times the request was made.
    """

    advice = "See the message above."
    source = "the Analytics API"
    """Who answered, as the message names it (a subclass for the token endpoint says so)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        window: str | None = None,
        page: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.window = window
        self.page = page
        self.attempts = attempts
        super().__init__(
            f"HTTP {status_code} from {self.source}: {message}{_where(window, page, attempts)}. {self.advice}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_api_error, (type(self), self.status_code, self.message, self.window, self.page, self.attempts))


def _rebuild_api_error(
    cls: type[APIError], status: int, message: str, window: str | None, page: int | None, attempts: int | None
) -> APIError:
    return cls(status, message, window=window, page=page, attempts=attempts)


class InvalidRequestError(APIError):
    """HTTP 400: the service rejected the parameters (unknown customer/project, bad dates)."""

    advice = "Check the customer key, project key, culture and date range."


class PermissionDeniedError(APIError):
    """HTTP 403 with a valid token: these credentials may not read this project."""

    advice = "Ask the vendor to grant these credentials access to this project."


class RateLimitError(APIError):
    """HTTP 429 that outlasted every retry."""

    advice = "The service is throttling; lower max_workers or try again later."


class ServerError(APIError):
    """HTTP 5xx that outlasted every retry."""

    advice = "The service failed on its side; try again later or narrow the range."


class NetworkError(DigitalCXError):
    """A connection failure or timeout that outlasted retries and window splitting."""

    def __init__(
        self,
        message: str,
        *,
        window: str | None = None,
        page: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.message = message
        self.window = window
        self.page = page
        self.attempts = attempts
        super().__init__(
            f"Network failure: {message}{_where(window, page, attempts)}. "
            "Check the connection and the base URL, or raise the client's timeout."
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_network_error, (self.message, self.window, self.page, self.attempts))


def _rebuild_network_error(message: str, window: str | None, page: int | None, attempts: int | None) -> NetworkError:
    return NetworkError(message, window=window, page=page, attempts=attempts)


class WindowTimeoutError(NetworkError):
    """A window answered 408/504 or did not answer within the read timeout.

    The fetch loop catches it and splits the window in halves; it reaches the caller only
    when a window at the smallest split still times out.

    Attributes
    ----------
    status_code : int or None
        408 or 504, or ``None`` for a read timeout.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        window: str | None = None,
        page: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.status_code = status_code
        super().__init__(message, window=window, page=page, attempts=attempts)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_window_timeout, (self.message, self.status_code, self.window, self.page, self.attempts))


def _rebuild_window_timeout(
    message: str, status_code: int | None, window: str | None, page: int | None, attempts: int | None
) -> WindowTimeoutError:
    return WindowTimeoutError(message, status_code=status_code, window=window, page=page, attempts=attempts)


class PagingError(APIError):
    """The service's paging went wrong: a repeated token, endless pages, or pages that repeat rows.

    The status is that of the answers (200): the service answered, but its pages cannot be
    a complete and finite window. What it did is in the message.
    """


class ParseError(DigitalCXError, ValueError):
    """A body that is not the documented CSV or JSON.

    Attributes
    ----------
    window, page, line
        Where the body came from and, where known, the 1-based line of the problem.
    file
        The local file that was read (an export), or ``None`` for an API response.
    """

    def __init__(
        self,
        message: str,
        *,
        window: str | None = None,
        page: int | None = None,
        line: int | None = None,
        file: str | None = None,
    ) -> None:
        self.message = message
        self.window = window
        self.page = page
        self.line = line
        self.file = file
        if file is not None:
            where = f" (line {line})" if line is not None else ""
            text = (
                f"Could not read the export file {file}: {message}{where}. It is not an interaction-log CSV "
                "(a portal download, or a CSV this library wrote); check that this is the file you meant."
            )
        else:
            text = (
                f"Could not parse the Analytics API response: {message}{_where(window, page, None, line)}. "
                "The body is not the documented CSV/JSON; retry, and report it if it persists."
            )
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_parse_error, (self.message, self.window, self.page, self.line, self.file))


def _rebuild_parse_error(
    message: str, window: str | None, page: int | None, line: int | None, file: str | None = None
) -> ParseError:
    return ParseError(message, window=window, page=page, line=line, file=file)
