"""torch.nn.utils: gradient clipping and parameters as one vector, composed from the ops as
torch composes them (so the numbers are torch's); all of it is queued, and nothing is read
unless `error_if_nonfinite` asks for the total norm."""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

from ... import factories
from ...grad_mode import no_grad
from ...linalg import vector_norm
from ...session import default_session
from ...tensor import Tensor
from ..parameter import typename
from . import rnn  # noqa: F401  (torch.nn.utils.rnn)


def _tensors(tensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


@no_grad()
def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """‖(‖t₁‖, ‖t₂‖, ...)‖: the `norm_type`-norm of all the tensors as one vector (0 for
    none), computed as torch computes it, from each tensor's norm."""
    tensors = _tensors(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return factories.tensor(default_session(), 0.0)
    norms = [vector_norm(t, norm_type) for t in tensors]
    total = vector_norm(norms[0]._call("stack", norms, {"dim": 0}), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):  # a read: one round trip
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


@no_grad()
def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Each .grad times min(max_norm / (total_norm + 1e-6), 1), in place."""
    grads = [p.grad for p in _tensors(parameters) if p.grad is not None]
    if not grads:
        return
    coefficient = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coefficient)


@no_grad()
def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale the gradients so that their total `norm_type`-norm is at most `max_norm`;
    return the total norm they had."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=3,
            )
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Deprecated: clip_grad_norm_."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp each .grad into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _tensors(parameters):
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one vector (CatBackward0)."""
    flat = [p.view(-1) for p in parameters]
    if not flat:  # torch.cat's own error for an empty list
        from ... import cat

        return cat(flat)
    return flat[0]._call("cat", flat, {"dim": 0})


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    start = 0
    for p in parameters:
        count = p.numel()
        p.data = vec[start : start + count].view_as(p).data
        start += count
