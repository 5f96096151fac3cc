"""DigitalCX Analytics API interaction logs as typed, lazy Polars and pandas frames.

The public surface is what ``__all__`` lists, and the public modules
:mod:`~digitalcx_frames.errors`, :mod:`~digitalcx_frames.flags`, :mod:`~digitalcx_frames.schema`,
:mod:`~digitalcx_frames.flag_ops`, :mod:`~digitalcx_frames.features` and
:mod:`~digitalcx_frames.simulator`; everything else (a leading underscore) is private.
Importing the package registers the ``.dcx`` namespace on Polars expressions and series
and on pandas series and frames.
"""

from digitalcx_frames import (
    _accessors,  # noqa: F401 - imported to register .dcx, once
    features,
    flag_ops,
)
from digitalcx_frames._archive import SyncResult, scan_archive, sync_archive
from digitalcx_frames._doctor import DoctorReport, doctor
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.cache import CacheInfo, cache_info, clear_cache
from digitalcx_frames._read.export import read_export
from digitalcx_frames._read.fetch import ReadReport
from digitalcx_frames._read.frames import read_interactions
from digitalcx_frames.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    DataWarning,
    DigitalCXError,
    InvalidRequestError,
    NetworkError,
    PagingError,
    ParseError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    WindowTimeoutError,
)
from digitalcx_frames.flags import InteractionType, InteractionTypeError

__version__ = "0.2.0"

__all__ = [
    "APIError",
    "AuthenticationError",
    "CacheInfo",
    "Client",
    "ConfigurationError",
    "DataWarning",
    "DigitalCXError",
    "DoctorReport",
    "InteractionType",
    "InteractionTypeError",
    "InvalidRequestError",
    "NetworkError",
    "PagingError",
    "ParseError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReadReport",
    "ServerError",
    "SyncResult",
    "WindowTimeoutError",
    "__version__",
    "cache_info",
    "clear_cache",
    "doctor",
    "features",
    "flag_ops",
    "read_export",
    "read_interactions",
    "scan_archive",
    "sync_archive",
]
