"""Exceptions of pycdc: one class per libcdc status (cdc.h ``cdc_status``)."""

import enum

__all__ = [
    "Status",
    "CdcError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "IoError",
    "InvalidModelError",
    "StreamError",
    "CorruptStreamError",
    "TruncatedStreamError",
    "ModelMismatchError",
    "UnsupportedError",
    "LimitExceededError",
    "BufferTooSmallError",
    "CancelledError",
    "NotFoundError",
    "UnimplementedError",
    "InternalError",
]


class Status(enum.IntEnum):
    """The status codes of libcdc (``cdc_status`` in cdc.h); values are stable."""

    OK = 0
    INVALID_ARGUMENT = 1
    OUT_OF_MEMORY = 2
    IO_ERROR = 3
    INVALID_MODEL = 4
    CORRUPT_STREAM = 5
    TRUNCATED_STREAM = 6
    MODEL_MISMATCH = 7
    UNSUPPORTED = 8
    LIMIT_EXCEEDED = 9
    BUFFER_TOO_SMALL = 10
    CANCELLED = 11
    NOT_FOUND = 12
    NOT_IMPLEMENTED = 13
    INTERNAL_ERROR = 99


class CdcError(Exception):
    """A libcdc call failed.

    Attributes:
        status: the :class:`Status` (an int) the C call returned.
        message: libcdc's own message for the failure.
    """

    #: The status this class stands for (None for the base class).
    STATUS = None

    def __init__(self, message, status=None):
        if status is None:
            status = self.STATUS if self.STATUS is not None else Status.INTERNAL_ERROR
        try:
            status = Status(status)
        except ValueError:
            status = int(status)
        self.status = status
        self.message = str(message)
        super().__init__(self.message)

    @property
    def status_name(self):
        """libcdc's name of the status, e.g. "corrupt stream"."""
        from . import _pycdc

        return _pycdc.status_string(int(self.status))

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r}, status={int(self.status)})"

    def __reduce__(self):
        return (type(self), (self.message, int(self.status)))


class InvalidArgumentError(CdcError, ValueError):
    """An argument or option value was refused by libcdc."""

    STATUS = Status.INVALID_ARGUMENT


class OutOfMemoryError(CdcError, MemoryError):
    """libcdc could not allocate memory."""

    STATUS = Status.OUT_OF_MEMORY


class IoError(CdcError, OSError):
    """A file could not be opened, read or written."""

    STATUS = Status.IO_ERROR


class InvalidModelError(CdcError):
    """A model file or checkpoint is malformed, truncated or inconsistent."""

    STATUS = Status.INVALID_MODEL


class StreamError(CdcError):
    """Base class of the errors about a malformed .cdc stream."""


class CorruptStreamError(StreamError):
    """A .cdc stream is malformed (bad magic, checksum, field or payload)."""

    STATUS = Status.CORRUPT_STREAM


class TruncatedStreamError(StreamError):
    """A .cdc stream ends before its declared end."""

    STATUS = Status.TRUNCATED_STREAM


class ModelMismatchError(CdcError):
    """A .cdc stream was made with another model than the one given."""

    STATUS = Status.MODEL_MISMATCH


class UnsupportedError(CdcError):
    """A valid but unsupported input (e.g. a newer format version)."""

    STATUS = Status.UNSUPPORTED


class LimitExceededError(CdcError):
    """An input exceeds a limit (image size, the max_pixels option)."""

    STATUS = Status.LIMIT_EXCEEDED


class BufferTooSmallError(CdcError):
    """An output buffer is too small."""

    STATUS = Status.BUFFER_TOO_SMALL


class CancelledError(CdcError):
    """The call was cancelled (progress callback returned False, or Context.cancel())."""

    STATUS = Status.CANCELLED


class NotFoundError(CdcError, LookupError):
    """The requested item (e.g. a built-in model) is not part of this build."""

    STATUS = Status.NOT_FOUND


class UnimplementedError(CdcError, NotImplementedError):
    """The operation is not available yet in this version of libcdc."""

    STATUS = Status.NOT_IMPLEMENTED


class InternalError(CdcError):
    """An unexpected internal failure of libcdc."""

    STATUS = Status.INTERNAL_ERROR


# This module is the one list of pycdc's exceptions: __all__ above names them
# (pycdc re-exports it), and the status map is derived from their STATUS.
_BY_STATUS = {
    cls.STATUS: cls
    for cls in (globals()[name] for name in __all__)
    if isinstance(cls, type) and getattr(cls, "STATUS", None) is not None
}


def error_from_status(status, message):
    """The exception instance for a failed status (used by the C++ module)."""
    cls = _BY_STATUS.get(status, CdcError)
    return cls(message, status)
