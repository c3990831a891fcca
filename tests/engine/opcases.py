"""The op cases the differential and finite-difference tests share: operands described by
shape, value domain and dtype, and a case naming an op, its operands and its attrs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class T:
    """A tensor operand: its shape, its value domain, its dtype (None: the case's float dtype)
    and whether it requires grad."""

    shape: tuple[int, ...]
    domain: str = "any"  # "any": |x| in [0.2, 2]; "pos": [0.5, 2]; "unit": [0.05, 0.95];
    # "class": int64 class indices in [0, 5), never differentiated; INDEX: int64 positions
    # in [-3, 3), valid for a dim of 3 or more (repeats are common); SORTED: torch's own
    # sort (topk, for a case of topk) indices of the case's first operand along its dim;
    # CHECKER: a bool mask true at the even flat positions; LENGTHS: int64 sequence lengths
    # 3, 3, 2, 2, 1, 1, ... (at least 1), positive and decreasing
    dtype: str | None = None
    grad: bool = True

    def __repr__(self) -> str:
        dtype = f":{self.dtype}" if self.dtype else ""
        return f"T{list(self.shape)}{dtype}"


@dataclass(frozen=True)
class Case:
    op: str
    operands: tuple
    attrs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        attrs = ",".join(f"{k}={v}" for k, v in self.attrs.items())
        return f"{self.op}({', '.join(map(repr, self.operands))}{'; ' + attrs if attrs else ''})"


def C(op: str, *operands, **attrs) -> Case:
    return Case(op, operands, attrs)


# Ops whose inputs record torch's node without a derivative (heaviside's, floor_divide's and
# bincount's NotImplemented, unique's and unique_dim's, geqrf's; zeta's, igamma's and igammac's
# first input): their backward fails as torch's (the client's tests check it), so no case
# differentiates those inputs (the cases of zeta and the igammas differentiate the second).
WITHOUT_DERIVATIVE = frozenset(
    {"heaviside", "floor_divide", "bincount_weighted", "unique", "unique_dim"}
    | {"geqrf_a", "geqrf_tau", "special_zeta", "igamma", "igammac"}
)
POS = "pos"
INDEX = "index"
SORTED = "sorted"
BAG_OFFSETS = "bag offsets"  # embedding_bag's int64 offsets [0, 2, 2, 5], for 7 indices or more
CHECKER = "checker"  # a bool mask true at every other element (flattened): a known count
LENGTHS = "lengths"  # sequence lengths for packing: 3, 3, 2, 2, 1, 1, ... (sum known)
DOMINANT = "dominant"  # matrices of "any" values plus 3n on the diagonal: well conditioned
SPD = "spd"  # symmetric positive-definite matrices: M Mᵀ / n + I of "any" values M
PIVOTS = "pivots"  # int32 LAPACK pivots in [1, n] for n the operand's last dim: valid row swaps


def linalg_sample(values, domain: str):
    """DOMINANT or SPD matrices from `values` (any values of the operand's shape)."""
    n = values.shape[-1]
    if domain == DOMINANT:
        return values + 3 * n * np.eye(n)
    return values @ np.swapaxes(values, -1, -2) / n + np.eye(n)


def lengths(count: int) -> list[int]:
    """The LENGTHS operand's values for `count` sequences."""
    return [max(3 - i // 2, 1) for i in range(count)]
