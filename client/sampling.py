"""Random sampling by the session's generator (gradrpc.manual_seed makes it repeat; the
numbers are not torch's): bernoulli, multinomial, normal's overloads, poisson, and the
in-place exponential_, geometric_, log_normal_ and cauchy_. Each is composed of uniform or
normal draws on the server, without history; torch's checks of probabilities, rates and
standard deviations read those values first (one round trip), as torch reads them."""

from __future__ import annotations

import math

import numpy as np
from gradrpc.engine import rules

from .grad_mode import no_grad
from .tensor import Tensor, refuse_generator

_BERNOULLI_RANGE = (
    "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
    "improved?  If so, please report an enhancement request to PyTorch.)"
)


def _read(*tensors: Tensor) -> list:
    """The values of several tensors of one session, in one round trip."""
    return tensors[0]._session.flush(tuple(t._handle for t in tensors))


def _uniform(like: Tensor, shape=None, dtype: str = "") -> Tensor:
    """U[0, 1) draws of like's shape (or `shape`) in `dtype` (like's floating dtype, else the
    default float dtype)."""
    shape = like.shape if shape is None else shape
    floating = rules.is_float(like._meta.dtype)
    dtype = dtype or (like._meta.dtype if floating else rules.default_float())
    return like._session.rand(*shape, dtype=getattr(_torch(), dtype))


def _torch():
    import gradrpc

    return gradrpc


def bernoulli_draws(self: Tensor, p) -> Tensor:
    """0/1 in self's shape and dtype, each 1 with probability p (a number in [0, 1] or a
    tensor of probabilities broadcast to self's shape)."""
    with no_grad():
        if isinstance(p, Tensor):
            probabilities = p.expand(self.shape).double()
            low, high = (float(v) for v in _read(probabilities.amin(), probabilities.amax()))
            if self.numel() and not (low >= 0 and high <= 1):
                raise RuntimeError(_BERNOULLI_RANGE)
        else:
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
            probabilities = p
        return (_uniform(self, dtype="float64") < probabilities).to(self.dtype)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """torch.bernoulli(input): 1 with probability input (each in [0, 1]), else 0; with p, 1
    with probability p. input's shape and dtype; no history."""
    refuse_generator(generator)
    if p is None:
        if not rules.is_float(input._meta.dtype):
            kind = rules.TORCH_TYPE_NAME[input._meta.dtype]
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{kind}'")
        with no_grad():
            return bernoulli_draws(input.detach(), input.detach())
    return bernoulli_draws(input.detach(), p)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None):
    """For each row of probabilities (weights, not summing to 1 needed), num_samples category
    indices, int64: with replacement by inverting the weights' running sum at uniform
    draws; without, the categories ordered by weight / Exp(1) draws (an exponential race, so
    each pick is proportional to the weights left), the first num_samples taken."""
    refuse_generator(generator)
    if not rules.is_float(input._meta.dtype):
        raise RuntimeError(
            "multinomial only supports floating-point dtypes for input, got: "
            f"{rules.TORCH_TYPE_NAME[input._meta.dtype]}"
        )
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    with no_grad():
        weights = input.detach().double().reshape(-1, categories)
        low, bad, smallest_sum = _read(
            weights.amin(), (~weights.isfinite()).any(), weights.sum(-1).amin()
        )
        if bad or low < 0:
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if smallest_sum <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rows = weights.shape[0]
        if replacement:
            running = weights.cumsum(-1)
            cdf = (running / running[:, -1:]).contiguous()
            u = _uniform(weights, (rows, num_samples), "float64")
            import gradrpc

            picks = gradrpc.searchsorted(cdf, u, right=True).clamp_max(categories - 1)
        else:
            race = -(1 - _uniform(weights, None, "float64")).log()  # Exp(1), never 0
            picks = (weights / race).topk(num_samples, -1).indices
        return picks.reshape(*input.shape[:-1], num_samples)


_NORMAL_SIGNATURES = (
    "Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False",
)


def _check_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {rules.c10_str(std)}")


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    requires_grad: bool = False,
    **ignored,
) -> Tensor:
    """torch.normal's overloads: N(mean, std²) draws of the tensors' broadcast shape (a
    tensor mean gives its dtype, else a tensor std's), or of `size` for two numbers; no
    history."""
    refuse_generator(generator)
    mean_tensor, std_tensor = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mean_tensor or std_tensor) and size is None:
        got = ", ".join(type(a).__name__ for a in (mean, std))
        raise TypeError(
            f"normal() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n" + "".join(f" * ({s})\n" for s in _NORMAL_SIGNATURES)
        )
    if not (mean_tensor or std_tensor):
        _check_std(std)
        gradrpc = _torch()
        draws = gradrpc.randn(*size, dtype=dtype) * std + mean
        return draws.requires_grad_() if requires_grad else draws
    first = mean if mean_tensor else std
    dtype_name = first._meta.dtype
    if not rules.is_float(dtype_name):
        kind = rules.TORCH_TYPE_NAME[dtype_name]
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{kind}'")
    with no_grad():
        if std_tensor:
            if std.numel() and float(_read(std.amin())[0]) < 0:
                raise RuntimeError("normal expects all elements of std >= 0.0")
            std = std.detach()
        else:
            _check_std(std)
        mean = mean.detach() if mean_tensor else mean
        shapes = [t.shape for t in (mean, std) if isinstance(t, Tensor)]
        shape = rules.broadcast_shapes(*shapes)
        noise = first._session.randn(*shape, dtype=first.dtype)
        return (noise * std + mean).to(first.dtype)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson(rate) draws, one per element of the rates, in their dtype: the smallest k whose
    cumulative probability reaches a uniform draw (the probabilities in float64 up to
    rate + 10 √rate + 20, past which less than 1e-20 of the mass lies). The largest rate is
    read first (one round trip); memory grows with it."""
    refuse_generator(generator)
    if not rules.is_float(input._meta.dtype):
        kind = rules.TORCH_TYPE_NAME[input._meta.dtype]
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{kind}'")
    with no_grad():
        rates = input.detach().double()
        if not input.numel():
            return input.detach().clone()
        low, high = (float(v) for v in _read(rates.amin(), rates.amax()))
        if not (low >= 0 and high >= 0) or math.isnan(low) or math.isnan(high):
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        if math.isinf(high):
            raise RuntimeError("gradrpc: poisson of an infinite rate is not supported")
        top = math.ceil(high + 10 * math.sqrt(high) + 20)
        from .factories import from_numpy

        ks = np.arange(top, dtype=np.float64)
        log_factorials = np.array([math.lgamma(k + 1) for k in ks])
        k = from_numpy(input._session, ks)
        log_factorial = from_numpy(input._session, log_factorials)
        rate = rates.unsqueeze(-1)
        log_pmf = k * rate.clamp_min(1e-300).log() - rate - log_factorial
        cdf = log_pmf.exp().cumsum(-1)
        u = _uniform(rates, None, "float64").unsqueeze(-1)
        return (cdf < u).sum(-1).clamp_max(top - 1).to(input.dtype)


def _continuous(self: Tensor, name: str) -> None:
    """torch's refusal of an integral self for a continuous distribution."""
    if not rules.is_float(self._meta.dtype):
        kind = (
            rules.C_TYPE_NAME[self._meta.dtype]
            if name == "Cauchy"
            else rules.TORCH_TYPE_NAME[self._meta.dtype]
        )
        raise RuntimeError(
            f"{name} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {kind}"
        )


def exponential_draws(self: Tensor, lambd: float) -> Tensor:
    if not lambd > 0:
        raise RuntimeError(
            f"exponential_ expects lambda > 0.0, but found lambda={rules.c10_str(lambd)}"
        )
    _continuous(self, "Exponential")
    return (1 - _uniform(self)).log() * (-1 / lambd)


def geometric_draws(self: Tensor, p: float) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={rules.c10_str(p)}")
    u = _uniform(self, dtype="float64")
    return ((1 - u).log() / math.log1p(-p)).ceil().clamp_min(1).to(self.dtype)


def log_normal_draws(self: Tensor, mean: float, std: float) -> Tensor:
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={rules.c10_str(std)}")
    if not rules.is_float(self._meta.dtype):
        kind = rules.TORCH_TYPE_NAME[self._meta.dtype]
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{kind}'")
    return (self._session.randn(*self.shape, dtype=self.dtype) * std + mean).exp()


def cauchy_draws(self: Tensor, median: float, sigma: float) -> Tensor:
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={rules.c10_str(sigma)}")
    _continuous(self, "Cauchy")
    return ((_uniform(self) - 0.5) * math.pi).tan() * sigma + median
