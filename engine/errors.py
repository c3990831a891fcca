"""Errors with torch's exception types and wording, plus a machine-readable reason.

Each class derives from the built-in exception torch raises in the same situation, so
``except RuntimeError`` written for torch keeps working, and is named after it, so a
traceback, ``repr`` and ``type(e).__name__`` print what torch's print (``RuntimeError: mat1
and mat2 shapes cannot be multiplied ...``); ``except errors.ShapeMismatch`` still tells them
apart, and ``reason`` says which one an error is. ``reason`` is the
``google.rpc.ErrorInfo`` reason on the wire and ``status`` the canonical gRPC status code's
name; the server maps both in one place, the client maps them back with ``error_for_reason``.
Nothing here imports grpc.
"""

import builtins

CREATE_GRAPH_PAUSE_MESSAGE = (
    "gradrpc: tensor hooks and custom autograd Functions in a create_graph pass are not "
    "supported yet"
)


class GradError(Exception):
    """Base of every error gradrpc raises on purpose."""

    reason = "INTERNAL"
    status = "INTERNAL"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        torch_type = next(c for c in cls.__mro__ if getattr(builtins, c.__name__, None) is c)
        cls.__module__ = "builtins"
        cls.__name__ = cls.__qualname__ = torch_type.__name__

    def __reduce__(self):
        # pickle finds a class by module and name, which now name the built-in one
        return _recreate, (self.reason, self.args), self.__dict__ or None


class ShapeMismatch(GradError, RuntimeError):
    reason = "SHAPE_MISMATCH"
    status = "INVALID_ARGUMENT"


class DimensionOutOfRange(GradError, IndexError):
    reason = "DIMENSION_OUT_OF_RANGE"
    status = "INVALID_ARGUMENT"


class DtypeMismatch(GradError, RuntimeError):
    reason = "DTYPE_MISMATCH"
    status = "INVALID_ARGUMENT"


class InvalidIndex(GradError, IndexError):
    reason = "INVALID_INDEX"
    status = "INVALID_ARGUMENT"


class InvalidArgument(GradError, TypeError):
    reason = "INVALID_ARGUMENT"
    status = "INVALID_ARGUMENT"


class NotDifferentiable(GradError, RuntimeError):
    reason = "NOT_DIFFERENTIABLE"
    status = "INVALID_ARGUMENT"


class InvalidValue(GradError, ValueError):
    reason = "INVALID_VALUE"
    status = "INVALID_ARGUMENT"


class UnknownOp(GradError, ValueError):
    reason = "UNKNOWN_OP"
    status = "INVALID_ARGUMENT"


class ScalarOverflow(GradError, OverflowError):
    reason = "SCALAR_OVERFLOW"
    status = "INVALID_ARGUMENT"


class Unsupported(GradError, NotImplementedError):
    reason = "UNSUPPORTED"
    status = "UNIMPLEMENTED"


GRAPH_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class GraphFreed(GradError, RuntimeError):
    reason = "GRAPH_FREED"
    status = "FAILED_PRECONDITION"


class NoGradFn(GradError, RuntimeError):
    reason = "DOES_NOT_REQUIRE_GRAD"
    status = "FAILED_PRECONDITION"


class InPlaceOnLeaf(GradError, RuntimeError):
    reason = "IN_PLACE_ON_LEAF"
    status = "FAILED_PRECONDITION"


class InPlaceOnView(GradError, RuntimeError):
    reason = "IN_PLACE_ON_VIEW"
    status = "FAILED_PRECONDITION"


class MemoryOverlap(GradError, RuntimeError):
    reason = "MEMORY_OVERLAP"
    status = "FAILED_PRECONDITION"


class TensorModified(GradError, RuntimeError):
    reason = "TENSOR_MODIFIED"
    status = "FAILED_PRECONDITION"


class GradNotSet(GradError, RuntimeError):
    reason = "GRAD_NOT_SET"
    status = "FAILED_PRECONDITION"


class NoPausedPass(GradError, RuntimeError):
    reason = "NO_PAUSED_PASS"
    status = "FAILED_PRECONDITION"


class UnusedInput(GradError, RuntimeError):
    reason = "UNUSED_INPUT"
    status = "INVALID_ARGUMENT"


class HandleNotFound(GradError, RuntimeError):
    reason = "HANDLE_NOT_FOUND"
    status = "NOT_FOUND"


class HandleInUse(GradError, RuntimeError):
    reason = "HANDLE_IN_USE"
    status = "INVALID_ARGUMENT"


class SessionNotFound(GradError, RuntimeError):
    reason = "SESSION_NOT_FOUND"
    status = "NOT_FOUND"


class SessionExists(GradError, RuntimeError):
    reason = "SESSION_EXISTS"
    status = "ALREADY_EXISTS"


class InvalidSessionId(GradError, ValueError):
    reason = "INVALID_SESSION_ID"
    status = "INVALID_ARGUMENT"


class ResourceExhausted(GradError, RuntimeError):
    reason = "RESOURCE_EXHAUSTED"
    status = "RESOURCE_EXHAUSTED"


class ComputeError(GradError, RuntimeError):
    reason = "INVALID_COMPUTATION"
    status = "INVALID_ARGUMENT"


class LinAlgError(GradError, RuntimeError):
    """A matrix that a decomposition or an inverse fails on (singular, not positive-definite):
    named torch._C._LinAlgError, as torch's is, so tracebacks print what torch's print."""

    reason = "LINALG_ERROR"
    status = "INVALID_ARGUMENT"


LinAlgError.__module__, LinAlgError.__name__, LinAlgError.__qualname__ = (
    "torch._C",
    "_LinAlgError",
    "_LinAlgError",
)


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


_BY_REASON = {cls.reason: cls for cls in _all_subclasses(GradError)}


def error_for_reason(reason: str) -> type[GradError]:
    """The error class that carries `reason` (GradError for an unknown one)."""
    return _BY_REASON.get(reason, GradError)


def _recreate(reason: str, args: tuple) -> GradError:
    return error_for_reason(reason)(*args)
