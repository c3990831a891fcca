"""Every op of the table, run through the engine (real Numba kernels) and through torch 2.13.

For each case: the result's values, dtype, shape, strides, requires_grad and grad_fn name,
and the gradient of every differentiable input for a random upstream gradient (engine
`run_backward` against `torch.autograd.grad`), in float32 and float64. Meta-tests derive the
op list from `rules.SPECS`, so an op added without a case (or without a broadcasting case
where it broadcasts, or without a case for one of its differentiable inputs) fails the suite.
"""

from __future__ import annotations

import itertools
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradrpc.engine import graph, rules
from gradrpc.engine.errors import GradError, GraphFreed
from gradrpc.engine.ops import OPS
from opcases import (
    BAG_OFFSETS,
    CHECKER,
    DOMINANT,
    INDEX,
    LENGTHS,
    PIVOTS,
    POS,
    SORTED,
    SPD,
    WITHOUT_DERIVATIVE,
    C,
    Case,
    T,
    lengths,
    linalg_sample,
)

FLOATS = ("float32", "float64")
SPECIAL_NOT_DIFFERENTIABLE = (
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "airy_ai",
)
SPECIAL_POLYNOMIALS = (
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
)
TORCH_DTYPES = {
    "bool": torch.bool,
    "int64": torch.int64,
    "float32": torch.float32,
    "float64": torch.float64,
}
# float32: a few ulps of slack over torch's own vectorized kernels and BLAS; float64: tight.
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-12}}
# decompositions iterate: LAPACK builds (NumPy's, torch's) round them differently in float32
DECOMPOSITIONS = {"linalg_eigh_values", "linalg_eigh_vectors", "linalg_svd_u", "linalg_svd_s"}
DECOMPOSITIONS |= {"linalg_svd_vh", "linalg_qr_q", "linalg_qr_r", "linalg_pinv", "linalg_lstsq"}
DECOMPOSITIONS |= {"geqrf_a", "geqrf_tau", "linalg_householder_product"}
DECOMPOSITION_TOLERANCE = {**TOLERANCE, "float32": {"rtol": 1e-4, "atol": 2e-5}}


# ---------------------------------------------------------------- the cases


BINARY = ("add", "sub", "rsub", "mul", "div")
UNARY = ("neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "reciprocal", "sin", "cos")
UNARY += ("rsqrt", "log1p", "expm1", "log2", "log10", "erf", "tan", "asin", "acos", "atan")
UNARY += ("sinh", "cosh", "asinh", "acosh", "atanh")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
LOGICAL = ("logical_and", "logical_or", "logical_xor")
BITWISE = (
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_left_shift",
    "bitwise_right_shift",
)
ABOVE_ONE = "above one"  # [1.2, 3]: acosh's domain
UNARY_DOMAIN = {"log": POS, "sqrt": POS, "reciprocal": POS, "rsqrt": POS, "log2": POS}
UNARY_DOMAIN |= {"log10": POS, "log1p": "unit", "asin": "unit", "acos": "unit", "atanh": "unit"}
UNARY_DOMAIN |= {"acosh": ABOVE_ONE}
TIES = "ties"  # values drawn from three, so that maxima repeat
ZEROS = "zeros"  # zeros common (nan among floats): truth values, equal pairs

CASES: list[Case] = []
for _op in BINARY:
    _den = POS if _op == "div" else "any"  # keep divisors away from 0
    CASES += [
        C(_op, T((3, 4)), T((3, 4), _den)),
        C(_op, T((3, 1, 4)), T((2, 4), _den)),
        C(_op, T((4,)), T((3, 1), _den)),
        C(_op, T(()), T((2, 3), _den)),
        C(_op, T((2, 3)), T((), _den)),
        C(_op, T(()), T((), _den)),
        C(_op, T((2, 3)), 2.5),
        C(_op, T((2, 3)), 3),
        *(
            [C(_op, 1.5, T((2, 3), _den))] if _op != "rsub" else []
        ),  # torch.rsub(number, x) is a TypeError
        C(_op, T((2, 3)), T((2, 3), _den, grad=False)),
        C(_op, T((2, 3), grad=False), T((2, 3), _den)),
    ]
for _op in ("add", "sub", "mul", "div"):  # the Scalar overloads: AddBackward1, ...
    CASES += [
        C(_op, T((2, 3)), 2.5, scalar_overload=True),
        C(_op, T((2, 3)), 3, scalar_overload=True),
        C(_op, T((2, 3), dtype="int64", grad=False), 2.5, scalar_overload=True),
    ]
for _op in ("add", "sub", "rsub"):  # alpha: one fused multiply-add, its factor on the vjp
    CASES += [
        C(_op, T((3, 4)), T((3, 4)), alpha=0.1),
        C(_op, T((3, 1, 4)), T((2, 4)), alpha=-3),
        C(_op, T((2, 3)), 2.5, alpha=2),
        C(_op, T((2, 3), dtype="int64", grad=False), T((2, 3), dtype="int64", grad=False), alpha=3),
    ]
CASES += [
    C("add", T((2, 3)), 2.5, alpha=0.3, scalar_overload=True),
    C("add", T((2, 3), dtype="bool", grad=False), T((2, 3), dtype="bool", grad=False), alpha=-1),
    C("add", T((2, 3), dtype="bool", grad=False), T((2, 3), dtype="bool", grad=False), alpha=0),
]
CASES += [
    C("pow", T((3, 4), POS), T((3, 4))),
    C("pow", T((3, 1, 4), POS), T((2, 4))),
    C("pow", T((), POS), T((2, 3))),
    C("pow", T((2, 3), POS), T(())),
    C("pow", T((2, 3), POS), 2),
    C("pow", T((2, 3), POS), 3),
    C("pow", T((2, 3), POS), 0.5),
    C("pow", T((2, 3), POS), -1.5),
    C("pow", T((2, 3), POS), 0),
    C("pow", T((2, 3), "any"), 2),
    C("pow", 2.0, T((2, 3))),
    C("pow", 0.7, T((3,))),
    C("pow", T((2, 3), POS, grad=False), T((2, 3))),
]
# atan2, hypot, remainder, fmod, xlogy, lerp: divisors and logarithms' arguments positive
TWO_TENSOR_MATH = ("atan2", "hypot")
MODULO = ("remainder", "fmod")
for _op in (*TWO_TENSOR_MATH, *MODULO, "xlogy"):
    _den = "any" if _op in TWO_TENSOR_MATH else POS
    CASES += [
        C(_op, T((3, 4)), T((3, 4), _den)),
        C(_op, T((3, 1, 4)), T((2, 4), _den)),
        C(_op, T(()), T((2, 3), _den)),
        C(_op, T((2, 3)), T((), _den)),
        C(_op, T((2, 3), grad=False), T((2, 3), _den)),
        C(_op, T((2, 3)), T((2, 3), _den, grad=False)),
    ]
    if _op not in TWO_TENSOR_MATH:
        CASES += [C(_op, T((2, 3)), 1.5), C(_op, T((2, 3)), 2)]
# bincount: values in [0, 5) into at least as many bins as torch makes of them
CASES += [
    C("bincount", T((6,), "class", "int64", grad=False), length=5),
    C("bincount_weighted", T((6,), "class", "int64", grad=False), T((6,), grad=False), length=7),
]
# searchsorted: unsorted boundaries too, where only torch's own halvings give its answers
CASES += [
    C("searchsorted", T((7,), "class", "int64", grad=False), T((2, 3), grad=False), right=True),
    C("searchsorted", T((2, 5), "class", "int64", grad=False), T((2, 4), "class", "int64")),
]
# unique: the client reads the count first; CHECKER masks have two values in six runs
CASES += [
    C("unique", T((2, 3), CHECKER, grad=False), count=2),
    C("unique", T((6,), CHECKER, grad=False), count=6, consecutive=True),
]
# cdist: every kind of p, batches broadcast
CASES += [
    C("cdist", T((4, 3)), T((5, 3))),
    C("euclidean_dist", T((4, 3)), T((5, 3))),
    C("euclidean_dist", T((2, 3, 2)), T((4, 2))),
    *(C("cdist", T((2, 3, 2)), T((4, 2)), p=_p) for _p in (0.0, 1.0, 1.5, 3.0, np.inf)),
]
# histc: a given range, and the data's
CASES += [
    C("histc", T((3, 4), grad=False), bins=5, min=-1.0, max=1.5),
    C("histc", T((7,), grad=False), bins=4),
]
# heaviside: torch records no derivative (the client's tests check its backward fails)
CASES += [
    C("heaviside", T((3, 4), grad=False), T((4,), grad=False)),
    C("heaviside", T((2, 3), grad=False), T((), grad=False)),
    C("heaviside", T((3, 5), "class", "int64", grad=False), T((5,), "class", "int64", grad=False)),
]
# rounded division: floor_divide (no derivative: its NotImplemented node), div's modes (a zero
# gradient)
CASES += [
    C("floor_divide", T((3, 4), grad=False), T((3, 4), POS, grad=False)),
    C("floor_divide", T((3, 1, 4), grad=False), T((2, 4), POS, grad=False)),
    C("floor_divide", T((2, 3), grad=False), -0.75),
    C("floor_divide", T((), grad=False), T((2, 3), POS, grad=False)),
    C("floor_divide", 2.5, T((2, 3), POS, grad=False)),
    C("floor_divide", T((2, 3), "any", "int64", grad=False), -3),
    C("floor_divide", T((2, 3), "any", "int64", grad=False), 2.5),
    *(
        C("div", T((3, 1, 4)), _other, rounding_mode=_mode)
        for _mode in ("trunc", "floor")
        for _other in (T((2, 4), POS), -1.5, 3)
    ),
    C("div", T((2, 3), "any", "int64", grad=False), -3, rounding_mode="trunc"),
    C(
        "div",
        T((2, 3), "any", "int64", grad=False),
        T((3,), POS, "int64", grad=False),
        rounding_mode="floor",
    ),
]
CASES += [
    C("remainder", 1.5, T((2, 3), POS, grad=False)),
    C("remainder", 2, T((2, 3), dtype="int64", grad=False)),
    C("xlogy", 1.5, T((2, 3), POS)),
    C("xlogy", 0, T((2, 3), POS)),
    C("xlogy", T((2, 3), ZEROS), T((2, 3), ZEROS)),
    *(
        C(_op, T((2, 3), dtype="int64", grad=False), _other)
        for _op in (*MODULO, "atan2", "xlogy")
        for _other in (T((3,), dtype="int64", grad=False), 3)
        if not (_op == "atan2" and _other == 3)
    ),
    C("remainder", T((2, 3), "any", "int64", grad=False), -3),
    C("fmod", T((2, 3), dtype="bool", grad=False), 2),
    C("lerp", T((3, 4)), T((3, 4)), weight=0.3),
    C("lerp", T((3, 1, 4)), T((2, 4)), weight=0.7),
    C("lerp", T(()), T((2, 3)), weight=-1.5),
    C("lerp", T((2, 3), grad=False), T((2, 3)), weight=True),
    C("lerp", T((2, 3)), T((2, 3), grad=False), weight=2),
    C("lerp_tensor", T((3, 4)), T((3, 4)), T((3, 4), "unit")),
    C("lerp_tensor", T((3, 1, 4)), T((2, 4)), T((4,))),
    C("lerp_tensor", T((2, 3)), T(()), T((3, 1, 1))),
    C("lerp_tensor", T((2, 3), grad=False), T((2, 3)), T((2, 3), grad=False)),
    *(
        C(_op, *_operands, **_attrs)
        for _op in ("addcmul", "addcdiv")
        for _operands, _attrs in [
            ((T((3, 4)), T((3, 4)), T((3, 4), POS)), {}),
            ((T((3, 1, 4)), T((2, 4)), T((4,), POS)), {"value": 0.5}),
            ((T(()), T((2, 3)), T((3, 1, 1), POS)), {"value": -2}),
            ((T((2, 3), grad=False), T((2, 3)), T((2, 3), POS, grad=False)), {"value": True}),
            ((T((2, 3), dtype="int64", grad=False), T((2, 3)), T((2, 3), POS)), {"value": 3}),
        ]
    ),
    C(
        "addcmul",
        *(T((2, 3), dtype="int64", grad=False) for _ in range(3)),
        value=1.7,
    ),
]
for _op in UNARY:
    _domain = UNARY_DOMAIN.get(_op, "any")
    CASES += [C(_op, T((3, 4), _domain)), C(_op, T((), _domain))]
# their in-place forms' nodes (...Backward1) compute, but refuse a backward
CASES += [
    C(_op, T((3, 4), UNARY_DOMAIN.get(_op, "any"), grad=False), in_place=True)
    for _op in ("asinh", "acosh", "atanh")
]
ROUNDING = ("floor", "ceil", "trunc", "round", "sign", "frac")
PREDICATES = ("isnan", "isinf", "isfinite")
for _op in ROUNDING + PREDICATES:
    CASES += [C(_op, T((3, 4))), C(_op, T(()))]
CASES += [C("round", T((3, 4)), decimals=_d) for _d in (0, 1, 2, -1)]
_END = 2**63 - 1
CASES += [
    C("select", T((3, 4)), dim=0, index=1),
    C("select", T((3, 4)), dim=-1, index=-1),
    C("select", T((2, 3, 4)), dim=1, index=2),
    C("select", T((3,)), dim=0, index=0),  # a 0-d view
    C("slice", T((5, 4)), dim=0, start=1, end=4, step=2),
    C("slice", T((3, 5)), dim=1, start=-3, end=_END, step=1),
    C("slice", T((4, 3)), dim=0, start=3, end=1, step=1),  # empty
    C("slice", T((2, 6, 3)), dim=1, start=-100, end=100, step=4),
    C("slice", T((4, 3))),
    C("alias", T((3, 4))),
    C("alias", T(())),
    C("diagonal", T((3, 4))),
    C("diagonal", T((3, 4)), offset=1),
    C("diagonal", T((3, 4)), offset=-2),
    C("diagonal", T((3, 4)), offset=9),  # empty
    C("diagonal", T((2, 3, 4)), offset=1, dim1=2, dim2=0),
    C("diagonal", T((2, 3, 4)), offset=-1, dim1=-1, dim2=1),
    C("diagonal", T((0, 3))),
]
CASES += [
    C("unbind", T((3, 4)), dim=0, index=2),
    C("unbind", T((2, 3, 4)), dim=-1, index=0),
    C("unbind", T((3,)), dim=0, index=1),  # a 0-d view
    C("split", T((5, 3)), split_size=2, dim=0, index=2),  # the shorter last piece
    C("split", T((5, 3)), split_size=2, dim=0, index=1),
    C("split", T((2, 3, 4)), split_size=3, dim=-1, index=0),
    C("split", T((4, 3)), split_size=7, index=0),  # one piece: all of it
    C("split_with_sizes", T((5, 3)), split_sizes=[1, 4], dim=0, index=1),
    C("split_with_sizes", T((2, 6)), split_sizes=[3, 0, 3], dim=1, index=1),  # an empty piece
    C("split_with_sizes", T((2, 6)), split_sizes=[3, 0, 3], dim=-1, index=2),
    C("cat", T((2, 3)), T((4, 3))),
    C("cat", T((2, 3)), T((2, 1)), T((2, 2), grad=False), dim=1),
    C("cat", T((2, 3, 4)), T((2, 2, 4)), dim=-2),
    C("cat", T((3,))),
    C("cat", T((2, 3)), T((0,))),  # a 1-d empty tensor is skipped
    C("cat", T((0,)), T((0,))),
    C("cat", T((2, 0)), T((2, 3)), dim=1),
    C("stack", T((2, 3)), T((2, 3))),
    C("stack", T((2, 3)), T((2, 3), grad=False), T((2, 3)), dim=2),
    C("stack", T((2, 3)), T((2, 3)), dim=-2),
    C("stack", T(()), T(())),
    C("index", T((4, 3)), T((5,), INDEX, "int64", grad=False), dims=[0]),
    C("index", T((2, 3, 4)), T((2, 1), INDEX, "int64", grad=False), dims=[1]),
    C(
        "index",
        T((3, 4)),
        T((2, 3), INDEX, "int64", grad=False),
        T((3,), INDEX, "int64", grad=False),
        dims=[0, 1],
    ),
    C(
        "index",
        T((3, 2, 4)),
        T((2,), INDEX, "int64", grad=False),
        T((1,), INDEX, "int64", grad=False),
        dims=[0, 2],
    ),
    C("index", T((2, 3, 4)), T((0,), INDEX, "int64", grad=False), dims=[2]),  # nothing taken
    C("index", T((3,)), T((), INDEX, "int64", grad=False), dims=[0]),
    C("clamp_tensors", T((2, 3)), T((2, 3)), T((3,)), has_min=True, has_max=True),
    C("clamp_tensors", T((2, 3)), T((2, 1)), 0, has_min=True),
    C("clamp_tensors", T((3,)), 0, T((2, 1)), has_max=True),
    *(
        C(_op, *_operands)
        for _op in ("clamp_min_tensor", "clamp_max_tensor")
        for _operands in [
            (T((3, 4)), T((3, 4))),
            (T((2, 3)), T((3,))),
            (T((3,)), T((2, 1))),
            (T((2, 3)), T((), grad=False)),
            (T((2, 3), grad=False), T((2, 3))),
        ]
    ),
    C("where", T((2, 3), dtype="bool", grad=False), T((2, 3)), T((3,))),
    C("where", T((2, 1), dtype="bool", grad=False), T((3,)), 0.5),
    C("masked_fill", T((2, 3)), T((3,), dtype="bool", grad=False), value=-1.5),
    C("zero", T((2, 3))),
    C("fill", T((2, 3)), value=1.5),
    C("fill_tensor", T((2, 3)), T(())),
    C("fill_tensor", T(()), T(())),
    C("masked_fill_tensor", T((2, 3)), T((3,), dtype="bool", grad=False), T(())),
    C("masked_fill_tensor", T((3,)), T((2, 1), dtype="bool", grad=False), T(())),  # broadcast
    C("masked_fill_tensor", T((2, 3)), T((2, 3), dtype="bool", grad=False), T((), grad=False)),
    C("copy", T((2, 3)), T((3,))),
    C("copy", T((2, 3)), T((2, 1), dtype="float64")),  # converted, its gradient converted back
    # index_put: positions repeat only where they accumulate (torch leaves the order of
    # repeated writes undefined)
    C("index_put", T((4, 3)), T((3,)), T((1,), INDEX, "int64", grad=False), dims=[0]),
    C(
        "index_put",
        T((4, 3)),
        T((5, 3)),
        T((5,), INDEX, "int64", grad=False),
        dims=[0],
        accumulate=True,
    ),
    C(
        "index_put",
        T((3, 2, 4)),
        T((1, 2)),
        T((1,), INDEX, "int64", grad=False),
        T((1,), INDEX, "int64", grad=False),
        dims=[0, 2],
    ),
    C(
        "index_put",
        T((2, 3, 4)),
        T(()),
        T((2, 1), INDEX, "int64", grad=False),
        dims=[1],
        accumulate=True,
    ),
    C("index_put", T((2, 3, 4)), T((2, 0, 4)), T((0,), INDEX, "int64", grad=False), dims=[1]),
]
for _op in COMPARISONS:  # int64 draws from 1..4: equal pairs are common
    CASES += [
        C(_op, T((3, 4), grad=False), T((3, 4), grad=False)),
        C(_op, T((3, 1, 4), grad=False), T((2, 4), grad=False)),
        C(_op, T((3, 4)), T((3, 4), grad=False)),  # requires grad, yet no gradient
        C(_op, T((3, 4), dtype="int64", grad=False), T((4,), dtype="int64", grad=False)),
        C(_op, T((2, 3), dtype="int64", grad=False), 2),
        C(_op, T((2, 3), dtype="int64", grad=False), 2.5),  # compared as float32, not int64
        C(_op, T((2, 3), grad=False), T((), dtype="float64", grad=False)),
        C(_op, T((2, 3), dtype="bool", grad=False), T((2, 3), dtype="bool", grad=False)),
        C(_op, T((2, 3), dtype="bool", grad=False), 0.5),
    ]
for _op in LOGICAL:
    CASES += [
        C(_op, T((3, 4), ZEROS), T((3, 4), ZEROS)),  # requires grad, yet no gradient
        C(_op, T((3, 1, 4), ZEROS, grad=False), T((2, 4), ZEROS, grad=False)),
        C(_op, T((), ZEROS), T((2, 3), ZEROS)),
        C(_op, T((2, 3), ZEROS, "int64", grad=False), T((3,), dtype="bool", grad=False)),
        C(_op, T((2, 3), ZEROS), T((2, 3), ZEROS, "int64", grad=False)),
        C(_op, T((2, 3), ZEROS, "float64"), T((), ZEROS, "float32")),
    ]
CASES += [
    C("logical_not", T((3, 4), ZEROS)),
    C("logical_not", T((), ZEROS)),
    C("logical_not", T((2, 3), ZEROS, "int64", grad=False)),
]
for _op in BITWISE:
    CASES += [
        C(_op, T((3, 4), ZEROS, "int64", grad=False), T((3, 4), dtype="int64", grad=False)),
        C(_op, T((), dtype="int64", grad=False), T((2, 3), dtype="bool", grad=False)),
        C(_op, T((2, 3), dtype="bool", grad=False), 6),  # int64, as torch promotes it
        C(_op, 5, T((2, 3), dtype="int64", grad=False)),
        C(_op, T((2, 3), dtype="int64", grad=False), -(2**62) - 3),  # the high bits
    ]
    if "shift" not in _op:  # torch shifts no bools
        CASES += [
            C(_op, T((3, 1, 4), dtype="bool", grad=False), T((2, 4), dtype="bool", grad=False)),
            C(_op, T((2, 3), dtype="bool", grad=False), True),
        ]
CASES += [
    C("bitwise_not", T((3, 4), ZEROS, "int64", grad=False)),
    C("bitwise_not", T((), dtype="bool", grad=False)),
    C("bitwise_not", T((2, 3), dtype="bool", grad=False)),
]
CASES += [
    C("isclose", T((3, 4), ZEROS), T((3, 4), ZEROS)),
    C("isclose", T((3, 4), ZEROS), T((3, 4), ZEROS), equal_nan=True),
    C("isclose", T((3, 1, 4)), T((2, 4)), rtol=0.5),
    C("isclose", T((2, 3)), T(()), rtol=0.0, atol=1.0),
    C("isclose", T((2, 3), ZEROS), T((2, 3), ZEROS), rtol=0.0, atol=0.0),  # equality alone
    C("isclose", T((2, 3), ZEROS, "int64", grad=False), T((3,), dtype="int64", grad=False), atol=1),
    C(
        "isclose",
        T((2, 3), dtype="int64", grad=False),
        T((2, 3), dtype="int64", grad=False),
        rtol=0.4,
    ),
    C(
        "isclose",
        T((2, 3), dtype="bool", grad=False),
        T((2, 3), dtype="bool", grad=False),
        atol=0.5,
    ),
]
CASES += [
    C("mm", T((3, 4)), T((4, 5))),
    C("mm", T((1, 4)), T((4, 1))),
    C("mm", T((3, 4), grad=False), T((4, 2))),
    C("mv", T((3, 4)), T((4,))),
    C("mv", T((3, 4)), T((4,), grad=False)),
    C("dot", T((5,)), T((5,))),
    C("bmm", T((2, 3, 4)), T((2, 4, 5))),
    C("bmm", T((1, 1, 3)), T((1, 3, 1))),
    C("bmm", T((3, 2, 4), grad=False), T((3, 4, 2))),
    C("bmm", T((3, 2, 4)), T((3, 4, 2), grad=False)),
    C("expand", T((3, 1)), shape=[2, 3, 4]),
    C("expand", T((2, 1, 4)), shape=[-1, 3, -1]),
    C("expand", T(()), shape=[2, 2]),
    C("expand", T((3,)), shape=[3]),
    C("dot", T((5,), grad=False), T((5,))),
    C("t", T((3, 4))),
    C("t", T((4,))),
    C("t", T(())),
    C("transpose", T((2, 3, 4)), dim0=0, dim1=2),
    C("transpose", T((2, 3)), dim0=-1, dim1=0),
    C("transpose", T((2, 3)), dim0=1, dim1=1),
    C("transpose", T(()), dim0=0, dim1=-1),
    C("permute", T((2, 3, 4)), dims=[2, 0, 1]),
    C("permute", T((2, 3)), dims=[-1, 0]),
    C("permute", T(()), dims=[]),
    C("view", T((2, 3, 4)), shape=[6, -1]),
    C("view", T((6,)), shape=[2, 1, 3]),
    C("view", T(()), shape=[1]),
    C("view", T((1,)), shape=[]),
    C("_unsafe_view", T((3, 4)), shape=[12]),
    C("_reshape_alias", T((4, 3)), shape=[2, 6]),
    C("_unsafe_view", T((2, 3, 4)), shape=[4, -1]),
    C("clone", T((3, 4))),
    C("clone", T(())),
    C("unsqueeze", T((3, 4)), dim=0),
    C("unsqueeze", T((3, 4)), dim=-1),
    C("unsqueeze", T((3, 4)), dim=1),
    C("unsqueeze", T(()), dim=0),
    C("squeeze", T((3, 1, 4)), dim=1),
    C("squeeze", T((3, 4)), dim=0),
    C("squeeze", T((1,)), dim=-1),
    C("squeeze", T(()), dim=0),
    C("squeeze", T((1, 3, 1, 4))),
    C("squeeze", T((3, 4))),
    C("squeeze", T((1, 3, 1, 4)), dims=[0, -2]),
    C("squeeze", T((1, 3, 1)), dims=[1, 2]),
    C("squeeze", T((1, 3)), dims=[]),
    C("squeeze_", T((1, 4)), dim=0),
    C("squeeze_", T((3, 1)), dim=1),
    C("_to_copy", T((3, 4)), dtype="float64"),
    C("_to_copy", T((2, 3)), dtype="float32"),
    C("_to_copy", T(()), dtype="float64"),
]
for _op in ("var", "std"):
    CASES += [
        C(_op, T((3, 4))),
        C(_op, T((2, 3, 4)), dim=[1]),
        C(_op, T((2, 3, 4)), dim=[0, 2], correction=0.0),
        C(_op, T((2, 3, 4)), dim=[-1], keepdim=True, correction=2.5),
        C(_op, T((2, 3)), dim=None, keepdim=True),
    ]
# Vector norms: each order's own backward branch in torch's norm_backward, reduced dims,
# ties for ±inf (the gradient shared), a wider dtype, and the empty and 0-d corners.
CASES += [
    *(C("linalg_vector_norm", T((3, 4)), ord=p) for p in (2.0, 1.0, 3.0, 1.5, 0.5, 0.0, -1.0)),
    *(C("linalg_vector_norm", T((3, 4), TIES), ord=p) for p in (np.inf, -np.inf)),
    C("linalg_vector_norm", T((2, 3, 4), TIES), ord=np.inf, dim=[0, 2], keepdim=True),
    C("linalg_vector_norm", T((2, 3, 4)), dim=[1]),
    C("linalg_vector_norm", T((2, 3, 4)), ord=3.0, dim=[-1], keepdim=True),
    C("linalg_vector_norm", T((2, 3, 4)), ord=3.0, dim=[-1], norm_overload=True),
    C("linalg_vector_norm", T((3, 4)), ord=1.0, dim=[1], keepdim=True, norm_overload=True),
    C("linalg_vector_norm", T((2, 3)), dim=[], keepdim=True),
    C("linalg_vector_norm", T((2, 3)), dtype="float64"),
    C("linalg_vector_norm", T(()), ord=3.0, dtype="float64"),
    C("linalg_vector_norm", T((2, 3)), ord=np.inf, keepdim=True, dtype="float64"),
    C("linalg_vector_norm", T(())),
    C("linalg_vector_norm", T(()), ord=np.inf, dim=[0]),
    C("linalg_vector_norm", T((2, 0)), dim=[1]),
    C("linalg_vector_norm", T((2, 0)), ord=np.inf, dim=[0]),
]
for _op in ("sum", "mean"):
    CASES += [
        C(_op, T((3, 4))),
        C(_op, T(())),
        C(_op, T((2, 3, 4)), dim=[1]),
        C(_op, T((2, 3, 4)), dim=[0, 2]),
        C(_op, T((2, 3, 4)), dim=[-1], keepdim=True),
        C(_op, T((2, 3)), dim=None, keepdim=True),
        C(_op, T((2, 3)), dim=1),
        C(_op, T(()), dim=[0]),
        C(_op, T((2, 3)), dim=[]),  # torch reduces every dim for an empty list
        C(_op, T((2, 3)), dim=[], keepdim=True),
        C(_op, T((2, 3)), dim=[1], dtype="float64"),
        C(_op, T((2, 3), dtype="int64", grad=False), dtype="float32"),
        C(_op, T((2, 3), dtype="uint8", grad=False), dim=[0], keepdim=True, dtype="float64"),
    ]
CASES += [C("sum", T((2, 3), dtype="uint8", grad=False), dtype="uint8")]
# Selecting reductions, with "ties" operands (values from three) so that several elements
# share the maximum: torch's choice of who gets the gradient is the oracle.
for _op in ("max", "min"):
    CASES += [
        C(_op, T((3, 4))),
        C(_op, T((3, 4), TIES)),
        C(_op, T(())),
        C(f"{_op}_dim", T((3, 4)), dim=1),
        C(f"{_op}_dim", T((3, 4), TIES), dim=0),
        C(f"{_op}_dim", T((2, 3, 4), TIES), dim=-1, keepdim=True),
        C(f"{_op}_dim", T(()), dim=0),
        C(f"a{_op}", T((3, 4))),
        C(f"a{_op}", T((3, 4), TIES), dim=[1]),
        C(f"a{_op}", T((2, 3, 4), TIES), dim=[0, 2], keepdim=True),
        C(f"a{_op}", T(()), dim=[0]),
        C(f"arg{_op}", T((3, 4))),
        C(f"arg{_op}", T((3, 4), TIES), dim=1),
        C(f"arg{_op}", T((2, 3, 4), TIES), dim=-2, keepdim=True),
        C(f"arg{_op}", T((3, 4)), keepdim=True),
        C(f"arg{_op}", T(()), dim=0),
    ]
    _extreme = "maximum" if _op == "max" else "minimum"
    CASES += [
        C(_extreme, T((3, 4)), T((3, 4))),
        C(_extreme, T((3, 4), TIES), T((3, 4), TIES)),  # equal pairs share the gradient
        C(_extreme, T((3, 1, 4)), T((2, 4))),
        C(_extreme, T(()), T((2, 3))),
        C(_extreme, T((2, 3)), T((2, 3), grad=False)),
    ]
for _op in ("all", "any"):
    CASES += [
        C(_op, T((3, 4), dtype="bool", grad=False)),
        C(_op, T((3, 4), dtype="bool", grad=False), dim=[1]),
        C(_op, T((2, 3, 4), dtype="bool", grad=False), dim=[0, -1], keepdim=True),
        C(_op, T((2, 3), dtype="bool", grad=False), dim=[]),  # reduces nothing
        C(_op, T((2, 3), grad=False), keepdim=True),
        C(_op, T((2, 3), dtype="int64", grad=False), dim=0),
    ]
CASES += [
    C("clamp", T((3, 4)), min=-1.0, max=1.0),
    C("clamp", T((3, 4)), min=0.5),
    C("clamp", T((3, 4)), max=-0.5),
    C("clamp", T((3, 4)), min=1, max=-1),  # min above max: every element is max
    C("clamp", T(()), min=0.0),
    C("clamp", T((2, 3), dtype="int64", grad=False), min=2, max=3),
    C("clamp", T((2, 3), dtype="int64", grad=False), min=1.5),  # a float bound: float32
    C("clamp_min", T((3, 4)), min=0.0),
    C("clamp_min", T((2, 3), dtype="int64", grad=False), min=2),
    C("clamp_max", T((3, 4)), max=0.5),
    C("clamp_max", T(()), max=-1),
]
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("binary_cross_entropy_with_logits", T((3, 4)), T((3, 4), "unit"), reduction=_reduction),
        C("mse_loss", T((3, 4)), T((3, 4)), reduction=_reduction),
        C("mse_loss", T((3, 1)), T((4,)), reduction=_reduction),
    ]
CASES += [
    C("binary_cross_entropy_with_logits", T(()), T((), "unit")),
    C("binary_cross_entropy_with_logits", T((5,)), T((5,), "unit", grad=False)),
    C("mse_loss", T(()), T((3,))),
    C("mse_loss", T((3, 2)), T((3, 2), grad=False)),
]
_TARGETS = T((6,), "class", "int64", grad=False)  # multi_margin_loss's class indices
_CTC = {"input_lengths": [5, 3], "target_lengths": [2, 1]}  # ctc_loss of (5, 2, 6) inputs
CASES += [
    C("ctc_loss", T((5, 2, 6)), T((2, 2), "class", "int64", grad=False), **_CTC),
    C("ctc_loss", T((5, 2, 6)), T((3,), "class", "int64", grad=False), **_CTC, blank=5),
    C(
        "ctc_loss",
        T((5, 2, 6)),
        T((2, 2), "class", "int64", grad=False),
        **_CTC,
        zero_infinity=True,
    ),
    C(
        "ctc_loss",
        T((1, 1, 6)),
        T((1, 2), "class", "int64", grad=False),
        input_lengths=[1],
        target_lengths=[2],
        zero_infinity=True,
    ),
]
_TARGET = T((), "class", "int64", grad=False)
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("smooth_l1_loss", T((3, 4)), T((3, 4)), reduction=_reduction),
        C("smooth_l1_loss", T((3, 1)), T((4,)), reduction=_reduction, beta=0.5),
        C("huber_loss", T((3, 4)), T((3, 4)), reduction=_reduction, delta=0.7),
        C("huber_loss", T((3, 1)), T((4,)), reduction=_reduction),
        C("soft_margin_loss", T((3, 4)), T((3, 4), grad=False), reduction=_reduction),
        C("soft_margin_loss", T((3, 4)), T((4,), grad=False), reduction=_reduction),
        C("multi_margin_loss", T((6, 5)), _TARGETS, reduction=_reduction),
        C("multi_margin_loss", T((6, 5)), _TARGETS, T((5,), POS, grad=False), p=2, margin=0.5),
        C("multi_margin_loss", T((5,)), _TARGET, reduction=_reduction, margin=2.0),
        C(
            "multilabel_margin_loss",
            T((4, 5)),
            T((4, 5), "class", "int64", grad=False),
            reduction=_reduction,
        ),
        C(
            "multilabel_margin_loss",
            T((5,)),
            T((5,), "class", "int64", grad=False),
            reduction=_reduction,
        ),
        C("binary_cross_entropy", T((3, 4), "unit"), T((3, 4), "unit"), reduction=_reduction),
        C(
            "binary_cross_entropy",
            T((3, 4), "unit"),
            T((3, 4), "unit"),
            T((4,), POS, grad=False),
            reduction=_reduction,
        ),
    ]
CASES += [
    C("smooth_l1_loss", T((3, 2)), T((3, 2)), beta=0.0),  # the L1 loss
    C("smooth_l1_loss", T(()), T((3,), TIES), beta=2.0),
    C("huber_loss", T((2, 3)), T((2, 3), grad=False), delta=3.0),
    C("huber_loss", T((2, 3)), T(()), delta=0.5),
    C("binary_cross_entropy", T((), "unit"), T((), "unit", grad=False)),
    C("binary_cross_entropy", T((2, 3), "unit"), T((2, 3), "unit"), T((2, 1), POS, grad=False)),
]
# Activations: |x| in [0.2, 2] covers both sides of each kink; TIES puts x on hardtanh's
# bounds; beta=15 takes softplus past its threshold.
CASES += [
    C("leaky_relu", T((3, 4))),
    C("leaky_relu", T((3, 4)), negative_slope=-0.3),
    C("leaky_relu", T((3, 4)), negative_slope=0.2, self_is_result=True),
    C("elu", T((3, 4))),
    C("elu", T((3, 4)), alpha=0.7, scale=1.3, input_scale=0.6),
    C(
        "elu",
        T((3, 4)),
        alpha=1.6732632423543772848170429916717,
        scale=1.0507009873554804934193349852946,
    ),  # selu
    C("elu", T((3, 4)), alpha=0.5, scale=2.0, self_is_result=True),
    C("celu", T((3, 4))),
    C("celu", T((3, 4)), alpha=0.3),
    C("celu", T((3, 4)), alpha=2.0, self_is_result=True),
    C("gelu", T((3, 4))),
    C("gelu", T((3, 4)), approximate="tanh"),
    C("silu", T((3, 4))),
    C("silu", T(())),
    C("softplus", T((3, 4))),
    C("softplus", T((3, 4)), beta=15.0),
    C("softplus", T((3, 4)), beta=-2.0, threshold=1.0),
    *(C(op, T((3, 4))) for op in ("mish", "hardswish", "hardsigmoid", "log_sigmoid")),
    *(C(op, T(())) for op in ("mish", "hardswish", "hardsigmoid", "log_sigmoid")),
    C("hardshrink", T((3, 4))),
    C("hardshrink", T((3, 4)), lambd=1.5),
    C("hardshrink", T((3, 4)), lambd=-1.0),
    C("softshrink", T((3, 4))),
    C("softshrink", T((3, 4)), lambd=0.0),
    C("softshrink", T((3, 4)), lambd=1.5),
    C("hardtanh", T((3, 4))),
    C("hardtanh", T((3, 4), TIES), min_val=-1.0, max_val=0.5),
    C("hardtanh", T((3, 4)), min_val=0.0, max_val=6.0),  # relu6
    C("hardtanh", T((2, 3), dtype="int64", grad=False), min_val=1.5, max_val=3.7),
    C("threshold", T((3, 4)), threshold=0.1, value=20.0),
    C("threshold", T((3, 4), TIES), threshold=0.0, value=-2),
    C("threshold", T((3, 4)), threshold=0.5, value=9.0, in_place=True),
    C("threshold", T((2, 3), dtype="int64", grad=False), threshold=0.5, value=7.9),
    C("threshold", T((2, 3), dtype="int64", grad=False), threshold=-1.5, value=True),
    C("threshold", T(()), threshold=0.3, value=0.0),
    C("prelu_kernel", T((2, 3, 4)), T((1, 3, 1))),
    C("prelu_kernel", T((2, 3)), T(())),
    C("prelu_kernel", T((3,)), T((1,))),
    C("prelu_kernel", T(()), T(())),
    C("prelu_kernel", T((2, 3), grad=False), T((1, 3))),
    C("prelu_kernel", T((2, 3)), T((1, 3), grad=False)),
    C("rrelu_with_noise", T((3, 4)), 1.0),
    C("rrelu_with_noise", T((3, 4), TIES), 0, lower=0.2, upper=0.6),
    C("rrelu_with_noise", T((2, 3)), 1.0, lower=0.1, upper=0.3, self_is_result=True),
    C("trilinear", T((4, 3)), T((5, 3, 2)), T((4, 2))),
    C(
        "trilinear",
        T((1, 2), dtype="float64"),
        T((3, 2, 4), dtype="float64"),
        T((1, 4), dtype="float64"),
    ),
    C("trilinear", T((0, 3)), T((2, 3, 2)), T((0, 2))),
    C("glu", T((3, 4))),
    C("glu", T((4, 3)), dim=0),
    C("glu", T((2, 6, 2)), dim=1),
    C("glu", T((2, 0)), dim=0),
]
# Neural-network ops. nll_loss's targets are int64 class indices in [1, 5) (see _sample), so
# five classes keep them in range and ignore_index=2 drops some rows.
_CLASSES = T((4,), dtype="int64", grad=False)
CASES += [
    C("addmm", T((3, 5)), T((3, 4)), T((4, 5))),
    C("addmm", T((5,)), T((3, 4)), T((4, 5))),
    C("addmm", T(()), T((3, 4)), T((4, 5))),
    C("addmm", T((3, 1)), T((3, 4)), T((4, 5)), beta=0.5, alpha=2.0),
    C("addmm", T((5,)), T((3, 4)), T((4, 5)), beta=0.0),
    C("addmm", T((5,)), T((3, 4), grad=False), T((4, 5))),
    C("addmm", T((5,), grad=False), T((3, 4)), T((4, 5), grad=False)),
    C("addmm", T((5,)), T((3, 4), grad=False), T((4, 5), grad=False)),
    C("addmm", T((1, 1)), T((1, 3)), T((3, 1)), alpha=-1.5),
    C("addmv", T((3,)), T((3, 4)), T((4,)), beta=0.5, alpha=2.0),
    C("addmv", T(()), T((3, 4)), T((4,))),
    C("addr", T((3, 4)), T((3,)), T((4,))),
    C("addr", T((3, 4)), T((3,)), T((4,)), alpha=-1.5),
    C("addr", T((4,)), T((3,)), T((4,)), beta=0.0),
    C("baddbmm", T((2, 3, 5)), T((2, 3, 4)), T((2, 4, 5)), beta=0.5),
    C("baddbmm", T((1, 5)), T((2, 3, 4)), T((2, 4, 5))),
    C("addbmm", T((3, 5)), T((2, 3, 4)), T((2, 4, 5)), alpha=2.0),
    C("addbmm", T((5,)), T((2, 3, 4), grad=False), T((2, 4, 5))),
    C("vdot", T((5,)), T((5,))),
    C("dist", T((3, 4)), T((4,))),
    C("dist", T((3, 4)), T((3, 4)), p=1.0),
    C("dist", T((2, 3)), T((2, 3)), p=float("inf")),
    C("dist", T((2, 3)), T((3,)), p=3.0),
    C("dist", T(()), T((2, 3)), p=1.5),
    C("renorm", T((3, 4)), p=2.0, dim=0, maxnorm=1.0),
    C("renorm", T((2, 3, 4)), p=1.0, dim=-1, maxnorm=0.5),
]
for _op in ("softmax", "log_softmax", "_safe_softmax"):
    CASES += [
        C(_op, T((3, 4)), dim=1),
        C(_op, T((3, 4)), dim=0),
        C(_op, T((2, 3, 4)), dim=1),
        C(_op, T((2, 3, 4)), dim=-1),
        C(_op, T((5,)), dim=0),
        C(_op, T(()), dim=0),
    ]
# layer_norm: the numbers 1 and 0 stand for an absent weight and bias
CASES += [
    C("layer_norm", T((4, 5)), T((5,)), T((5,)), normalized_shape=(5,)),
    C("layer_norm", T((2, 3, 4)), T((3, 4)), T((3, 4)), normalized_shape=(3, 4), eps=1e-3),
    C("layer_norm", T((3, 5)), 1, 0, normalized_shape=(5,)),
    C("layer_norm", T((3, 5)), T((5,)), 0, normalized_shape=(5,)),
    C("layer_norm", T((3, 5)), 1, T((5,)), normalized_shape=(5,)),
    C("layer_norm", T((5,)), T((5,), grad=False), T((5,)), normalized_shape=(5,)),
    C("layer_norm", T((2, 6)), T((6,)), T((6,), grad=False), normalized_shape=(6,)),
    C("layer_norm", T((0, 5)), T((5,)), T((5,)), normalized_shape=(5,)),
    C("layer_norm", T((2, 0)), T((0,)), T((0,)), normalized_shape=(0,)),
]
# native_group_norm: the numbers 1 and 0 stand for an absent weight and bias (torch's backward
# fails for a bias that needs a gradient without a weight: that bias gets none here)
CASES += [
    C("native_group_norm", T((2, 4, 3)), T((4,)), T((4,)), num_groups=2),
    C("native_group_norm", T((3, 6)), T((6,)), T((6,)), num_groups=2, eps=1e-3),
    C("native_group_norm", T((2, 6, 2, 3)), 1, 0, num_groups=6),
    C("native_group_norm", T((2, 4, 2, 2, 2)), T((4,)), 0, num_groups=1),
    C("native_group_norm", T((2, 4, 5)), 1, T((4,), grad=False), num_groups=2),
    C("native_group_norm", T((3, 4, 3)), T((4,), grad=False), T((4,)), num_groups=4),
    C("native_group_norm", T((0, 4, 3)), T((4,)), T((4,)), num_groups=2),
    C("native_group_norm", T((2, 0, 3)), T((0,)), T((0,)), num_groups=2),
]
# batch_norm: the numbers 1 and 0 stand for an absent weight and bias; running statistics
# (not differentiable) are used in evaluation and only checked in training
_STATS = (T((3,), grad=False), T((3,), POS, grad=False))
CASES += [
    C("batch_norm", T((4, 3)), T((3,)), T((3,)), training=True),
    C("batch_norm", T((2, 3, 5)), T((3,)), T((3,)), training=True, eps=1e-3),
    C("batch_norm", T((2, 3, 2, 4)), 1, 0, training=True),
    C("batch_norm", T((2, 3, 2, 2, 3)), T((3,)), 0, training=True),
    C("batch_norm", T((5, 3)), T((3,), grad=False), T((3,)), *_STATS, training=True),
    C("batch_norm", T((4, 3)), T((3,)), T((3,)), *_STATS, training=False),
    C("batch_norm", T((2, 3, 2, 2)), 1, T((3,)), *_STATS, training=False, eps=0.1),
    C("batch_norm", T((3, 3, 4)), T((3,)), T((3,), grad=False), *_STATS, training=False),
]
CASES += [
    C("batch_norm_running_stats", T((4, 3), grad=False), *_STATS),
    C("batch_norm_running_stats", T((2, 3, 2, 2), grad=False), *_STATS, momentum=0.3),
]
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("nll_loss", T((4, 5)), _CLASSES, reduction=_reduction),
        C("nll_loss", T((4, 5)), _CLASSES, reduction=_reduction, ignore_index=2),
        C("nll_loss", T((5,)), T((), dtype="int64", grad=False), reduction=_reduction),
    ]
CASES += [C("nll_loss", T((4, 5), grad=False), _CLASSES)]
_PIXEL_CLASSES = T((2, 3, 2), dtype="int64", grad=False)
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("nll_loss2d", T((2, 5, 3, 2)), _PIXEL_CLASSES, reduction=_reduction),
        C("nll_loss2d", T((2, 5, 3, 2)), _PIXEL_CLASSES, reduction=_reduction, ignore_index=2),
        C(
            "nll_loss2d",
            T((2, 5, 3, 2)),
            _PIXEL_CLASSES,
            T((5,), POS, grad=False),
            reduction=_reduction,
            ignore_index=3,
        ),
    ]
CASES += [C("nll_loss2d", T((1, 5, 1, 4)), T((1, 1, 4), dtype="int64", grad=False))]
_BAG_OFFSETS = T((4,), BAG_OFFSETS, "int64", grad=False)
_BAG = T((7,), dtype="int64", grad=False)
# embedding: int64 indices in [1, 5) (see _sample) of a weight of six rows, so indices repeat
# and rows 0 and 5 get no gradient; padding_idx and scale_grad_by_freq as torch defines them.
_ROWS = T((3, 4), dtype="int64", grad=False)
CASES += [
    C("embedding", T((6, 3)), T((4,), dtype="int64", grad=False)),
    C("embedding", T((6, 3)), _ROWS),
    C("embedding", T((6, 3)), T((), dtype="int64", grad=False)),
    C("embedding", T((6, 3)), T((0,), dtype="int64", grad=False)),
    C("embedding", T((6, 3)), _ROWS, padding_idx=2),
    C("embedding", T((6, 3)), _ROWS, scale_grad_by_freq=True),
    C("embedding", T((6, 3)), _ROWS, padding_idx=3, scale_grad_by_freq=True),
    C("embedding", T((6, 3)), _ROWS, padding_idx=-3),  # torch.embedding takes any padding_idx
    C("embedding", T((6, 3), grad=False), _ROWS),
    C("embedding", T((6, 0)), _ROWS),
    *(C("embedding_bag", T((6, 3)), _BAG, _BAG_OFFSETS, 0, mode=m) for m in ("sum", "mean", "max")),
    C("embedding_bag", T((6, 3)), _BAG, _BAG_OFFSETS, T((7,)), mode="sum", padding_idx=2),
    C("embedding_bag", T((6, 3)), _BAG, _BAG_OFFSETS, 0, mode="mean", scale_grad_by_freq=True),
    C("embedding_renorm", T((6, 3)), _ROWS, max_norm=1.0),
    C("embedding_renorm", T((6, 3)), _ROWS, max_norm=2.5),
    C("embedding_renorm", T((6, 3)), _ROWS, max_norm=1.5, norm_type=1.0),
    C("embedding_renorm", T((6, 3)), _ROWS, max_norm=1.0, norm_type=float("inf")),
    C("embedding_renorm", T((6, 3)), _ROWS, max_norm=-1.0),  # every row: a negative scale
    C("embedding_renorm", T((6, 3)), T((), dtype="int64", grad=False), max_norm=1.0),
]
# convolution, as F.conv1d/conv2d/conv3d call torch.convolution on a batched input; the number
# 0 stands for no bias. Shapes, strides, paddings, dilations and groups over 1-3 spatial dims.
_CONV = [
    ((2, 3, 7), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 3), {"stride": (2,), "padding": (1,), "dilation": (2,)}),
    ((1, 4, 8), (6, 2, 2), {"groups": 2, "padding": (3,)}),
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
    ((1, 4, 5, 5), (4, 1, 3, 3), {"groups": 4, "padding": (1,)}),  # depthwise
    ((2, 6, 6, 6), (4, 3, 1, 1), {"groups": 2, "stride": (3,)}),
    ((2, 4, 3, 5), (6, 2, 1, 1), {"groups": 2, "dilation": (2,)}),  # 1x1: no columns built
    ((3, 2, 5, 4), (2, 2, 5, 4), {}),  # the kernel covers the input: a 1x1 output
    ((1, 2, 4, 4), (3, 2, 2, 2), {"stride": (3,), "padding": (2,), "dilation": (3,)}),
    (
        (2, 2, 4, 5, 4),
        (3, 2, 2, 3, 2),
        {"stride": (1, 2, 1), "padding": (1,), "dilation": (2, 1, 1)},
    ),
]
CASES += [C("convolution", T(x), T(w), T(w[:1]), **attrs) for x, w, attrs in _CONV]
CASES += [C("convolution", T(x), T(w), 0, **attrs) for x, w, attrs in _CONV[::3]]
CASES += [
    C("convolution", T((2, 3, 5, 5), grad=False), T((4, 3, 3, 3)), T((4,))),
    C("convolution", T((2, 3, 5, 5)), T((4, 3, 3, 3), grad=False), T((4,), grad=False)),
    C("convolution", T((2, 3, 5, 5), grad=False), T((4, 3, 3, 3), grad=False), T((4,))),
    C("convolution", T((0, 3, 5)), T((4, 3, 3)), T((4,))),  # torch's Empty path
    C("convolution", T((2, 0, 5, 5)), T((4, 0, 3, 3)), T((4,))),
]
# max_pool2d and avg_pool2d over (C, H, W) and (N, C, H, W) inputs; an empty stride is the kernel
_POOLS = [
    ((2, 3, 6, 6), {"kernel_size": [2]}),
    ((3, 7, 6), {"kernel_size": [3, 2], "stride": [2], "padding": [1]}),
    ((2, 2, 7, 7), {"kernel_size": [3], "stride": [2, 1], "padding": [1, 0], "ceil_mode": True}),
    ((1, 2, 5, 5), {"kernel_size": [2], "stride": [3], "ceil_mode": True}),
    ((0, 2, 4, 4), {"kernel_size": [2]}),
]
CASES += [C("max_pool2d", T(x), **attrs) for x, attrs in _POOLS]
CASES += [
    C("max_pool2d", T((2, 2, 9, 8)), kernel_size=[3, 2], dilation=[2, 3], padding=[1]),
    C("max_pool2d", T((1, 2, 6, 6), TIES), kernel_size=[3], stride=[1]),  # ties: the first
    C("max_pool2d_indices", T((2, 3, 6, 6), grad=False), kernel_size=[2]),
    C("max_pool2d_indices", T((2, 7, 8), TIES, grad=False), kernel_size=[3], padding=[1]),
    C(
        "max_pool2d_indices",
        T((1, 2, 9, 8), grad=False),
        kernel_size=[3, 2],
        stride=[2],
        dilation=[2, 3],
        ceil_mode=True,
    ),
]
CASES += [C("avg_pool2d", T(x), **attrs) for x, attrs in _POOLS]
CASES += [
    C(
        "avg_pool2d",
        T((2, 2, 7, 7)),
        kernel_size=[3],
        stride=[2],
        padding=[1],
        count_include_pad=False,
    ),
    C(
        "avg_pool2d",
        T((2, 7, 6)),
        kernel_size=[3, 2],
        padding=[1],
        ceil_mode=True,
        divisor_override=5,
    ),
    C(
        "avg_pool2d",
        T((1, 1, 5, 5)),
        kernel_size=[2],
        stride=[3],
        ceil_mode=True,
        count_include_pad=False,
    ),
]
# Sorting: argsort and topk_indices against torch's order of ties (TIES draws from three
# values; rows of more than 16 take std::sort's quicksort path, 64·k <= n topk's heap path);
# sort and topk take torch's own indices (SORTED) and compare values and gradients. gather and
# index_select take int64 positions in [1, 5) (see _sample), so repeats add their gradients.
_POSITIONS = "int64"
CASES += [
    C("argsort", T((3, 20), TIES)),
    C("argsort", T((3, 20), TIES), descending=True),
    C("argsort", T((20, 3), TIES), dim=0, stable=True),
    C("argsort", T((2, 17, 3), TIES), dim=1, descending=True, stable=True),
    C("argsort", T((5,))),
    C("argsort", T(())),
    C("argsort", T((0, 3)), dim=0),
    C("sort", T((3, 20)), T((3, 20), SORTED, _POSITIONS, grad=False)),
    C("sort", T((4, 5)), T((4, 5), SORTED, _POSITIONS, grad=False), dim=0, stable=True),
    C("sort", T((2, 3, 4)), T((2, 3, 4), SORTED, _POSITIONS, grad=False), dim=1, stable=False),
    C("sort", T(()), T((), SORTED, _POSITIONS, grad=False)),
    C("sort", T((2, 0)), T((2, 0), SORTED, _POSITIONS, grad=False)),
    # unique_dim takes torch's own inverse (SORTED); 3 x 3 CHECKER masks (transposed, the
    # same) have two distinct rows and columns in three runs; distinct float rows sort by value
    *(
        C("unique_dim", T((3, 3), CHECKER, grad=False), T((3,), SORTED, _POSITIONS), dim=d, count=2)
        for d in (0, -1)
    ),
    C(
        "unique_dim",
        T((3, 3), CHECKER, grad=False),
        T((3,), SORTED, _POSITIONS),
        dim=0,
        count=3,
        consecutive=True,
    ),
    C("unique_dim", T((20, 2), grad=False), T((20,), SORTED, _POSITIONS), dim=0, count=20),
    C(
        "unique_dim",
        T((2, 3, 4), grad=False),
        T((3,), SORTED, _POSITIONS),
        dim=1,
        count=3,
        consecutive=True,
    ),
    C("unique_dim", T((0, 2), grad=False), T((0,), SORTED, _POSITIONS), dim=0, count=0),
    # median, nanmedian and mode: torch's indices among ties (and nans, for the client's
    # tests); the values ops take torch's own indices (SORTED)
    C("median", T((3, 4), TIES)),
    C("median", T((4, 5)), ignore_nan=True),
    C("median", T(())),
    C("median_indices", T((3, 20), TIES), dim=1),
    C("median_indices", T((20, 3), TIES), dim=0, keepdim=True, ignore_nan=True),
    C("median_indices", T(()), dim=0),
    C("median_dim", T((3, 20), TIES), T((3,), SORTED, _POSITIONS, grad=False), dim=1),
    C(
        "median_dim",
        T((4, 5)),
        T((1, 5), SORTED, _POSITIONS, grad=False),
        dim=0,
        keepdim=True,
        ignore_nan=True,
    ),
    C("mode_indices", T((3, 20), TIES), dim=1),
    C("mode_indices", T((2, 30, 3), TIES), dim=1, keepdim=True),
    C("mode", T((3, 20), TIES), T((3,), SORTED, _POSITIONS, grad=False), dim=-1),
    C("mode", T((5, 2), TIES), T((1, 2), SORTED, _POSITIONS, grad=False), dim=0, keepdim=True),
    C("topk_indices", T((3, 20), TIES), k=5),
    C("topk_indices", T((3, 200), TIES), k=3),
    C("topk_indices", T((20, 3), TIES), k=4, dim=0, largest=False),
    C("topk_indices", T((3, 20), TIES), k=7, sorted=False),
    C("topk_indices", T((3, 4)), k=0),
    C("topk_indices", T(()), k=1),
    C("topk", T((3, 20)), T((3, 5), SORTED, _POSITIONS, grad=False)),
    C("topk", T((4, 3)), T((2, 3), SORTED, _POSITIONS, grad=False), dim=0),
    C("topk", T(()), T((), SORTED, _POSITIONS, grad=False)),
    C("topk", T((3, 4)), T((3, 0), SORTED, _POSITIONS, grad=False)),
    C("gather", T((3, 6)), T((3, 4), dtype=_POSITIONS, grad=False), dim=1),
    C("gather", T((6, 4)), T((2, 3), dtype=_POSITIONS, grad=False), dim=0),  # a corner of self
    C("gather", T((2, 6, 3)), T((2, 9, 3), dtype=_POSITIONS, grad=False), dim=-2),
    C("gather", T((5,)), T((), dtype=_POSITIONS, grad=False), dim=0),
    C("gather", T((5,)), T((0, 2), dtype=_POSITIONS, grad=False), dim=0),  # empty: unchecked
    C("gather", T((3, 6), grad=False), T((3, 4), dtype=_POSITIONS, grad=False), dim=1),
    C("index_select", T((6, 3)), T((4,), dtype=_POSITIONS, grad=False), dim=0),
    C("index_select", T((3, 6)), T((7,), dtype=_POSITIONS, grad=False), dim=1),
    C("index_select", T((2, 5, 3)), T((), dtype=_POSITIONS, grad=False), dim=-2),
    C("index_select", T((5,)), T((0,), dtype=_POSITIONS, grad=False), dim=0),
    C("pack_padded_sequence", T((4, 3, 2)), T((3,), LENGTHS, "int64", grad=False), total=8),
    C(
        "pack_padded_sequence",
        T((5, 3)),
        T((5,), LENGTHS, "int64", grad=False),
        total=sum(lengths(5)),
        batch_first=True,
    ),
]
# scatter, scatter_add and scatter_reduce write into a self of 5 or more along dim (positions
# in [1, 5), repeating); more in test_scatter_ops.py.
_SCATTERED = T((3, 4), dtype=_POSITIONS, grad=False)
CASES += [
    C("scatter", T((6, 4)), _SCATTERED, T((3, 4)), dim=0),
    C("scatter", T((2, 7, 3)), T((2, 4, 3), dtype=_POSITIONS, grad=False), T((2, 4, 3)), dim=-2),
    C("scatter", T((3, 6)), T((2, 4), dtype=_POSITIONS, grad=False), T((3, 5), grad=False), dim=1),
    C("scatter", T((6, 4), grad=False), _SCATTERED, T((3, 4), grad=False), dim=0, reduce="add"),
    C("scatter", T((6,)), T((0,), dtype=_POSITIONS, grad=False), T((1,)), dim=0),
    C("scatter_value", T((6, 4)), _SCATTERED, dim=0, value=2.5),
    C("scatter_value", T((4, 6)), _SCATTERED, dim=1, value=-1),
    C("scatter_add", T((6, 4)), _SCATTERED, T((3, 4)), dim=0),
    C("scatter_add", T((3, 6)), T((2, 4), dtype=_POSITIONS, grad=False), T((2, 4)), dim=-1),
    *(
        C(
            "scatter_reduce",
            T((6, 4), TIES),
            _SCATTERED,
            T((3, 4), TIES),
            dim=0,
            reduce=r,
            include_self=include,
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
        for include in (True, False)
    ),
    C(
        "scatter_reduce",
        T((3, 6)),
        T((3, 2), dtype=_POSITIONS, grad=False),
        T((3, 2)),
        dim=1,
        reduce="mean",
    ),
]
# kthvalue, cummax and cummin: torch's indices among ties and nans; the values ops take
# torch's own indices (SORTED). logcumsumexp, aminmax's two ops.
CASES += [
    C("kthvalue_indices", T((3, 20), TIES), k=7, dim=1),
    C("kthvalue_indices", T((20, 3), TIES), k=1, dim=0, keepdim=True),
    C("kthvalue_indices", T((3, 20), TIES, dtype="int64", grad=False), k=20, dim=-1),
    C("kthvalue_indices", T(()), k=1, dim=0),
    C("kthvalue", T((3, 20), TIES), T((3,), SORTED, _POSITIONS, grad=False), k=5, dim=1),
    C("kthvalue", T((4, 5)), T((1, 5), SORTED, _POSITIONS, grad=False), k=2, dim=0, keepdim=True),
    *(C(f"{_op}_indices", T((3, 20), TIES), dim=1) for _op in ("cummax", "cummin")),
    *(C(f"{_op}_indices", T((20, 3), TIES), dim=-2) for _op in ("cummax", "cummin")),
    *(
        C(f"{_op}_indices", T((4, 6), TIES, dtype="int64", grad=False), dim=1)
        for _op in ("cummax", "cummin")
    ),
    *(C(f"{_op}_indices", T(()), dim=0) for _op in ("cummax", "cummin")),
    *(C(f"{_op}_indices", T((0, 3)), dim=0) for _op in ("cummax", "cummin")),
    *(
        C(_op, T((3, 20), TIES), T((3, 20), SORTED, _POSITIONS, grad=False), dim=1)
        for _op in ("cummax", "cummin")
    ),
    *(
        C(_op, T((5, 2), TIES), T((5, 2), SORTED, _POSITIONS, grad=False), dim=0)
        for _op in ("cummax", "cummin")
    ),
    C("logcumsumexp", T((3, 4)), dim=1),
    C("logcumsumexp", T((2, 3, 4)), dim=-3),
    C("logcumsumexp", T(()), dim=0),
    C("logcumsumexp", T((0, 3)), dim=0),
    *(C(f"aminmax_{_e}", T((3, 4), TIES)) for _e in ("min", "max")),
    *(C(f"aminmax_{_e}", T((3, 4), TIES), dim=1) for _e in ("min", "max")),
    *(C(f"aminmax_{_e}", T((2, 3, 4), TIES), dim=-2, keepdim=True) for _e in ("min", "max")),
    *(
        C(f"aminmax_{_e}", T((3, 4), TIES, dtype="int64", grad=False), dim=0)
        for _e in ("min", "max")
    ),
]
# put, masked_scatter, the *_scatter ops of views, isin, index_reduce
CASES += [
    C("put", T((3, 4)), T((2, 3), INDEX, grad=False), T((2, 3)), accumulate=True),
    C("put", T((3, 4)), T((2,), INDEX, grad=False), T((2,))),
    C(
        "put",
        T((3, 4), dtype="int64", grad=False),
        T((5,), INDEX, grad=False),
        T((5,), dtype="int64", grad=False),
        accumulate=True,
    ),
    C("masked_scatter", T((3, 4)), T((3, 4), CHECKER, "bool", grad=False), T((6,))),
    C("masked_scatter", T((4,)), T((3, 4), CHECKER, "bool", grad=False), T((2, 4))),
    C("select_scatter", T((3, 4)), T((4,)), dim=0, index=1),
    C("select_scatter", T((2, 3, 4)), T((2, 3)), dim=-1, index=-1),
    C("slice_scatter", T((3, 4)), T((3, 2)), dim=1, start=1, step=2),
    C("slice_scatter", T((3, 4)), T((2, 4)), start=-2),
    C("slice_scatter", T((3, 4)), T((3, 0)), dim=1, start=5),
    C("diagonal_scatter", T((3, 4)), T((3,))),
    C("diagonal_scatter", T((3, 4)), T((2,)), offset=-1),
    C("diagonal_scatter", T((2, 3, 4)), T((2, 3)), offset=0, dim1=1, dim2=2),
    C("isin", T((3, 4), "class", "int64", grad=False), T((3,), "class", "int64", grad=False)),
    C("isin", T((3, 4), TIES, grad=False), T((2,), TIES, grad=False), invert=True),
    C("isin", T((), "class", "int64", grad=False), T((3, 4), "class", "int64", grad=False)),
    C("isin", T((3, 4), "class", "int64", grad=False), T((), "class", "int64", grad=False)),
    C("isin", T((3, 4), "class", "int64", grad=False), 2),
    C("isin", 3, T((3, 4), "class", "int64", grad=False)),
    *(
        C(
            "index_reduce",
            T((3, 4), TIES),
            T((5, 4), SORTED, _POSITIONS, grad=False),
            T((5, 4), TIES),
            dim=0,
            reduce=r,
            include_self=include,
        )
        for r in ("prod", "mean", "amax", "amin")
        for include in (True, False)
    ),
    C(
        "index_reduce",
        T((4, 2)),
        T((4, 3), SORTED, _POSITIONS, grad=False),
        T((4, 3)),
        dim=1,
        reduce="mean",
    ),
]
CASES += [  # prod: full (ProdBackward0) and along a dim (ProdBackward1)
    C("prod", T((3, 4))),
    C("prod", T(())),
    C("prod", T((2, 3, 4)), dim=1),
    C("prod", T((2, 3, 4)), dim=-1, keepdim=True),
    C("prod", T(()), dim=0),
    C("prod", T((0, 3)), dim=0),
    C("prod", T((0, 3))),
    C("prod", T((3, 4)), dtype="float64"),
    C("prod", T((3, 4)), dim=0, dtype="float64"),
    C("prod", T((3, 4), dtype="int64", grad=False), dim=1, dtype="float32"),
]
for _op in ("cumsum", "cumprod"):
    CASES += [
        C(_op, T((3, 4)), dim=1),
        C(_op, T((2, 3, 4)), dim=0),
        C(_op, T((2, 3, 4)), dim=-2),
        C(_op, T(()), dim=0),
        C(_op, T((0, 3)), dim=0),
        C(_op, T((3, 4)), dim=-1, dtype="float64"),
        C(_op, T((3, 4), dtype="int64", grad=False), dim=1, dtype="float32"),
    ]
# constant_pad_nd: (before, after) pairs from the last dim; negative ones remove elements
CASES += [
    C("constant_pad_nd", T((2, 3, 4)), pad=[1, 2]),
    C("constant_pad_nd", T((2, 3, 4)), pad=[0, 1, 2, 0], value=1.5),
    C("constant_pad_nd", T((2, 3, 4)), pad=[-1, 2, 1, -2, 0, 1]),
    C("constant_pad_nd", T((2, 3, 4)), pad=[-1, -1]),  # only removes: torch's narrow
    C("constant_pad_nd", T((3,)), pad=[]),
    C("constant_pad_nd", T(()), pad=[]),
]
# repeat, flip, roll, tril, triu: copies that rearrange (repeats, flips and rolls of each dim)
CASES += [
    C("repeat", T((2, 3)), repeats=[2, 3]),
    C("repeat", T((2, 3)), repeats=[2, 1, 3]),  # a leading dim added
    C("repeat", T((3,)), repeats=[1]),
    C("repeat", T(()), repeats=[2, 2]),
    C("repeat", T(()), repeats=[]),
    C("repeat", T((2, 3)), repeats=[0, 2]),  # no elements: a zero gradient
    C("flip", T((2, 3, 4)), dims=[0, 2]),
    C("flip", T((2, 3, 4)), dims=[-1]),
    C("flip", T((2, 3)), dims=[]),
    C("flip", T(()), dims=[0]),
    C("roll", T((2, 3, 4)), shifts=[1]),  # no dims: the flattened tensor
    C("roll", T((2, 3, 4)), shifts=[-7], dims=[1]),
    C("roll", T((2, 3, 4)), shifts=[1, 2], dims=[0, -1]),
    C("roll", T((2, 3, 4)), shifts=[1, 1], dims=[2, 2]),  # a dim named twice rolls twice
    C("roll", T(()), shifts=[3]),
    C("roll", T((0, 3)), shifts=[1], dims=[1]),
    C("roll", T((0, 3)), shifts=[1, 1], dims=[5, 7]),  # no elements: dims unchecked
    *(C(op, T((3, 4)), diagonal=d) for op in ("tril", "triu") for d in (0, 1, -2, 5)),
    *(C(op, T((2, 4, 3)), diagonal=-1) for op in ("tril", "triu")),
]
# take (positions in [-3, 3)), masked_select (a checker mask: a known count)
CASES += [
    C("index_add", T((5, 3)), T((4,), "class", "int64", grad=False), T((4, 3)), dim=0),
    C("index_add", T((2, 5)), T((3,), "class", "int64", grad=False), T((2, 3)), dim=-1, alpha=2.5),
    C("index_add", T((5,)), T((2,), "class", "int64", grad=False), T((2,), grad=False), dim=0),
    C("unfold", T((3, 4)), dimension=1, size=2, step=1),
    C("unfold", T((5, 2)), dimension=0, size=2, step=2),
    C("unfold", T((2, 5, 3)), dimension=-2, size=3, step=1),
    C("unfold", T((3, 4)), dimension=1, size=0, step=3),
    C("unfold", T(()), dimension=0, size=1, step=1),
    C("index_copy", T((5, 3)), T((4,), "class", "int64", grad=False), T((4, 3)), dim=0),
    C("index_copy", T((2, 5)), T((3,), "class", "int64", grad=False), T((2, 3)), dim=-1),
    C("index_copy", T((5,)), T((), "class", "int64", grad=False), T(()), dim=0),
    C("index_fill", T((3, 4)), T((4,), INDEX, grad=False), dim=0, value=1.5),
    C("index_fill", T((2, 5)), T((), INDEX, grad=False), dim=-1, value=-2),
    # (torch's backward of a tensor value refuses negative positions: index_select's)
    C("index_fill_tensor", T((3, 5)), T((2,), "class", "int64", grad=False), T(()), dim=1),
    C("take", T((3, 4)), T((2, 3), INDEX, grad=False)),
    C("take", T((5,)), T((), INDEX, grad=False)),
    C("take", T((2, 3)), T((0,), INDEX, grad=False)),
    C("masked_select", T((3, 4)), T((3, 4), CHECKER, "bool", grad=False), count=6),
    C("masked_select", T((3, 4)), T((4,), CHECKER, "bool", grad=False), count=6),
    C("masked_select", T(()), T((2, 2), CHECKER, "bool", grad=False), count=2),
    C("masked_select", T((2, 1)), T((3,), CHECKER, "bool", grad=False), count=4),
]
# logit, sinc, nan_to_num, signbit, logaddexp, nansum, rot90
CASES += [
    C("logit", T((3, 4), "unit")),
    C("logit", T((3, 4), "unit"), eps=0.2),
    C("logit", T((2, 3), "class", dtype="int64", grad=False)),
    C("sinc", T((3, 4))),
    C("sinc", T((2, 3), "class", dtype="int64", grad=False)),
    C("nan_to_num", T((3, 4))),
    C("nan_to_num", T((3, 4)), nan=1.5, posinf=2.0, neginf=-3.0),
    C("nan_to_num", T((2, 3), "class", dtype="int64", grad=False), nan=1.0),
    C("signbit", T((3, 4), grad=False)),
    C("signbit", T((2, 3), "class", dtype="int64", grad=False)),
    C("logaddexp", T((3, 4)), T((3, 4))),
    C("logaddexp", T((3, 1, 4)), T((2, 4))),
    C("logaddexp", T(()), T((2, 3))),
    # the special functions, frexp and the floating-point helpers of two
    *(C(op, T((3, 4))) for op in ("erfc", "exp2", "i0", "deg2rad", "rad2deg", "sgn")),
    *(C(op, T((3, 4))) for op in ("special_i0e", "special_i1", "special_i1e")),
    *(C(op, T((3, 4))) for op in ("lgamma", "digamma", "special_log_ndtr")),
    *(C(op, T((3, 4), POS)) for op in ("special_entr", "frexp")),
    *(C(op, T((3, 4), "unit")) for op in ("erfinv", "special_ndtri")),
    *(C(op, T((2, 3), "class", dtype="int64", grad=False)) for op in ("erfc", "lgamma", "sgn")),
    *(C(op, T((3, 4), grad=False)) for op in ("isposinf", "isneginf", "frexp_exponent")),
    C("isposinf", T((2, 3), "class", dtype="int64", grad=False)),
    C("polygamma", T((3, 4), POS), n=0),
    C("polygamma", T((3, 4), POS), n=1),  # (torch's float32 trigamma is off near poles)
    C("polygamma", T((3, 4), POS), n=3),
    C("mvlgamma", T((3, 4), POS), p=1),
    C("mvlgamma", T((3, 4), POS), p=2),
    *(
        case
        for op in ("logaddexp2", "fmax", "fmin", "copysign", "nextafter", "ldexp")
        for case in (
            C(op, T((3, 4)), T((3, 4))),
            C(op, T((3, 1, 4)), T((2, 4))),
            C(op, T(()), T((2, 3))),
        )
    ),
    C("fmax", T((2, 3), "class", dtype="int64", grad=False), T((3,), "class", "int64", grad=False)),
    C("copysign", T((2, 3)), -1.5),
    C("ldexp", T((3, 4)), T((4,), "class", "int64", grad=False)),
    *(
        case
        for op in ("gcd", "lcm")
        for case in (
            C(
                op,
                T((3, 1, 4), "class", "int64", grad=False),
                T((2, 4), "class", "int64", grad=False),
            ),
            C(op, T((), "class", "int64", grad=False), T((2, 3), "class", "int64", grad=False)),
        )
    ),
    C("special_xlog1py", T((3, 1, 4)), T((2, 4), POS)),
    C("special_xlog1py", T(()), T((2, 3), POS)),
    C("special_xlog1py", 1.5, T((2, 3), POS)),
    C("special_xlog1py", T((2, 3)), 0.5),
    C("special_erfcx", T((3, 4))),
    C("special_erfcx", T((2, 3), "class", dtype="int64", grad=False)),
    *(C(f"special_{op}", T((3, 4), POS, grad=False)) for op in SPECIAL_NOT_DIFFERENTIABLE),
    *(C(f"special_{op}", T((3, 4), POS)) for op in SPECIAL_NOT_DIFFERENTIABLE),  # no grad_fn
    C("special_zeta", T((3, 1, 4), POS, grad=False), T((2, 4), POS)),
    C("special_zeta", T((), POS, grad=False), T((2, 3), POS)),
    C("special_zeta", 2.5, T((2, 3), POS)),
    C("special_zeta", T((2, 3), POS, grad=False), 1.5),
    *(
        case
        for op in ("igamma", "igammac")
        for case in (
            C(op, T((3, 1, 4), POS, grad=False), T((2, 4), POS)),
            C(op, T((), POS, grad=False), T((2, 3), POS)),
        )
    ),
    *(
        case
        for op in SPECIAL_POLYNOMIALS
        for case in (
            C(f"special_{op}", T((3, 1, 4), grad=False), T((2, 4), "class", "int64", grad=False)),
            C(f"special_{op}", T((), grad=False), T((2, 3), "class", "int64", grad=False)),
            C(f"special_{op}", 0.3, T((2, 3), "class", "int64", grad=False)),
            C(f"special_{op}", T((2, 3)), 5),
        )
    ),
    C("nansum", T((3, 4))),
    C("nansum", T((2, 3, 4)), dim=[0, 2], keepdim=True),
    C("nansum", T((2, 3)), dim=[1], dtype="float64"),
    C("nansum", T((2, 3), "class", dtype="int64", grad=False), dim=[0]),
    C("rot90", T((3, 4))),
    C("rot90", T((2, 3, 4)), k=2, dims=[2, 0]),
    C("rot90", T((2, 3, 4)), k=-1, dims=[1, -1]),
    C("rot90", T((3, 4)), k=4),
    C("rot90", T((3, 4)), k=7, dims=[1, 0]),
]
# trace, diag_embed, diagonal_copy, linalg_cross, block_diag: torch's own nodes
CASES += [
    C("trace", T((3, 4))),
    C("trace", T((4, 2))),
    C("trace", T((0, 3))),
    C("trace", T((2, 3), "class", dtype="int64", grad=False)),
    C("diag_embed", T((3,))),
    C("diag_embed", T((2, 3)), offset=1),
    C("diag_embed", T((2, 3)), offset=-2, dim1=0, dim2=2),
    C("diag_embed", T((2, 3)), dim1=-1, dim2=0),
    C("diagonal_copy", T((3, 4))),
    C("diagonal_copy", T((3, 4)), offset=2),
    C("diagonal_copy", T((2, 3, 4)), offset=-1, dim1=2, dim2=0),
    C("linalg_cross", T((4, 3)), T((4, 3))),
    C("linalg_cross", T((3, 2)), T((3, 1)), dim=0),
    C("linalg_cross", T((1, 3)), T((4, 3))),
    C(
        "linalg_cross",
        T((2, 3), "class", dtype="int64", grad=False),
        T((2, 3), "class", dtype="int64", grad=False),
    ),
    C("block_diag", T((2, 3)), T((3,)), T(()), T((2, 2), grad=False)),
    C("block_diag", T((2, 0)), T((0, 3))),
    C("block_diag", T((2, 2))),
]
# linear algebra on well-conditioned (DOMINANT) and positive-definite (SPD) matrices
_D3, _S3 = T((3, 3), DOMINANT), T((3, 3), SPD)
CASES += [
    C("linalg_inv", _D3),
    C("linalg_inv", T((2, 4, 4), DOMINANT)),
    C("linalg_inv", T((2, 0, 0))),
    C("linalg_inv_info", T((2, 3, 3), DOMINANT, grad=False)),
    C("linalg_det", _D3),
    C("linalg_det", T((2, 1, 3, 3), DOMINANT)),
    C("linalg_det", T((3, 3))),
    C("linalg_slogdet", T((2, 3, 3), DOMINANT)),
    C("linalg_slogdet", T((3, 3), SPD)),
    C("linalg_slogdet_sign", T((2, 3, 3))),
    C("linalg_solve", _D3, T((3, 2))),
    C("linalg_solve", T((2, 1, 3, 3), DOMINANT), T((4, 3, 2))),
    C("linalg_solve", _D3, T((3,))),
    C("linalg_solve", T((2, 3, 3), DOMINANT), T((2, 3))),
    C("linalg_solve", T((2, 3, 3), DOMINANT), T((4, 3)), left=False),
    C("linalg_cholesky", _S3),
    C("linalg_cholesky", T((2, 4, 4), SPD), upper=True),
    C("linalg_cholesky_info", T((2, 3, 3), SPD, grad=False)),
    C("linalg_solve_triangular", _D3, T((3, 2)), upper=True),
    C("linalg_solve_triangular", T((2, 1, 3, 3), DOMINANT), T((4, 3, 2)), upper=False),
    C("linalg_solve_triangular", _D3, T((2, 3)), upper=True, left=False, unitriangular=True),
    C("linalg_solve_triangular", _D3, T((3, 2)), upper=False, unitriangular=True),
    C("cholesky_solve", T((3, 2)), _S3),
    C("cholesky_solve", T((2, 1, 3, 2)), T((4, 3, 3), SPD), upper=True),
    C("cholesky_inverse", _S3),
    C("cholesky_inverse", T((2, 3, 3), SPD), upper=True),
]
# eigh, svd and matrix_exp: one op per result, all recording torch's one node
CASES += [
    C("linalg_eigh_values", _S3),
    C("linalg_eigh_values", T((2, 4, 4), SPD), UPLO="U"),
    C("linalg_eigh_vectors", _S3),
    C("linalg_eigh_vectors", T((2, 4, 4), SPD), UPLO="U"),
    C("linalg_svd_s", T((4, 3))),
    C("linalg_svd_s", T((2, 3, 5))),
    C("linalg_svd_u", T((4, 3))),
    C("linalg_svd_u", T((2, 3, 5)), full_matrices=False),
    C("linalg_svd_u", T((2, 4, 3)), full_matrices=False),
    C("linalg_svd_u", T((3, 3))),
    C("linalg_svd_vh", T((3, 4))),
    C("linalg_svd_vh", T((2, 5, 3)), full_matrices=False),
    C("linalg_svd_vh", T((2, 3, 5)), full_matrices=False),
    C("linalg_matrix_exp", T((3, 3), "unit")),
    C("linalg_matrix_exp", T((2, 4, 4))),
]
# qr (Householder, LAPACK's signs) and pinv
CASES += [
    C("linalg_qr_q", T((4, 3))),
    C("linalg_qr_q", T((2, 3, 5)), mode="complete"),
    C("linalg_qr_q", T((3, 3), grad=False), mode="r"),
    C("linalg_qr_r", T((2, 4, 3))),
    C("linalg_qr_r", T((3, 5))),
    C("linalg_qr_r", T((3, 3)), mode="complete"),
    C("linalg_qr_r", T((4, 3), grad=False), mode="r"),
    C("linalg_pinv", T((4, 3)), rtol=1e-6),
    C("linalg_pinv", T((2, 3, 5)), atol=0.3),
    C("linalg_pinv", _S3, hermitian=True),
    C("linalg_pinv", T((2, 0, 3))),
]
# lstsq by gelsy, full-rank matrices (a rank-deficient one's solution is gelsy's choice)
CASES += [
    C("linalg_lstsq", T((5, 3)), T((5, 2))),
    C("linalg_lstsq", T((1, 5, 3)), T((2, 5, 2))),
    C("linalg_lstsq", T((2, 5, 3)), T((2, 5))),
    C("linalg_lstsq", T((3, 5)), T((3, 2)), rcond=1e-3),
    C("linalg_lstsq_residuals", T((5, 3)), T((5, 2))),
    C("linalg_lstsq_rank", T((2, 5, 3), grad=False), T((1, 5, 2), grad=False)),
]
# LU (getrf's pivots), lu_unpack and lu_solve on PIVOTS rows swaps; geqrf, householder_product
_P3 = T((3,), PIVOTS, "int32", grad=False)
CASES += [
    C("linalg_lu_factor", _D3),
    C("linalg_lu_factor", T((2, 4, 3))),
    C("linalg_lu_factor", T((2, 3, 5))),
    C("linalg_lu_factor", T((2, 0, 3))),
    C("linalg_lu_factor_pivots", T((2, 4, 3), grad=False)),
    C("linalg_lu_factor_pivots", T((3, 5), grad=False)),
    C("linalg_lu_factor_info", T((2, 3, 3), grad=False)),
    C("linalg_lu_p", T((2, 4, 3), grad=False)),
    C("linalg_lu_p", T((3, 3))),
    C("linalg_lu_l", _D3),
    C("linalg_lu_l", T((2, 4, 3))),
    C("linalg_lu_l", T((3, 5))),
    C("linalg_lu_u", T((2, 3, 3))),
    C("linalg_lu_u", T((4, 3))),
    C("linalg_lu_u", T((2, 3, 5))),
    C("lu_unpack_p", T((2, 3, 3), grad=False), T((2, 3), PIVOTS, "int32", grad=False)),
    C("lu_unpack_p", T((4, 3)), _P3),
    C("lu_unpack_l", T((2, 3, 3)), T((2, 3), PIVOTS, "int32", grad=False)),
    C("lu_unpack_l", T((4, 3)), _P3),
    C("lu_unpack_l", T((3, 5)), _P3),
    C("lu_unpack_u", T((3, 3)), _P3),
    C("lu_unpack_u", T((4, 3)), _P3),
    C("lu_unpack_u", T((2, 3, 5)), T((2, 3), PIVOTS, "int32", grad=False)),
    C(
        "lu_unpack_u",
        T((2, 3, 5), grad=False),
        T((2, 3), PIVOTS, "int32", grad=False),
        unpack_data=False,
    ),
    C("linalg_lu_solve", _D3, _P3, T((3, 2))),
    C(
        "linalg_lu_solve",
        T((2, 1, 3, 3), DOMINANT),
        T((2, 1, 3), PIVOTS, "int32", grad=False),
        T((4, 3, 2)),
    ),
    C("linalg_lu_solve", _D3, _P3, T((2, 3, 2)), adjoint=True),
    C("linalg_lu_solve", _D3, _P3, T((2, 3)), left=False),
    C(
        "linalg_lu_solve",
        T((2, 3, 3), DOMINANT),
        T((2, 3), PIVOTS, "int32", grad=False),
        T((4, 3)),
        left=False,
        adjoint=True,
    ),
    C("linalg_lu_solve", _D3, _P3, T((3, 2), grad=False)),
    C("geqrf_a", T((2, 4, 3), grad=False)),
    C("geqrf_a", T((3, 5), grad=False)),
    C("geqrf_tau", T((2, 4, 3), grad=False)),
    C("geqrf_tau", T((3, 5), grad=False)),
    C("linalg_householder_product", T((4, 3)), T((3,), "unit")),
    C("linalg_householder_product", T((2, 5, 3)), T((2, 2), "unit")),
    C("linalg_householder_product", T((3, 3)), T((3,), "unit", grad=False)),
    C("linalg_householder_product", T((3, 3), grad=False), T((2,), "unit")),
    C("linalg_solve", T((2, 3, 3)), T((3, 2)), check_errors=False),
]
# logsumexp: shifted by the maximum; one_hot: int64 classes in [0, 5)
CASES += [
    C("logsumexp", T((3, 4)), dim=[1]),
    C("logsumexp", T((2, 3, 4)), dim=[0, 2], keepdim=True),
    C("logsumexp", T((2, 3)), dim=[], keepdim=True),
    C("logsumexp", T(()), dim=[]),
    C("logsumexp", T(()), dim=[0]),
    C("logsumexp", T((0, 3)), dim=[0]),  # no elements: -inf
    C("logsumexp", T((3, 4), dtype="int64", grad=False), dim=[1]),
    C("one_hot", T((2, 3), "class", "int64", grad=False), num_classes=5),
    C("one_hot", T((), "class", "int64", grad=False), num_classes=7),
    C("one_hot", T((0,), "class", "int64", grad=False), num_classes=3),
]
# upsample_nearest{1,2,3}d, upsample_bilinear2d: F.interpolate's 'nearest' and 'bilinear', by
# output size or scale (nearest_idx's shortcuts, the generic kernel past 128 rows plus columns,
# channels-last vectors and their tail, align_corners), down and up
CASES += [
    C("upsample_nearest1d", T((2, 3, 5)), output_size=[12]),
    C("upsample_nearest1d", T((2, 3, 5)), output_size=[5], scales=1.1),
    C("upsample_nearest2d", T((2, 3, 5, 7)), output_size=[9, 4]),
    C("upsample_nearest2d", T((1, 2, 3, 5)), output_size=[6, 5], scales_h=2.1, scales_w=1.1),
    C("upsample_nearest2d", T((1, 2, 6, 7)), output_size=[10, 11], scales_h=1.7, scales_w=1.7),
    C("upsample_nearest2d", T((1, 1, 40, 50)), output_size=[100, 55], scales_w=1.1),
    C("upsample_nearest2d", T((0, 2, 3, 3)), output_size=[2, 2]),
    C("upsample_nearest3d", T((1, 2, 3, 4, 5)), output_size=[6, 2, 7]),
    C("upsample_nearest3d", T((1, 2, 3, 4, 5)), output_size=[3, 4, 5], scales_d=1.1),
    C("upsample_linear1d", T((2, 3, 7)), output_size=[11], align_corners=False),
    C("upsample_linear1d", T((2, 9, 40)), output_size=[150], align_corners=True),
    C("upsample_linear1d", T((1, 2, 6)), output_size=[10], align_corners=False, scales=1.7),
    C("upsample_linear1d", T((1, 2, 6)), output_size=[6], align_corners=False),
    C("upsample_bilinear2d", T((2, 3, 5, 7)), output_size=[9, 11], align_corners=False),
    C("upsample_bilinear2d", T((2, 3, 5, 7)), output_size=[9, 11], align_corners=True),
    C("upsample_bilinear2d", T((1, 9, 6, 6)), output_size=[15, 5], align_corners=False),
    C("upsample_bilinear2d", T((2, 16, 4, 5)), output_size=[3, 8], align_corners=True),
    C("upsample_bilinear2d", T((1, 2, 40, 70)), output_size=[100, 30], align_corners=False),
    C("upsample_bilinear2d", T((1, 2, 40, 70)), output_size=[68, 119], align_corners=True),
    C(
        "upsample_bilinear2d",
        T((1, 2, 5, 6)),
        output_size=[12, 5],
        align_corners=False,
        scales_h=2.5,
        scales_w=0.9,
    ),
    C("upsample_bilinear2d", T((1, 2, 1, 5)), output_size=[1, 1], align_corners=True),
]
# _upsample_nearest_exact{1,2,3}d, upsample_trilinear3d, upsample_bicubic2d: F.interpolate's
# 'nearest-exact', 'trilinear' and 'bicubic' (nearest_exact_idx and the generic kernel, clamped
# cubic taps), by size or scale, down and up
CASES += [
    C("_upsample_nearest_exact1d", T((2, 3, 7)), output_size=[12]),
    C("_upsample_nearest_exact1d", T((1, 2, 9)), output_size=[3], scales=0.4),
    C("_upsample_nearest_exact2d", T((2, 3, 5, 7)), output_size=[9, 4]),
    C("_upsample_nearest_exact2d", T((1, 1, 40, 50)), output_size=[100, 55], scales_w=1.1),
    C("_upsample_nearest_exact3d", T((1, 2, 3, 4, 5)), output_size=[6, 2, 7]),
    C("upsample_trilinear3d", T((1, 2, 3, 4, 5)), output_size=[6, 2, 7], align_corners=False),
    C("upsample_trilinear3d", T((2, 1, 3, 4, 2)), output_size=[5, 7, 3], align_corners=True),
    C(
        "upsample_trilinear3d",
        T((1, 1, 6, 7, 8)),
        output_size=[3, 9, 20],
        align_corners=False,
        scales_d=0.6,
        scales_h=1.3,
        scales_w=2.5,
    ),
    C("upsample_bicubic2d", T((2, 3, 5, 7)), output_size=[9, 11], align_corners=False),
    C("upsample_bicubic2d", T((2, 3, 5, 7)), output_size=[9, 11], align_corners=True),
    C("upsample_bicubic2d", T((1, 2, 8, 9)), output_size=[3, 4], align_corners=False),
    C("upsample_bicubic2d", T((1, 2, 2, 3)), output_size=[7, 9], align_corners=False),
    C(
        "upsample_bicubic2d",
        T((1, 2, 5, 6)),
        output_size=[12, 5],
        align_corners=False,
        scales_h=2.5,
        scales_w=0.9,
    ),
]
# pixel_shuffle, pixel_unshuffle: channels to and from r x r blocks, any batch dims
CASES += [
    C("pixel_shuffle", T((2, 8, 3, 4)), upscale_factor=2),
    C("pixel_shuffle", T((9, 2, 3)), upscale_factor=3),
    C("pixel_shuffle", T((2, 3, 4, 2, 2)), upscale_factor=1),
    C("pixel_shuffle", T((0, 4, 2, 2), grad=False), upscale_factor=2),
    C("pixel_unshuffle", T((0, 1, 4, 4), grad=False), downscale_factor=2),
    C("pixel_shuffle", T((1, 4, 2, 3), dtype="int64", grad=False), upscale_factor=2),
    C("pixel_unshuffle", T((2, 2, 6, 4)), downscale_factor=2),
    C("pixel_unshuffle", T((3, 2, 1, 6, 9)), downscale_factor=3),
    C("pixel_unshuffle", T((1, 6, 9), dtype="int64", grad=False), downscale_factor=3),
]
# im2col, col2im: F.unfold and F.fold, batched and not, with padding, dilation and stride
_PATCHES = dict(kernel_size=[2, 3], dilation=[1, 2], padding=[1, 0], stride=[2, 1])
_PLAIN_PATCHES = dict(kernel_size=[2, 2], dilation=[1, 1], padding=[0, 0], stride=[1, 1])
CASES += [
    C("im2col", T((2, 3, 5, 6)), **_PATCHES),
    C("im2col", T((3, 4, 5)), **_PLAIN_PATCHES),
    C("im2col", T((0, 2, 3, 3)), **_PLAIN_PATCHES),
    C("im2col", T((1, 2, 3, 3), dtype="bool", grad=False), **_PLAIN_PATCHES),
    C("col2im", T((2, 12, 6)), output_size=[5, 6], **_PATCHES),
    C("col2im", T((8, 12)), output_size=[4, 5], **_PLAIN_PATCHES),
    C("col2im", T((1, 4, 9), dtype="bool", grad=False), output_size=[4, 4], **_PLAIN_PATCHES),
]
# max_pool3d and avg_pool3d over (C, D, H, W) and (N, C, D, H, W) inputs
_POOLS_3D = [
    ((2, 2, 4, 5, 6), {"kernel_size": [2]}),
    ((2, 5, 6, 5), {"kernel_size": [3, 2, 2], "stride": [2], "padding": [1, 1, 0]}),
    ((1, 2, 5, 7, 6), {"kernel_size": [3], "stride": [2, 1, 2], "padding": [1], "ceil_mode": True}),
    ((0, 2, 4, 4, 4), {"kernel_size": [2]}),
]
CASES += [C(op, T(x), **attrs) for op in ("max_pool3d", "avg_pool3d") for x, attrs in _POOLS_3D]
CASES += [
    C("max_pool3d", T((1, 2, 7, 6, 8)), kernel_size=[2, 3, 2], dilation=[3, 1, 2], padding=[1]),
    C("max_pool3d", T((1, 2, 4, 5, 5), TIES), kernel_size=[3], stride=[1]),  # ties: the first
    C("max_pool3d_indices", T((2, 2, 4, 6, 6), grad=False), kernel_size=[2]),
    C("max_pool3d_indices", T((2, 5, 6, 7), TIES, grad=False), kernel_size=[3], padding=[1]),
    C(
        "max_pool3d_indices",
        T((1, 2, 7, 6, 8), grad=False),
        kernel_size=[2, 3, 2],
        stride=[2],
        dilation=[2, 1, 3],
        ceil_mode=True,
    ),
    C(
        "avg_pool3d",
        T((2, 1, 5, 5, 5)),
        kernel_size=[3],
        stride=[2],
        padding=[1],
        count_include_pad=False,
    ),
    C(
        "avg_pool3d",
        T((2, 5, 6, 5)),
        kernel_size=[3, 2, 3],
        padding=[1],
        ceil_mode=True,
        divisor_override=7,
    ),
    C(
        "avg_pool3d",
        T((1, 1, 5, 5, 5)),
        kernel_size=[2],
        stride=[3],
        ceil_mode=True,
        count_include_pad=False,
    ),
]
# max_unpool2d and max_unpool3d: torch's own sort indices of (.., 1, L) inputs, distinct in each
# plane (torch's CPU kernel writes repeated indices from several threads, in no fixed order)
CASES += [
    C(
        "max_unpool2d",
        T((2, 3, 1, 4)),
        T((2, 3, 1, 4), SORTED, _POSITIONS, grad=False),
        output_size=[2, 3],
    ),
    C(
        "max_unpool2d",
        T((3, 1, 5)),
        T((3, 1, 5), SORTED, _POSITIONS, grad=False),
        output_size=[5, 1],
    ),
    C(
        "max_unpool2d",
        T((0, 3, 1, 2)),
        T((0, 3, 1, 2), SORTED, _POSITIONS, grad=False),
        output_size=[2, 3],
    ),
    C(
        "max_unpool3d",
        T((3, 1, 1, 4)),
        T((3, 1, 1, 4), SORTED, _POSITIONS, grad=False),
        output_size=[1, 2, 3],
        stride=[1, 1, 1],
        padding=[0, 0, 0],
    ),
    C(
        "max_unpool3d",
        T((2, 3, 1, 1, 6)),
        T((2, 3, 1, 1, 6), SORTED, _POSITIONS, grad=False),
        output_size=[2, 2, 2],
        stride=[2, 1, 1],
        padding=[0, 1, 0],
    ),
]
# adaptive_avg_pool3d and adaptive_max_pool3d: adaptive windows along each of three dims
CASES += [
    C(op, T(x), output_size=size)
    for op in ("adaptive_avg_pool3d", "adaptive_max_pool3d")
    for x, size in (
        ((2, 2, 5, 7, 4), [3, 2, 3]),
        ((2, 3, 5, 4), [4, 6, 5]),
        ((0, 2, 3, 3, 3), [2, 2, 2]),
    )
]
CASES += [  # an empty output (its backward refuses, as torch's)
    C(op, T((1, 2, 4, 4, 4), grad=False), output_size=[0, 2, 1])
    for op in ("adaptive_avg_pool3d", "adaptive_max_pool3d")
]
CASES += [
    C("adaptive_max_pool3d", T((1, 2, 4, 6, 6), TIES), output_size=[3, 4, 3]),
    C("adaptive_max_pool3d_indices", T((2, 2, 5, 7, 4), grad=False), output_size=[3, 2, 3]),
    C("adaptive_max_pool3d_indices", T((2, 4, 6, 6), TIES, grad=False), output_size=[2, 4, 4]),
    C("adaptive_max_pool3d_indices", T((1, 2, 3, 4, 5), ZEROS, grad=False), output_size=[2, 3, 2]),
]
# adaptive_avg_pool2d: windows [floor(i H / oH), ceil((i + 1) H / oH)), overlapping or not
CASES += [
    C("adaptive_avg_pool2d", T((2, 3, 7, 5)), output_size=[3, 2]),
    C("adaptive_avg_pool2d", T((3, 7, 5)), output_size=[9, 6]),
    C("adaptive_avg_pool2d", T((1, 2, 8, 8)), output_size=[4, 1]),
    C("adaptive_avg_pool2d", T((0, 2, 3, 3)), output_size=[2, 2]),
]
# adaptive_max_pool2d: the same windows; the first of ties, nan wins
CASES += [
    C("adaptive_max_pool2d", T((2, 3, 7, 5)), output_size=[3, 2]),
    C("adaptive_max_pool2d", T((3, 7, 5)), output_size=[9, 6]),
    C("adaptive_max_pool2d", T((1, 2, 6, 6), TIES), output_size=[4, 3]),
    C("adaptive_max_pool2d", T((2, 2, 4, 5), ZEROS), output_size=[3, 3]),
    C("adaptive_max_pool2d", T((0, 2, 3, 3)), output_size=[2, 2]),
    C("adaptive_max_pool2d", T((2, 3, 3, 3), dtype="float64"), output_size=[2, 3]),
    C("adaptive_max_pool2d_indices", T((2, 3, 7, 5), grad=False), output_size=[3, 2]),
    C("adaptive_max_pool2d_indices", T((2, 6, 6), TIES, grad=False), output_size=[4, 4]),
    C("adaptive_max_pool2d_indices", T((1, 2, 4, 5), ZEROS, grad=False), output_size=[3, 2]),
]
# fractional_max_pool2d/3d: windows at the starts each plane's random samples (unit) place,
# overlapping or not, batched and unbatched; more sample rows than the batch uses
CASES += [
    C(op, T(x), T(samples, "unit", grad=False), kernel_size=kernel, output_size=size)
    for op in ("fractional_max_pool2d", "fractional_max_pool2d_indices")
    for x, samples, kernel, size in (
        ((2, 3, 7, 8), (2, 3, 2), [2, 2], [3, 4]),
        ((3, 9, 5), (1, 3, 2), [3, 1], [4, 5]),
        ((1, 2, 6, 6), (2, 2, 2), [2, 3], [5, 1]),
        ((0, 2, 3, 3), (0, 2, 2), [2, 2], [2, 2]),
    )
]
CASES += [
    C(op, T(x), T(samples, "unit", grad=False), kernel_size=kernel, output_size=size)
    for op in ("fractional_max_pool3d", "fractional_max_pool3d_indices")
    for x, samples, kernel, size in (
        ((2, 2, 5, 6, 7), (2, 2, 3), [2, 2, 2], [3, 4, 3]),
        ((2, 6, 4, 5), (1, 2, 3), [1, 2, 3], [5, 2, 2]),
    )
]
CASES += [
    C(
        "fractional_max_pool2d",
        T((1, 2, 6, 6), TIES),
        T((1, 2, 2), "unit", grad=False),
        kernel_size=[2, 2],
        output_size=[4, 3],
    ),
    C(
        "fractional_max_pool2d_indices",
        T((2, 6, 6), TIES, grad=False),
        T((1, 2, 2), "unit", grad=False),
        kernel_size=[3, 2],
        output_size=[3, 4],
    ),
    C(
        "fractional_max_pool3d_indices",
        T((1, 2, 3, 4, 5), ZEROS, grad=False),
        T((1, 2, 3), "unit", grad=False),
        kernel_size=[2, 2, 2],
        output_size=[1, 2, 3],
    ),
]
# reflection_pad{1,2,3}d, replication_pad{1,2,3}d: F.pad's 'reflect' and 'replicate' modes,
# batched and unbatched, with negative paddings (which remove elements)
for _kind in ("reflection", "replication"):
    CASES += [
        C(f"{_kind}_pad1d", T((2, 3, 5)), padding=[2, 4]),
        C(f"{_kind}_pad1d", T((3, 4)), padding=[-2, 3]),
        C(f"{_kind}_pad2d", T((2, 2, 4, 5)), padding=[1, 2, 3, 0]),
        C(f"{_kind}_pad2d", T((2, 4, 5)), padding=[3, -1, -2, 2]),
        C(f"{_kind}_pad3d", T((1, 2, 3, 4, 5)), padding=[1, 1, 2, 0, 0, 2]),
        C(f"{_kind}_pad3d", T((2, 3, 4, 3)), padding=[-1, 2, 1, 1, 2, -1]),
        C(f"{_kind}_pad1d", T((0, 2, 3)), padding=[1, 1]),  # an empty batch
    ]

# Operands of different float dtypes in one call: the result's dtype follows torch.result_type
# (a dimensioned float32 tensor outranks a 0-d float64 one) and each gradient comes back in its
# input's own dtype.
MIXED_CASES: list[Case] = [
    C(op, T((2, 3), _base, "float32"), T((), POS if op in ("div", "pow") else "any", "float64"))
    for op, _base in (*((b, "any") for b in BINARY), ("pow", POS))
] + [
    C("add", T((2, 3), dtype="float64"), T((3,), dtype="float32")),
    C("fill_tensor", T((2, 3), dtype="float32"), T((), dtype="float64")),
    C(
        "masked_fill_tensor",
        T((2, 3), dtype="float64"),
        T((3,), dtype="bool", grad=False),
        T((), dtype="float32"),
    ),
    C("mul", T((), dtype="float32"), T((2, 3), dtype="float64")),
    C("div", T((2, 3), dtype="float64"), T((2, 3), POS, "float32")),
    C("mse_loss", T((2, 3), dtype="float32"), T((2, 3), dtype="float64")),
    C("add", T((2, 3), dtype="float32"), T((), dtype="float64", grad=False)),
    C("cat", T((2, 3), dtype="float32"), T((1, 3), dtype="float64")),
    C("stack", T((3,), dtype="float64"), T((3,), dtype="float32")),
    C("cat", T((2, 3), dtype="float32"), T((1, 3), dtype="int64", grad=False)),
]


def _non_contiguous(x: torch.Tensor) -> torch.Tensor:
    """The same values as `x` in a non-contiguous layout (the last two dims swapped in memory)."""
    out = x.mT.contiguous().mT
    assert not out.is_contiguous()
    return out


def _sum_or_mean(fn: Callable) -> Callable:
    # torch.sum(x) is sum's first overload (SumBackward0); any dim/keepdim picks dim_IntList.
    def call(x, dim, keepdim, dtype):
        dtype = {"dtype": getattr(torch, dtype)} if dtype else {}
        if dim is None and not keepdim:
            return fn(x, **dtype)
        return fn(x, dim=dim, keepdim=keepdim, **dtype)

    return call


def _index_reduce(x, index, src, dim, reduce, include_self):
    """torch.index_reduce with the 1-d index the case's index spreads over src."""
    along = index.movedim(dim, 0).reshape(index.shape[dim], -1)[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # index_reduce is in beta
        return torch.index_reduce(x, dim, along, src, reduce, include_self=include_self)


def _checked_values(result, indices: torch.Tensor) -> torch.Tensor:
    """The values of torch.sort's or torch.topk's result, once the case's SORTED indices are
    checked to be the ones it returned."""
    assert torch.equal(result.indices, indices)
    return result.values


def _median_function(ignore_nan: bool) -> Callable:
    return torch.nanmedian if ignore_nan else torch.median


def _cumulative(function: Callable) -> Callable:
    return lambda x, dim, dtype: function(x, dim, dtype=getattr(torch, dtype) if dtype else None)


# Each op's torch counterpart, called with the same operands (Python numbers included, as
# torch's wrapped scalars) and the op's attrs completed with their defaults.
def _overloaded(op: str) -> Callable:
    """torch.<op>, or with scalar_overload aten's <op>.Scalar (the Backward1 node), with
    alpha."""

    def call(x, other, scalar_overload=False, alpha=1, rounding_mode=""):
        # the default left out, so that torch's argument errors read as for a plain call
        keywords = {} if type(alpha) is int and alpha == 1 else {"alpha": alpha}
        if rounding_mode:
            keywords["rounding_mode"] = rounding_mode
        if scalar_overload:
            return getattr(torch.ops.aten, op).Scalar(x, other, **keywords)
        return getattr(torch, op)(x, other, **keywords)

    return call


def _fractional_max_pool(dims: int, indices: bool) -> Callable:
    """torch's fractional_max_pool{dims}d as the op table takes it: the samples second; its
    values, or its indices."""
    function = getattr(torch._C._nn, f"fractional_max_pool{dims}d")
    return lambda x, samples, kernel_size, output_size: function(
        x, kernel_size, output_size, samples
    )[int(indices)]


def _whole(value: float) -> float | int:
    """A float with no fraction as the int it is."""
    return int(value) if float(value).is_integer() else value


TORCH: dict[str, Callable] = {
    "add": _overloaded("add"),
    "sub": _overloaded("sub"),
    "rsub": _overloaded("rsub"),
    "mul": _overloaded("mul"),
    "div": _overloaded("div"),
    "pow": torch.pow,
    "floor_divide": torch.floor_divide,
    "heaviside": torch.heaviside,
    "histc": lambda x, bins, min, max: torch.histc(x, bins, min, max),
    "cdist": lambda x1, x2, p: torch.cdist(x1, x2, p),
    "euclidean_dist": torch._euclidean_dist,
    "unique": lambda x, count, consecutive: (
        torch.unique_consecutive(x) if consecutive else torch.unique(x)
    ),
    "unique_dim": lambda x, inverse, dim, count, consecutive: (
        torch.unique_consecutive(x, dim=dim) if consecutive else torch.unique(x, dim=dim)
    ),
    "searchsorted": lambda boundaries, x, right: torch.searchsorted(boundaries, x, right=right),
    "bincount": lambda x, length: torch.bincount(x, minlength=length),
    "bincount_weighted": lambda x, weights, length: torch.bincount(x, weights, length),
    **{name: getattr(torch, name) for name in UNARY + ROUNDING + PREDICATES},
    **{
        name: lambda x, in_place=False, name=name: (
            getattr(torch, f"{name}_")(x.clone()) if in_place else getattr(torch, name)(x)
        )
        for name in ("asinh", "acosh", "atanh")
    },
    "round": lambda x, decimals=None: (
        torch.round(x) if decimals is None else torch.round(x, decimals=decimals)
    ),
    **{name: getattr(torch, name) for name in COMPARISONS},
    **{name: getattr(torch, name) for name in (*LOGICAL, "logical_not", *BITWISE, "bitwise_not")},
    "isclose": torch.isclose,
    "mm": torch.mm,
    "mv": torch.mv,
    "dot": torch.dot,
    "bmm": torch.bmm,
    "expand": lambda x, shape: x.expand(shape),
    "t": torch.t,
    "transpose": torch.transpose,
    "permute": torch.permute,
    "view": lambda x, shape: x.view(shape),
    # torch.reshape of a non-contiguous tensor: clone, then _unsafe_view (UnsafeViewBackward0)
    "_unsafe_view": lambda x, shape: _non_contiguous(x).reshape(shape),
    "_reshape_alias": lambda x, shape: torch.ops.aten._reshape_alias(
        x,
        shape,
        x.view(shape).stride(),  # view's refusal where the strides allow no view
    ),
    "clone": torch.clone,
    "select": torch.select,
    "slice": torch.ops.aten.slice,
    "alias": torch.ops.aten.alias,
    "diagonal": torch.diagonal,
    "unbind": lambda x, dim, index: torch.unbind(x, dim)[index],
    "split": lambda x, split_size, index, dim=0: torch.split(x, split_size, dim)[index],
    "split_with_sizes": lambda x, split_sizes, dim, index: x.split_with_sizes(split_sizes, dim)[
        index
    ],
    "cat": lambda *tensors, dim: torch.cat(tensors, dim),
    "stack": lambda *tensors, dim: torch.stack(tensors, dim),
    "index": lambda x, *indices, dims: torch.ops.aten.index.Tensor(
        x, [indices[dims.index(d)] if d in dims else None for d in range(max(dims) + 1)]
    ),
    "where": torch.where,
    "clamp_min_tensor": torch.clamp_min,
    "clamp_max_tensor": torch.clamp_max,
    "clamp_tensors": lambda x, low, high, has_min=False, has_max=False: torch.clamp(
        x, low if has_min else None, high if has_max else None
    ),
    "masked_fill": lambda x, mask, value: x.masked_fill(mask, value),
    "zero": lambda x: x.clone().zero_(),
    "fill": lambda x, value: x.clone().fill_(value),
    "fill_tensor": lambda x, value: x.clone().fill_(value),
    "masked_fill_tensor": lambda x, mask, value: x.masked_fill(mask, value),
    "copy": lambda x, src: x.clone().copy_(src),  # aten.copy has no eager derivative
    "index_put": lambda x, values, *indices, dims, accumulate=False: torch.ops.aten.index_put(
        x,
        [indices[dims.index(d)] if d in dims else None for d in range(max(dims) + 1)],
        values,
        accumulate,
    ),
    "unsqueeze": torch.unsqueeze,
    "squeeze": lambda x, dim=None, dims=None: (
        torch.squeeze(x, tuple(dims))
        if dims is not None
        else torch.squeeze(x)
        if dim is None
        else torch.squeeze(x, dim)
    ),
    # copy=True: torch returns the tensor itself for its own dtype; the op always copies
    "_to_copy": lambda x, dtype: x.to(getattr(torch, dtype), copy=True),
    # in place on a fresh result, as torch.matmul(vector, matrix) does (SqueezeBackward4)
    "squeeze_": lambda x, dim: x.clone().squeeze_(dim),
    "max": torch.max,
    "min": torch.min,
    "max_dim": lambda x, dim, keepdim: torch.max(x, dim, keepdim).values,
    "min_dim": lambda x, dim, keepdim: torch.min(x, dim, keepdim).values,
    "amax": torch.amax,
    "amin": torch.amin,
    "argmax": torch.argmax,
    "argmin": torch.argmin,
    "argsort": lambda x, dim, descending, stable: torch.argsort(
        x, dim=dim, descending=descending, stable=stable
    ),
    "sort": lambda x, indices, dim, stable=None: _checked_values(
        torch.sort(x, dim) if stable is None else torch.sort(x, dim=dim, stable=stable), indices
    ),
    "median": lambda x, ignore_nan: _median_function(ignore_nan)(x),
    "median_indices": lambda x, dim, keepdim, ignore_nan: (
        _median_function(ignore_nan)(x, dim, keepdim).indices
    ),
    "median_dim": lambda x, indices, dim, keepdim, ignore_nan: _checked_values(
        _median_function(ignore_nan)(x, dim, keepdim), indices
    ),
    "mode_indices": lambda x, dim, keepdim: torch.mode(x, dim, keepdim).indices,
    "mode": lambda x, indices, dim, keepdim: _checked_values(torch.mode(x, dim, keepdim), indices),
    "kthvalue_indices": lambda x, k, dim, keepdim: torch.kthvalue(x, k, dim, keepdim).indices,
    "kthvalue": lambda x, indices, k, dim, keepdim: _checked_values(
        torch.kthvalue(x, k, dim, keepdim), indices
    ),
    "cummax_indices": lambda x, dim: torch.cummax(x, dim).indices,
    "cummin_indices": lambda x, dim: torch.cummin(x, dim).indices,
    "cummax": lambda x, indices, dim: _checked_values(torch.cummax(x, dim), indices),
    "cummin": lambda x, indices, dim: _checked_values(torch.cummin(x, dim), indices),
    "logcumsumexp": torch.logcumsumexp,
    "aminmax_min": lambda x, dim, keepdim: torch.aminmax(x, dim=dim, keepdim=keepdim).min,
    "aminmax_max": lambda x, dim, keepdim: torch.aminmax(x, dim=dim, keepdim=keepdim).max,
    "masked_scatter": torch.masked_scatter,
    "put": torch.put,
    "select_scatter": torch.select_scatter,
    "slice_scatter": torch.slice_scatter,
    "diagonal_scatter": torch.diagonal_scatter,
    "isin": lambda elements, test_elements, invert: torch.isin(
        elements, test_elements, invert=invert
    ),
    "index_reduce": _index_reduce,
    "topk_indices": lambda x, k, dim, largest, sorted: torch.topk(x, k, dim, largest, sorted)[1],
    "topk": lambda x, indices, dim: _checked_values(
        torch.topk(x, indices.shape[dim] if indices.ndim else 1, dim), indices
    ),
    "gather": lambda x, index, dim: torch.gather(x, dim, index),
    "index_select": lambda x, index, dim: torch.index_select(x, dim, index),
    "pack_padded_sequence": lambda x, lengths, total, batch_first=False: (
        torch._pack_padded_sequence(x, lengths, batch_first)[0]
    ),
    "scatter": lambda x, index, src, dim, reduce: (
        torch.scatter(x, dim, index, src, reduce=reduce)
        if reduce
        else torch.scatter(x, dim, index, src)
    ),
    "scatter_value": lambda x, index, dim, value, reduce: (
        torch.scatter(x, dim, index, value, reduce=reduce)
        if reduce
        else torch.scatter(x, dim, index, value)
    ),
    "scatter_add": lambda x, index, src, dim: torch.scatter_add(x, dim, index, src),
    "scatter_reduce": lambda x, index, src, dim, reduce, include_self: torch.scatter_reduce(
        x, dim, index, src, reduce, include_self=include_self
    ),
    "prod": lambda x, dim, keepdim, dtype: (
        torch.prod(x, dtype=getattr(torch, dtype) if dtype else None)
        if dim is None
        else torch.prod(x, dim, keepdim, dtype=getattr(torch, dtype) if dtype else None)
    ),
    "cumsum": _cumulative(torch.cumsum),
    "cumprod": _cumulative(torch.cumprod),
    "all": lambda x, dim, keepdim: torch.all(x, dim=dim, keepdim=keepdim),
    "any": lambda x, dim, keepdim: torch.any(x, dim=dim, keepdim=keepdim),
    **{name: getattr(torch, name) for name in (*TWO_TENSOR_MATH, *MODULO, "xlogy")},
    "lerp": torch.lerp,
    "lerp_tensor": torch.lerp,
    "addcmul": torch.addcmul,
    "addcdiv": torch.addcdiv,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "clamp": torch.clamp,
    "clamp_min": torch.clamp_min,
    "clamp_max": torch.clamp_max,
    "sum": _sum_or_mean(torch.sum),
    "mean": _sum_or_mean(torch.mean),
    "var": torch.var,
    # norm_overload: aten's norm.ScalarOpt_dim (NormBackward1), the same values and gradient
    "linalg_vector_norm": lambda x, ord, dim, keepdim, dtype, norm_overload: (
        torch.ops.aten.norm.ScalarOpt_dim(x, ord, dim, keepdim)
        if norm_overload
        else torch.linalg.vector_norm(
            x, ord, dim, keepdim, dtype=getattr(torch, dtype) if dtype else None
        )
    ),
    "std": torch.std,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "mse_loss": F.mse_loss,
    "multi_margin_loss": lambda x, y, weight=None, reduction="mean", p=1, margin=1.0: (
        F.multi_margin_loss(x, y, p, margin, weight, reduction=reduction)
    ),
    "ctc_loss": lambda x, t, input_lengths, target_lengths, blank, zero_infinity: (
        torch.ops.aten._ctc_loss(x, t.long(), input_lengths, target_lengths, blank, zero_infinity)[
            0
        ]
    ),
    "multilabel_margin_loss": lambda x, y, reduction="mean": F.multilabel_margin_loss(
        x, y, reduction=reduction
    ),
    "soft_margin_loss": lambda x, y, reduction="mean": F.soft_margin_loss(
        x, y, reduction=reduction
    ),
    # as F's wrappers call the native ops: on broadcast operands (the native backward of a
    # mean divides by the unbroadcast input's size); smooth_l1_loss with beta 0 too (F's is
    # l1_loss then); in-place forms on a clone record ...Backward1
    "smooth_l1_loss": lambda x, y, reduction, beta: torch._C._nn.smooth_l1_loss(
        *torch.broadcast_tensors(x, y), _REDUCTION_ENUM[reduction], beta
    ),
    "huber_loss": lambda x, y, reduction, delta: torch._C._nn.huber_loss(
        *torch.broadcast_tensors(x, y), _REDUCTION_ENUM[reduction], delta
    ),
    "binary_cross_entropy": lambda x, y, weight=None, reduction="mean": (
        torch._C._nn.binary_cross_entropy(x, y, weight, _REDUCTION_ENUM[reduction])
    ),
    "leaky_relu": lambda x, negative_slope, self_is_result: (
        torch._C._nn.leaky_relu_(x.clone(), negative_slope)
        if self_is_result
        else F.leaky_relu(x, negative_slope)
    ),
    "elu": lambda x, alpha, scale, input_scale, self_is_result: (
        torch._C._nn.elu_ if self_is_result else torch._C._nn.elu
    )(x.clone() if self_is_result else x, alpha, scale, input_scale),
    "celu": lambda x, alpha, self_is_result: (
        torch.celu_(x.clone(), alpha) if self_is_result else torch.celu(x, alpha)
    ),
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": F.softplus,
    "hardtanh": F.hardtanh,
    "mish": F.mish,
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "log_sigmoid": F.logsigmoid,
    "hardshrink": F.hardshrink,
    "softshrink": F.softshrink,
    "threshold": lambda x, threshold, value, in_place=False: (
        torch.threshold_(x.clone(), threshold, value)
        if in_place
        else torch.threshold(x, threshold, value)
    ),
    "prelu_kernel": torch._prelu_kernel,
    "rrelu_with_noise": lambda x, noise, lower, upper, training, self_is_result: (
        torch._C._nn.rrelu_with_noise_ if self_is_result else torch._C._nn.rrelu_with_noise
    )(x.clone() if self_is_result else x, torch.empty_like(x), lower, upper, training),
    "trilinear": lambda x1, w, x2: torch._trilinear(x1, w, x2, [1, 3], [0], [1, 2], [2, 3]),
    "glu": F.glu,
    "addmm": torch.addmm,
    "addmv": torch.addmv,
    "addr": lambda x, a, b, beta=1, alpha=1: torch.addr(  # whole factors as ints, as
        x,
        a,
        b,
        beta=_whole(beta),
        alpha=_whole(alpha),  # integral addr takes them
    ),
    "baddbmm": torch.baddbmm,
    "addbmm": torch.addbmm,
    "vdot": torch.vdot,
    "dist": torch.dist,
    "renorm": torch.renorm,
    "softmax": torch.softmax,
    "log_softmax": torch.log_softmax,
    "_safe_softmax": torch._safe_softmax,
    "layer_norm": lambda x, w, b, normalized_shape, eps=1e-5: F.layer_norm(
        x, normalized_shape, *(p if isinstance(p, torch.Tensor) else None for p in (w, b)), eps
    ),
    "native_group_norm": lambda x, w, b, num_groups, eps: torch.group_norm(
        x, num_groups, *(p if isinstance(p, torch.Tensor) else None for p in (w, b)), eps
    ),
    "batch_norm": lambda x, w, b, *running, training, eps: F.batch_norm(
        x,
        *(running or (None, None)),
        *(p if isinstance(p, torch.Tensor) else None for p in (w, b)),
        training=training,
        eps=eps,
    ),
    "batch_norm_running_stats": lambda x, mean, var, momentum: _running_stats(
        x, mean, var, momentum
    ),
    "nll_loss": F.nll_loss,
    # a 4-d input: torch's nll_loss2d (NllLoss2DBackward0), whose backward refuses a
    # non-contiguous input ("grad_input must be contiguous"), where the engine's takes it
    "nll_loss2d": lambda x, *rest, **attrs: F.nll_loss(x.contiguous(), *rest, **attrs),
    "embedding": torch.embedding,
    "embedding_bag": lambda weight, indices, offsets, psw, **attrs: torch.embedding_bag(
        weight,
        indices,
        offsets,
        attrs["scale_grad_by_freq"],
        {"sum": 0, "mean": 1, "max": 2}[attrs["mode"]],
        False,
        None if isinstance(psw, int) else psw,
        attrs["include_last_offset"],
        attrs["padding_idx"] if attrs["padding_idx"] >= 0 else None,
    )[0],
    # torch's renorm works in place: the rows it leaves, as the op returns them
    "embedding_renorm": lambda weight, indices, max_norm, norm_type: torch.embedding_renorm_(
        weight.detach().clone(), indices, max_norm, norm_type
    )[indices.reshape(-1)],
    "convolution": lambda x, w, b, **attrs: torch.convolution(
        x, w, b if isinstance(b, torch.Tensor) else None, **attrs
    ),
    "constant_pad_nd": torch.constant_pad_nd,
    "repeat": lambda x, repeats: x.repeat(repeats),
    "flip": torch.flip,
    "roll": torch.roll,
    "tril": torch.tril,
    "triu": torch.triu,
    "logit": torch.logit,
    "sinc": torch.sinc,
    "nan_to_num": torch.nan_to_num,
    "signbit": torch.signbit,
    "logaddexp": torch.logaddexp,
    **{
        name: getattr(torch, name)
        for name in ("erfc", "erfinv", "exp2", "lgamma", "digamma", "i0", "deg2rad", "rad2deg")
    },
    **{name: getattr(torch, name) for name in ("sgn", "isposinf", "isneginf", "logaddexp2")},
    **{name: getattr(torch, name) for name in ("fmax", "fmin", "copysign", "nextafter", "ldexp")},
    "gcd": torch.gcd,
    "lcm": torch.lcm,
    **{
        f"special_{name}": getattr(torch.special, name)
        for name in ("ndtri", "log_ndtr", "i0e", "i1", "i1e", "entr", "xlog1py", "erfcx", "zeta")
    },
    **{
        f"special_{name}": getattr(torch.special, name)
        for name in SPECIAL_NOT_DIFFERENTIABLE + SPECIAL_POLYNOMIALS
    },
    "igamma": torch.igamma,
    "igammac": torch.igammac,
    "polygamma": lambda x, n, in_place=False: torch.polygamma(n, x),
    "mvlgamma": torch.mvlgamma,
    "frexp": lambda x: torch.frexp(x).mantissa,
    "frexp_exponent": lambda x: torch.frexp(x).exponent,
    "nansum": lambda x, dim=None, keepdim=False, dtype="": torch.nansum(
        x, dim, keepdim, dtype=TORCH_DTYPES[dtype] if dtype else None
    ),
    "rot90": torch.rot90,
    "index_add": lambda x, index, source, dim, alpha: x.index_add(dim, index, source, alpha=alpha),
    "unfold": lambda x, dimension, size, step: x.unfold(dimension, size, step),
    "index_copy": lambda x, index, source, dim: x.index_copy(dim, index, source),
    "index_fill": lambda x, index, dim, value: x.index_fill(dim, index, value),
    "index_fill_tensor": lambda x, index, value, dim: x.index_fill(dim, index, value),
    "take": torch.take,
    "masked_select": lambda x, mask, count: torch.masked_select(x, mask),
    "trace": torch.trace,
    "diag_embed": torch.diag_embed,
    "diagonal_copy": torch.diagonal_copy,
    "linalg_cross": torch.linalg.cross,
    "linalg_inv": lambda A, check_errors, function: torch.linalg.inv(A),
    "linalg_inv_info": lambda A: torch.linalg.inv_ex(A).info,
    "linalg_det": lambda A, function: torch.linalg.det(A),
    "linalg_slogdet": lambda A, function: torch.linalg.slogdet(A).logabsdet,
    "linalg_slogdet_sign": lambda A, function: torch.linalg.slogdet(A).sign,
    "linalg_solve": lambda A, B, left, check_errors, function: (
        torch.linalg.solve_ex(A, B, left=left).result
    ),
    "linalg_cholesky": lambda A, upper, check_errors, function: torch.linalg.cholesky(
        A, upper=upper
    ),
    "linalg_cholesky_info": lambda A, upper: torch.linalg.cholesky_ex(A, upper=upper).info,
    "linalg_solve_triangular": torch.linalg.solve_triangular,
    "cholesky_solve": torch.cholesky_solve,
    "cholesky_inverse": torch.cholesky_inverse,
    "linalg_eigh_values": lambda A, UPLO: torch.linalg.eigh(A, UPLO).eigenvalues,
    "linalg_eigh_vectors": lambda A, UPLO: torch.linalg.eigh(A, UPLO).eigenvectors,
    "linalg_svd_u": lambda A, full_matrices: torch.linalg.svd(A, full_matrices).U,
    "linalg_svd_s": lambda A: torch.linalg.svd(A).S,
    "linalg_svd_vh": lambda A, full_matrices: torch.linalg.svd(A, full_matrices).Vh,
    "linalg_matrix_exp": torch.linalg.matrix_exp,
    "linalg_qr_q": lambda A, mode: torch.linalg.qr(A, mode).Q,
    "linalg_qr_r": lambda A, mode: torch.linalg.qr(A, mode).R,
    "linalg_pinv": torch.linalg.pinv,
    "linalg_lstsq": lambda A, B, rcond: torch.linalg.lstsq(A, B, rcond or None).solution,
    "linalg_lstsq_residuals": lambda A, B: torch.linalg.lstsq(A, B).residuals,
    "linalg_lstsq_rank": lambda A, B, rcond: torch.linalg.lstsq(A, B, rcond or None).rank,
    "linalg_lu_factor": lambda A, pivot, check_errors, function: torch.linalg.lu_factor(A).LU,
    "linalg_lu_factor_pivots": lambda A, pivot: torch.linalg.lu_factor(A).pivots,
    "linalg_lu_factor_info": lambda A, pivot: torch.linalg.lu_factor_ex(A).info,
    "linalg_lu_p": lambda A, pivot: torch.linalg.lu(A).P,
    "linalg_lu_l": lambda A, pivot: torch.linalg.lu(A).L,
    "linalg_lu_u": lambda A, pivot: torch.linalg.lu(A).U,
    "lu_unpack_p": lambda LU, pivots: torch.lu_unpack(LU, pivots).P,
    "lu_unpack_l": lambda LU, pivots, **flags: torch.lu_unpack(LU, pivots, **flags).L,
    "lu_unpack_u": lambda LU, pivots, **flags: torch.lu_unpack(LU, pivots, **flags).U,
    "linalg_lu_solve": torch.linalg.lu_solve,
    "geqrf_a": lambda A: torch.geqrf(A).a,
    "geqrf_tau": lambda A: torch.geqrf(A).tau,
    "linalg_householder_product": torch.linalg.householder_product,
    "block_diag": torch.block_diag,
    "logsumexp": torch.logsumexp,
    "one_hot": F.one_hot,
    **{
        name: getattr(torch._C._nn, name)
        for name in (
            "upsample_nearest1d",
            "upsample_nearest2d",
            "upsample_nearest3d",
            "upsample_linear1d",
            "upsample_bilinear2d",
            "_upsample_nearest_exact1d",
            "_upsample_nearest_exact2d",
            "_upsample_nearest_exact3d",
            "upsample_trilinear3d",
            "upsample_bicubic2d",
        )
    },
    "im2col": torch._C._nn.im2col,
    "col2im": torch._C._nn.col2im,
    "pixel_shuffle": torch.pixel_shuffle,
    "pixel_unshuffle": torch.pixel_unshuffle,
    "adaptive_avg_pool2d": torch.ops.aten._adaptive_avg_pool2d,
    "adaptive_max_pool2d": lambda x, output_size: torch._C._nn.adaptive_max_pool2d(x, output_size)[
        0
    ],
    "adaptive_max_pool2d_indices": lambda x, output_size: torch._C._nn.adaptive_max_pool2d(
        x, output_size
    )[1],
    **{
        f"{kind}_pad{dims}d": getattr(torch._C._nn, f"{kind}_pad{dims}d")
        for kind in ("reflection", "replication")
        for dims in (1, 2, 3)
    },
    "max_pool2d": torch.max_pool2d,
    "max_pool2d_indices": lambda x, **attrs: torch._C._nn.max_pool2d_with_indices(x, **attrs)[1],
    "avg_pool2d": torch._C._nn.avg_pool2d,
    "max_pool3d": torch.max_pool3d,
    "max_pool3d_indices": lambda x, **attrs: torch._C._nn.max_pool3d_with_indices(x, **attrs)[1],
    "avg_pool3d": torch._C._nn.avg_pool3d,
    "adaptive_avg_pool3d": torch._C._nn.adaptive_avg_pool3d,
    "adaptive_max_pool3d": lambda x, output_size: torch._C._nn.adaptive_max_pool3d(x, output_size)[
        0
    ],
    "adaptive_max_pool3d_indices": lambda x, output_size: torch._C._nn.adaptive_max_pool3d(
        x, output_size
    )[1],
    **{
        f"fractional_max_pool{dims}d{suffix}": _fractional_max_pool(dims, bool(suffix))
        for dims in (2, 3)
        for suffix in ("", "_indices")
    },
    "max_unpool2d": torch._C._nn.max_unpool2d,
    "max_unpool3d": torch._C._nn.max_unpool3d,
}


def _running_stats(x, mean, var, momentum: float) -> torch.Tensor:
    """The running statistics torch's batch_norm leaves behind in training, stacked."""
    mean, var = mean.clone(), var.clone()
    F.batch_norm(x, mean, var, training=True, momentum=momentum)
    return torch.stack([mean, var])


_REDUCTION_ENUM = {"none": 0, "mean": 1, "sum": 2}  # torch's at::Reduction


# ---------------------------------------------------------------- running a case


def _seed(*parts: object) -> int:
    return zlib.crc32(repr(parts).encode())


def _sample(rng: np.random.Generator, operand: T, dtype: str) -> np.ndarray:
    dtype = operand.dtype or dtype
    shape = operand.shape
    if operand.domain == CHECKER:
        return (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)
    if operand.domain == LENGTHS:
        return np.array(lengths(operand.shape[0]), dtype=np.int64)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if operand.domain == INDEX:
        return rng.integers(-3, 3, shape).astype(np.int64)
    if operand.domain == BAG_OFFSETS:
        return np.array([0, 2, 2, 5], np.int64)
    if operand.domain == PIVOTS:
        return rng.integers(1, shape[-1] + 1, shape).astype(np.int32)
    if operand.domain == ZEROS:
        choices = [0, 0, 1, 3] if dtype == "int64" else [0.0, -0.0, 1.5, -2.0, np.nan]
        return np.asarray(rng.choice(choices, shape), dtype=dtype)
    if dtype == "int64":
        return rng.integers(1, 5, shape).astype(np.int64)
    if operand.domain == POS:
        values = rng.uniform(0.5, 2.0, shape)
    elif operand.domain == TIES:
        values = rng.choice([-1.0, 0.5, 2.0], shape)
    elif operand.domain == "unit":
        values = rng.uniform(0.05, 0.95, shape)
    elif operand.domain == ABOVE_ONE:
        values = rng.uniform(1.2, 3.0, shape)
    else:  # away from 0, where abs and relu have their kink
        values = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if operand.domain in (DOMINANT, SPD):
        values = linalg_sample(values, operand.domain)
    return np.asarray(values, dtype=dtype)


# Singular vectors and eigenvectors are signed as the LAPACK build picks (NumPy's and torch's
# can differ): these
# ops' values and gradients are compared with torch's vectors signed as ours, by the axis
# along which each vector lies.
SIGN_FREE = {"linalg_svd_u": -2, "linalg_svd_vh": -1, "linalg_eigh_vectors": -2}


@dataclass
class Run:
    """One case built in both worlds."""

    ours: graph.Tensor
    theirs: torch.Tensor
    our_inputs: list[graph.Tensor]  # the operands that require grad, in order
    their_inputs: list[torch.Tensor]
    op: str | None = None

    @property
    def signs(self) -> np.ndarray:
        """±1 per vector taking torch's SIGN_FREE results to ours (else ones)."""
        if self.op not in SIGN_FREE:
            return np.ones((), self.ours.data.dtype)
        dots = (self.ours.data * self.theirs.detach().numpy()).sum(
            SIGN_FREE[self.op], keepdims=True
        )
        return np.where(dots < 0, -1, 1).astype(self.ours.data.dtype)

    def theirs_signed_as_ours(self) -> torch.Tensor:
        return self.theirs.detach() * torch.tensor(self.signs)


def _sorting_positions(case: Case, x: torch.Tensor, shape: tuple[int, ...]) -> np.ndarray:
    """A SORTED operand: torch's own indices for sorting x along the case's dim, for its
    topk of the length `shape` has along it, or for its median, nanmedian or mode along it
    (bools, which topk and median refuse, as int64)."""
    dim = case.attrs.get("dim", -1)
    x = x.detach()
    if case.op == "topk":
        k = shape[dim] if shape else 1
        return torch.topk(x.long() if x.dtype == torch.bool else x, k, dim).indices.numpy()
    keepdim = case.attrs.get("keepdim", False)
    if case.op == "median_dim":
        function = _median_function(case.attrs.get("ignore_nan", False))
        return function(x.long() if x.dtype == torch.bool else x, dim, keepdim).indices.numpy()
    if case.op == "mode":
        return torch.mode(x, dim, keepdim).indices.numpy()
    if case.op == "kthvalue":
        x = x.long() if x.dtype == torch.bool else x
        return torch.kthvalue(x, case.attrs["k"], dim, keepdim).indices.numpy()
    if case.op in ("cummax", "cummin"):
        return getattr(torch, case.op)(x, dim).indices.numpy()
    if case.op == "index_reduce":  # each slice of src along dim to a position, with repeats
        along = np.arange(shape[dim]) % x.shape[dim]
        return np.broadcast_to(
            along.reshape([-1 if d == dim else 1 for d in range(len(shape))]), shape
        ).copy()
    if case.op == "unique_dim":
        function = torch.unique_consecutive if case.attrs.get("consecutive") else torch.unique
        return function(x, dim=dim, return_inverse=True)[1].numpy()
    return torch.sort(x, dim).indices.numpy()


def _operands(case: Case, dtype: str, seed: int) -> tuple[list, list, list, list]:
    """The case's operands for the engine and for torch, with the same values, and the ones
    that require grad."""
    rng = np.random.default_rng(seed)
    ours, theirs, our_inputs, their_inputs = [], [], [], []
    for operand in case.operands:
        if not isinstance(operand, T):
            ours.append(operand)
            theirs.append(operand)
            continue
        if operand.domain == SORTED:
            data = _sorting_positions(case, theirs[0], operand.shape)
        else:
            data = _sample(rng, operand, dtype)
        grad = operand.grad and data.dtype.kind == "f"
        mine = graph.Tensor(data.copy(), requires_grad=grad)
        other = torch.tensor(data, requires_grad=grad)
        ours.append(mine)
        theirs.append(other)
        if grad:
            our_inputs.append(mine)
            their_inputs.append(other)
    return ours, theirs, our_inputs, their_inputs


def _torch_call(case: Case, operands: list) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss warns when it broadcasts
        return TORCH[case.op](*operands, **rules.SPECS[case.op].with_defaults(case.attrs))


def _build(case: Case, dtype: str, seed: int) -> Run:
    ours, theirs, our_inputs, their_inputs = _operands(case, dtype, seed)
    ours_result, theirs_result = graph.call(case.op, ours, case.attrs), _torch_call(case, theirs)
    return Run(ours_result, theirs_result, our_inputs, their_inputs, case.op)


def _dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def _assert_close(
    ours: np.ndarray,
    theirs: torch.Tensor,
    what: str,
    precision: np.dtype | None = None,
    op: str | None = None,
) -> None:
    """Equal dtype and shape, values within the tolerance of `precision` (the dtype the
    values were computed in; by default their own), looser for DECOMPOSITIONS."""
    theirs_np = theirs.detach().numpy(force=True)  # (sgn's gradient is a ZeroTensor)
    assert ours.dtype == theirs_np.dtype, f"{what}: dtype {ours.dtype} != torch's {theirs.dtype}"
    assert ours.shape == theirs_np.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    if ours.dtype.kind == "f":
        tolerances = DECOMPOSITION_TOLERANCE if op in DECOMPOSITIONS else TOLERANCE
        tolerance = tolerances[(precision or ours.dtype).name]
        np.testing.assert_allclose(ours, theirs_np, **tolerance, err_msg=what)
    else:
        np.testing.assert_array_equal(ours, theirs_np, err_msg=what)


def _check_forward(run: Run) -> None:
    ours, theirs = run.ours, run.theirs
    assert ours.meta.dtype == _dtype_name(theirs)
    assert ours.meta.shape == tuple(theirs.shape)
    if theirs.numel():  # (torch.tensor gives an empty array strides of 0, a view none)
        assert ours.meta.strides == theirs.stride()
    assert ours.data.shape == ours.meta.shape
    _assert_close(ours.data, run.theirs_signed_as_ours(), "forward", op=run.op)
    assert ours.requires_grad == theirs.requires_grad
    if theirs.grad_fn is None:
        assert ours.grad_fn is None
    else:
        assert ours.grad_fn is not None
        assert ours.grad_fn.name == theirs.grad_fn.name()


def _check_gradients(run: Run, seed: int) -> None:
    if not run.their_inputs or not run.theirs.requires_grad:  # (the forward check compares it)
        return
    dtype = run.ours.data.dtype
    upstream = np.random.default_rng(seed + 1).standard_normal(run.ours.meta.shape).astype(dtype)
    ours = graph.run_backward(
        [run.ours],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=run.our_inputs,
        accumulate=False,
    )
    theirs = torch.autograd.grad(
        run.theirs, run.their_inputs, torch.tensor(upstream * run.signs), allow_unused=True
    )
    for i, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        assert (mine is None) == (other is None), f"gradient {i}: {mine} vs torch's {other}"
        if mine is not None:
            # a float64 input of a float32 result gets a gradient computed in float32
            _assert_close(mine, other, f"gradient of input {i}", precision=dtype, op=run.op)
    for t in run.our_inputs:  # autograd.grad leaves .grad alone
        assert t.grad is None


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_op_matches_torch(case: Case, dtype: str) -> None:
    seed = _seed(case.id, dtype)
    run = _build(case, dtype, seed)
    _check_forward(run)
    _check_gradients(run, seed)


@pytest.mark.parametrize("case", MIXED_CASES, ids=lambda c: c.id)
def test_mixed_float_dtypes_match_torch(case: Case) -> None:
    seed = _seed(case.id, "mixed")
    run = _build(case, "float64", seed)
    _check_forward(run)
    _check_gradients(run, seed)


# torch.stack of 0-d tensors hands each input a 0-d view of one gradient buffer, and
# AccumulateGrad keeps those views as the .grads: the second backward's in-place accumulation
# then adds through both (1 + 1 becomes 3). A torch aliasing bug, not reproduced.
ALIASED_GRADS_IN_TORCH = {"stack(T[], T[])"}


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id not in ALIASED_GRADS_IN_TORCH], ids=lambda c: c.id
)
def test_second_backward_without_retain_graph_matches_torch(case: Case) -> None:
    """A second backward through a node fails exactly when torch's node saved tensors."""
    run = _build(case, "float64", _seed(case.id, "twice"))
    if not run.their_inputs or not run.theirs.requires_grad:
        return
    ours = graph.call("sum", [run.ours], {})
    theirs = run.theirs.sum()
    graph.run_backward([ours], [None], retain_graph=False)
    theirs.backward()
    try:
        theirs.backward()
    except RuntimeError as e:
        with pytest.raises(GraphFreed) as raised:
            graph.run_backward([ours], [None], retain_graph=False)
        assert str(raised.value) == str(e)
    else:
        graph.run_backward([ours], [None], retain_graph=False)
        for mine, other in zip(run.our_inputs, run.their_inputs, strict=True):
            _assert_close(mine.grad.data, other.grad, "gradient after two backward passes")


def test_views_share_storage_and_version() -> None:
    """Ops marked as views alias their input's data and version counter, as torch's do."""
    for case in CASES:
        if not OPS[case.op].view:
            continue
        run = _build(case, "float64", _seed(case.id, "view"))
        (x,) = (o for o in run.our_inputs)
        assert np.shares_memory(run.ours.data, x.data) or 0 in (x.data.size, run.ours.data.size)
        assert run.ours.version is x.version, case.id
        if case.op != "squeeze_":  # torch's squeeze_ works on the matmul result in place
            assert run.theirs._base is run.their_inputs[0], case.id


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if any(isinstance(o, T) and len(o.shape) >= 2 for o in c.operands)],
    ids=lambda c: c.id,
)
def test_non_contiguous_operands_match_torch(case: Case) -> None:
    """The same case with every operand of two or more dims made a transposed view of a
    differently laid out leaf: kernels see strided data, gradients flow back through views."""
    seed = _seed(case.id, "strided")
    rng = np.random.default_rng(seed)
    ours, theirs, our_leaves, their_leaves = [], [], [], []
    for operand in case.operands:
        if not isinstance(operand, T):
            ours.append(operand)
            theirs.append(operand)
            continue
        swapped = T(operand.shape[:-2] + operand.shape[:-3:-1], operand.domain, operand.dtype)
        data = _sample(rng, swapped if len(operand.shape) >= 2 else operand, "float64")
        if operand.domain == SORTED:  # laid out as the others, transposed below
            data = _sorting_positions(case, theirs[0], operand.shape)
            data = np.ascontiguousarray(np.swapaxes(data, -1, -2) if data.ndim >= 2 else data)
        grad = operand.grad and data.dtype.kind == "f"
        mine = graph.Tensor(data.copy(), requires_grad=grad)
        other = torch.tensor(data, requires_grad=grad)
        if grad:
            our_leaves.append(mine)
            their_leaves.append(other)
        if len(operand.shape) >= 2:
            mine = graph.call("transpose", [mine], {"dim0": -1, "dim1": -2})
            other = other.transpose(-1, -2)
        ours.append(mine)
        theirs.append(other)
    try:
        their_result = _torch_call(case, theirs)
    except RuntimeError as e:  # a view that these strides do not allow
        with pytest.raises(type(e)) as raised:
            graph.call(case.op, ours, case.attrs)
        assert str(raised.value) == str(e)
        return
    run = Run(
        graph.call(case.op, ours, case.attrs), their_result, our_leaves, their_leaves, case.op
    )
    _assert_close(run.ours.data, run.theirs_signed_as_ours(), "forward")
    _check_gradients(run, seed)


def _matmul(plan: str, a: graph.Tensor, b: graph.Tensor) -> graph.Tensor:
    """torch.matmul as the client decomposes it for `rules.matmul_plan`."""
    if plan == "vm":
        row = graph.call("unsqueeze", [a], {"dim": 0})
        return graph.call("squeeze_", [graph.call("mm", [row, b], {})], {"dim": 0})
    return graph.call(plan, [a, b], {})


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("a", "b"), [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 3)), ((3, 4), (4, 2))]
)
def test_matmul_plans_match_torch_matmul(a: tuple, b: tuple, dtype: str) -> None:
    ours, theirs, our_inputs, their_inputs = _operands(C("mm", T(a), T(b)), dtype, _seed(a, b))
    plan = rules.matmul_plan(ours[0].meta, ours[1].meta)
    run = Run(_matmul(plan, *ours), torch.matmul(*theirs), our_inputs, their_inputs)
    _check_forward(run)
    _check_gradients(run, _seed(a, b, "grad"))


@pytest.mark.parametrize(
    ("layout", "shape"),
    [
        ("contiguous", [6, 2]),
        ("contiguous", [-1]),
        ("transposed", [12]),
        ("transposed", [2, -1]),
        ("sliced", [4, 1, 2]),
        ("sliced", [8]),
    ],
)
def test_reshape_plans_match_torch_reshape(layout: str, shape: list) -> None:
    """reshape is a view of a contiguous tensor, _reshape_alias of another whose strides
    allow a view, else clone then _unsafe_view, as in torch: the same node, values and
    gradients."""
    ours, theirs, our_inputs, their_inputs = _operands(C("t", T((4, 3))), "float64", 7)
    x, tx = ours[0], theirs[0]
    if layout == "transposed":
        x, tx = graph.call("t", [x], {}), tx.t()
    if layout == "sliced":
        x, tx = graph.call("slice", [x], {"dim": 1, "start": 0, "end": 2, "step": 1}), tx[:, :2]
    plan = rules.reshape_plan(x.meta, shape)
    if plan == "copy":
        out = graph.call("_unsafe_view", [graph.call("clone", [x], {})], {"shape": shape})
    else:
        out = graph.call({"view": "view", "alias": "_reshape_alias"}[plan], [x], {"shape": shape})
    run = Run(out, tx.reshape(shape), our_inputs, their_inputs)
    assert out.grad_fn.name == run.theirs.grad_fn.name()
    _check_forward(run)
    _check_gradients(run, 8)


# ---------------------------------------------------------------- coverage, derived from SPECS


def test_op_tables_agree() -> None:
    assert set(OPS) == set(rules.SPECS)
    assert set(TORCH) == set(rules.SPECS)


def test_every_op_has_a_differential_case() -> None:
    missing = set(rules.SPECS) - {c.op for c in CASES}
    assert not missing, f"ops without a differential case: {sorted(missing)}"


def test_every_differentiable_input_is_checked() -> None:
    """Each (op, differentiable input) pair appears in a case where that input requires grad
    (but WITHOUT_DERIVATIVE)."""
    covered = {
        (c.op, i)
        for c in CASES
        for i, o in enumerate(c.operands)
        if isinstance(o, T) and o.grad and o.dtype is None
    }
    wanted = {
        (name, i)
        for name, spec in rules.SPECS.items()
        for i, diff in enumerate(spec.differentiable)
        if diff and name not in WITHOUT_DERIVATIVE
    }
    assert not wanted - covered, f"inputs never differentiated: {sorted(wanted - covered)}"


def _accepts(op: str, operands: list) -> bool:
    spec = rules.SPECS[op]
    try:
        spec.infer(operands, spec.with_defaults({}))
    except GradError:
        return False
    return True


def test_every_broadcasting_op_has_broadcasting_cases() -> None:
    """An op whose shape rule broadcasts needs cases that broadcast two tensors, pair a 0-d
    tensor with an n-d one (where it takes one), and (where it takes them) a Python number on
    either side."""
    m = rules.meta
    problems = []
    for op, spec in rules.SPECS.items():
        if spec.arity != 2 or not _accepts(op, [m((3, 1, 4), "float32"), m((2, 4), "float32")]):
            continue
        shapes = [
            tuple(o.shape if isinstance(o, T) else None for o in c.operands)
            for c in CASES
            if c.op == op
        ]
        tensors = [s for s in shapes if None not in s]
        if not any(a != b and a and b for a, b in tensors):
            problems.append(f"{op}: no case broadcasting two n-d tensors")
        takes_0d = _accepts(op, [m((), "float32"), m((2, 4), "float32")])  # not cdist
        if takes_0d and not any((a == ()) != (b == ()) for a, b in tensors):
            problems.append(f"{op}: no case pairing a 0-d tensor with an n-d one")
        for position in (0, 1):
            operands = [m((2, 3), "float32")] * 2
            operands[position] = 2.0
            if _accepts(op, operands) and not any(s[position] is None for s in shapes):
                problems.append(f"{op}: no case with a Python number as input {position}")
    assert not problems, problems


# ---------------------------------------------------------------- integer and bool operands

# Operands for the dtype-promotion tests: tensors of each dtype (dimensioned and 0-d) and
# Python numbers (torch's wrapped scalars). Values are positive so that pow stays defined.
KINDS: dict[str, object] = {
    "int64[2,3]": T((2, 3), dtype="int64", grad=False),
    "bool[2,3]": T((2, 3), dtype="bool", grad=False),
    "float32[2,3]": T((2, 3), POS, dtype="float32", grad=False),
    "float64[]": T((), POS, dtype="float64", grad=False),
    "float32[]": T((), POS, dtype="float32", grad=False),
    "int64[]": T((), dtype="int64", grad=False),
    "bool[]": T((), dtype="bool", grad=False),
    "int": 3,
    "float": 1.5,
    "bool": True,
}
PAIRS = [
    (a, b)
    for a, b in itertools.product(KINDS, repeat=2)
    if isinstance(KINDS[a], T) or isinstance(KINDS[b], T)
]


def _compare_outcome(case: Case, seed: int) -> None:
    """Same result (values, dtype, grad_fn) as torch, or torch's exception type and message."""
    ours, theirs, _, _ = _operands(case, "float32", seed)
    try:
        their_result = _torch_call(case, theirs)
    except Exception as e:
        with pytest.raises(type(e)) as raised:
            graph.call(case.op, ours, case.attrs)
        assert str(raised.value) == str(e)
        return
    _check_forward(Run(graph.call(case.op, ours, case.attrs), their_result, [], []))


@pytest.mark.parametrize(
    "op",
    [
        *BINARY,
        "pow",
        *LOGICAL,
        *BITWISE,
        "isclose",
        *TWO_TENSOR_MATH,
        *MODULO,
        "xlogy",
        "floor_divide",
    ],
)
@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_binary_dtype_promotion_matches_torch(op: str, a: str, b: str) -> None:
    """Each pairing of dtypes, ranks and numbers: torch's result, or its error (a number where
    torch takes only tensors, a floating bitwise operand, isclose's two dtypes)."""
    case = C(op, KINDS[a], KINDS[b])
    _compare_outcome(case, _seed(op, a, b))


@pytest.mark.parametrize("op", ["logical_not", "bitwise_not"])
@pytest.mark.parametrize("kind", [k for k, v in KINDS.items() if isinstance(v, T)])
def test_unary_logical_and_bitwise_dtypes_match_torch(op: str, kind: str) -> None:
    _compare_outcome(C(op, KINDS[kind]), _seed(op, kind))


@pytest.mark.parametrize(
    ("operands", "attrs"),
    [
        ((T((2, 3)), T((2, 3))), {"rtol": -1.0}),
        ((T((2, 3)), T((2, 3))), {"atol": -0.5}),
        ((T((2, 3)), T((2, 3))), {"atol": float("nan")}),
        ((T((2, 3)), T((2, 3))), {"rtol": -1e20}),
        ((T((2, 3)), T((2, 3), dtype="float64")), {"rtol": -1.0}),  # the dtypes first
        ((T((2, 3)), T((3, 2))), {"rtol": -1.0}),  # the tolerances before the shapes
        ((T((2, 3)), T((3, 2))), {}),
    ],
    ids=str,
)
def test_isclose_checks_match_torch(operands: tuple, attrs: dict) -> None:
    _compare_outcome(C("isclose", *operands, **attrs), _seed("isclose", operands, attrs))


@pytest.mark.parametrize("dtype", [*FLOATS, "int64"])
def test_isclose_at_the_tolerance_matches_torch(dtype: str) -> None:
    """Differences within an ulp or two of atol + rtol |other|: torch's verdict on each of
    10,000 elements, the tolerance rounded in the inputs' dtype (float32 for int64), where
    evaluating the inequality in float64 differs on some float32 ones."""
    rng = np.random.default_rng(_seed("isclose", dtype))
    n, rtol, atol = 10_000, 1e-3, 1e-4
    if dtype == "int64":
        other = rng.integers(-1000, 1000, n)
        x = other + rng.integers(-12, 13, n)
        rtol, atol = 0.01, 1.0
    else:
        other = (rng.standard_normal(n) * 10).astype(dtype)
        ulps = 1 + rng.integers(-2, 3, n) * np.finfo(dtype).eps
        x = (other + (atol + rtol * np.abs(other)) * rng.choice([-1, 1], n) * ulps).astype(dtype)
    attrs = {"rtol": rtol, "atol": atol}
    ours = graph.call("isclose", [graph.Tensor(x), graph.Tensor(other)], attrs).data
    theirs = torch.isclose(torch.from_numpy(x), torch.from_numpy(other), **attrs).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert 0.3 < theirs.mean() < 0.7  # the boundary is where the elements are
    wide = other.astype(np.float64)
    in_float64 = np.abs(x - wide) <= atol + rtol * np.abs(wide)
    assert (in_float64 != theirs).any() == (dtype == "float32")


@pytest.mark.parametrize("alpha", [2, -1, 0.5, True])
@pytest.mark.parametrize("op", ["add", "sub", "rsub"])
@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_alpha_checks_and_promotion_match_torch(op: str, a: str, b: str, alpha) -> None:
    """alpha of each kind against every dtype pair: torch's result or its alpha_check error."""
    _compare_outcome(C(op, KINDS[a], KINDS[b], alpha=alpha), _seed(op, a, b, alpha))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["add", "sub", "rsub"])
def test_alpha_is_one_fused_multiply_add_as_torch_s(op: str, dtype: str) -> None:
    """self + alpha other rounds once, as torch's vectorized and tail loops do: the same bits
    as torch on 1,003 elements, where rounding alpha other first differs on about 9%."""
    rng = np.random.default_rng(_seed(op, dtype))
    x, y = (rng.standard_normal(1003).astype(dtype) for _ in range(2))
    ours = graph.call(op, [graph.Tensor(x), graph.Tensor(y)], {"alpha": 0.1}).data
    theirs = getattr(torch, op)(torch.from_numpy(x), torch.from_numpy(y), alpha=0.1).numpy()
    np.testing.assert_array_equal(ours, theirs)


# Pairs whose first case says nothing of the dtype: its attributes or values were chosen for
# int64 (bincount's length, multilabel targets torch checks first for uint8, a negative index
# torch's int32 kernel words its own way), or gradrpc refuses them (uint8 upsampling, README).
_NOT_COMPARED = {
    ("bincount", "uint8"),
    ("bincount_weighted", "uint8"),
    ("multilabel_margin_loss", "uint8"),
    ("index_add", "int32"),
    *((f"upsample_{mode}", "uint8") for mode in ("nearest1d", "nearest2d", "nearest3d")),
    *((f"_upsample_nearest_exact{d}d", "uint8") for d in (1, 2, 3)),
    ("upsample_bilinear2d", "uint8"),
    ("upsample_bicubic2d", "uint8"),
}


@pytest.mark.parametrize(
    ("op", "dtype"),
    [
        (op, dtype)
        for op in sorted(rules.SPECS)
        for dtype in ("int64", "bool", "int32", "int16", "int8", "uint8")
        if (op, dtype) not in _NOT_COMPARED
    ],
)
def test_integer_and_bool_inputs_match_torch(op: str, dtype: str) -> None:
    """Each op's first case with every tensor operand made an integer or bool: forward values
    and dtype as torch's, or torch's error."""
    case = next(c for c in CASES if c.op == op)
    operands = tuple(  # index positions stay positions
        T(o.shape, o.domain, dtype, grad=False)
        if isinstance(o, T) and o.domain not in (INDEX, SORTED, BAG_OFFSETS)
        else o
        for o in case.operands
    )
    _compare_outcome(Case(op, operands, case.attrs), _seed(op, dtype))


# ---------------------------------------------------------------- special values

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1.0, -1.0, 50.0, -50.0, 1000.0])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "case",
    [C(name, T(SPECIAL.shape)) for name in UNARY + ROUNDING + PREDICATES]
    + [
        C("round", T(SPECIAL.shape), decimals=2),
        C("round", T(SPECIAL.shape), decimals=-1),
        C("div", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("pow", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("pow", T(SPECIAL.shape), 2),
        C("pow", T(SPECIAL.shape), -0.5),
        C("pow", T(SPECIAL.shape), 0),
        C("pow", 0.0, T(SPECIAL.shape)),
        C("binary_cross_entropy_with_logits", T(SPECIAL.shape), T(SPECIAL.shape, "unit")),
        *(C(op, T(SPECIAL.shape)) for op in ("max", "min", "amax", "argmax", "argmin", "all")),
        C("max_dim", T(SPECIAL.shape), dim=0),
        C("amin", T((11,)), dim=[0]),  # no nan: ±inf are the extremes
        C("maximum", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("minimum", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("clamp", T(SPECIAL.shape), min=-1.0, max=1.0),
        C("clamp_min", T(SPECIAL.shape), min=0.0),
        C("clamp_min_tensor", T(SPECIAL.shape), T(SPECIAL.shape)),
        *(C("linalg_vector_norm", T(SPECIAL.shape), ord=p) for p in (2.0, 1.0, 3.0, np.inf)),
        C("linalg_vector_norm", T((11,)), ord=-np.inf),  # no nan: 0 is the smallest |x|
        C("clamp_max_tensor", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("argsort", T(SPECIAL.shape)),
        C("argsort", T(SPECIAL.shape), descending=True, stable=True),
        C("topk_indices", T(SPECIAL.shape), k=4),
        C("topk_indices", T(SPECIAL.shape), k=4, largest=False),
        *(C(op, T(SPECIAL.shape), dim=0) for op in ("cumsum", "cumprod")),  # two zeros, ±0
        C("prod", T(SPECIAL.shape), dim=0),  # two zeros: every gradient 0 or nan
        C("logsumexp", T(SPECIAL.shape), dim=[0]),
        *(
            C(op, T(SPECIAL.shape))
            for op in ("leaky_relu", "elu", "celu", "silu", "mish", "hardsigmoid")
        ),
        C("log_sigmoid", T(SPECIAL.shape)),
        C("threshold", T(SPECIAL.shape), threshold=0.0, value=-1.0),
        C("prelu_kernel", T(SPECIAL.shape), T(SPECIAL.shape)),
        C("gelu", T(SPECIAL.shape), approximate="tanh"),
        C("softplus", T(SPECIAL.shape), beta=2.0),
        C("smooth_l1_loss", T(SPECIAL.shape), T(SPECIAL.shape), reduction="none"),
        C("huber_loss", T(SPECIAL.shape), T(SPECIAL.shape), reduction="none"),
        *(C(op, T(SPECIAL.shape), T(SPECIAL.shape)) for op in (*LOGICAL, "isclose")),
        C("logical_not", T(SPECIAL.shape)),
        C("isclose", T(SPECIAL.shape), T(SPECIAL.shape), rtol=0.5, equal_nan=True),
        C("isclose", T(SPECIAL.shape), T(SPECIAL.shape), rtol=float("inf")),
        *(C(op, T(SPECIAL.shape), T(SPECIAL.shape)) for op in (*TWO_TENSOR_MATH, *MODULO, "xlogy")),
        *(C(op, T(SPECIAL.shape), 0.0) for op in (*MODULO, "xlogy")),
        C("lerp", T(SPECIAL.shape), T(SPECIAL.shape), weight=0.25),
        C("lerp", T(SPECIAL.shape), T(SPECIAL.shape), weight=0.75),
        C("lerp_tensor", T(SPECIAL.shape), T(SPECIAL.shape), T(SPECIAL.shape)),
        *(C(op, *(T(SPECIAL.shape),) * 3, value=0.5) for op in ("addcmul", "addcdiv")),
    ],
    ids=lambda c: c.id,
)
def test_special_values_match_torch(case: Case, dtype: str) -> None:
    """nan, ±inf, ±0, tiny and large inputs: the same values and gradients as torch (nan
    where torch has nan), for a finite upstream gradient."""
    rng = np.random.default_rng(_seed(case.id, dtype))
    ours, theirs, our_inputs, their_inputs = [], [], [], []
    for position, operand in enumerate(case.operands):
        if not isinstance(operand, T):
            ours.append(operand)
            theirs.append(operand)
            continue
        if operand.domain == "unit":
            data = rng.uniform(0.05, 0.95, operand.shape).astype(dtype)
        else:  # every special value against every other, across positions
            data = np.roll(SPECIAL, position * 3).astype(dtype)
        mine = graph.Tensor(data.copy(), requires_grad=True)
        other = torch.tensor(data, requires_grad=True)
        ours.append(mine)
        theirs.append(other)
        our_inputs.append(mine)
        their_inputs.append(other)
    run = Run(
        graph.call(case.op, ours, case.attrs), _torch_call(case, theirs), our_inputs, their_inputs
    )
    _check_forward(run)
    _check_gradients(run, _seed(case.id, dtype, "grad"))


def test_float32_tanh_is_rounded_once_as_torch_s():
    """float32 tanh is float64 tanh rounded once, which agrees with torch's bit for bit on
    all but a few in ten thousand elements (float32 libm's tanhf differs on about a third)."""
    data = (np.random.default_rng(3).standard_normal(100_000) * 2).astype(np.float32)
    ours = graph.call("tanh", [graph.Tensor(data)], {}).data
    np.testing.assert_array_equal(ours, np.tanh(data.astype(np.float64)).astype(np.float32))
    assert np.mean(ours != torch.tanh(torch.from_numpy(data)).numpy()) < 1e-3


@pytest.mark.parametrize(
    ("dims", "indices"),
    [
        ([0], [[0, 4]]),
        ([1], [[-4, 9]]),
        ([0, 2], [[0, 1], [1, 2]]),  # the first out of range in the broadcast, then in order
        ([0, 2], [[[0], [7]], [5, 1]]),
        ([0, 1], [[0, 1], [0, 1, 2]]),  # shapes that do not broadcast
    ],
)
def test_index_errors_match_torch(dims: list[int], indices: list) -> None:
    x = np.zeros((4, 3, 2), np.float32)
    ours = [graph.Tensor(np.array(i, np.int64)) for i in indices]
    theirs = [torch.tensor(i) for i in indices]
    with pytest.raises(IndexError) as expected:
        TORCH["index"](torch.tensor(x), *theirs, dims=dims)
    with pytest.raises(IndexError) as raised:
        graph.call("index", [graph.Tensor(x), *ours], {"dims": dims})
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("shape", "dtype", "attrs"),
    [
        ((3,), "int64", {}),
        ((3,), "bool", {}),
        ((3,), "float32", {"dtype": "int64"}),
        ((3,), "float64", {"dtype": "float32"}),
        ((2, 0), "float32", {"ord": np.inf}),
        ((2, 0), "float32", {"ord": -1.5, "dim": [-1]}),
        ((2, 0), "float32", {"ord": -2.0, "dim": [0, 1]}),
        ((2, 0), "float32", {"ord": -2.0, "dim": [1, 0]}),
        ((2, 0), "float32", {"ord": -np.inf, "dim": []}),
        ((2, 3), "float32", {"dim": [0, -2]}),
        ((2, 3), "float32", {"dim": [2]}),
    ],
)
def test_vector_norm_errors_match_torch(shape: tuple, dtype: str, attrs: dict) -> None:
    data = np.zeros(shape, dtype)
    with pytest.raises((RuntimeError, IndexError)) as expected:
        _torch_call(C("linalg_vector_norm", **attrs), [torch.tensor(data)])
    with pytest.raises(GradError) as raised:
        graph.call("linalg_vector_norm", [graph.Tensor(data)], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value).splitlines()[0]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["gelu", "hardtanh", "hardshrink", "softshrink", "hardswish"])
def test_special_values_through_torch_s_vectorized_kernels(op: str, dtype: str) -> None:
    """gelu, hardtanh, hardshrink, softshrink and hardswish's backward treat nan and inf
    differently in torch's vectorized kernels (two vectors a step) and in its scalar loop
    (the last few elements, or a whole small tensor). Over 33 elements all but the last (a
    plain 1000) take the vectorized path, whose results the engine's match: hardtanh's,
    hardshrink's and softshrink's gradient is 0 at nan, hardswish's nan. One exception:
    float32 gelu(+inf) is nan there (its vectorized erf), where the engine gives +inf, the
    limit (torch's scalar loop and float64 give it too)."""
    data = np.tile(SPECIAL, 3).astype(dtype)
    upstream = np.random.default_rng(_seed(op, dtype)).standard_normal(data.shape).astype(dtype)
    x = torch.tensor(data, requires_grad=True)
    theirs = getattr(F, op)(x)
    (expected,) = torch.autograd.grad(theirs, [x], torch.tensor(upstream))
    mine = graph.Tensor(data.copy(), requires_grad=True)
    ours = graph.call(op, [mine], {})
    graph.run_backward([ours], [graph.Tensor(upstream)], retain_graph=False)
    expected_values = theirs.detach().numpy().copy()
    if op == "gelu" and dtype == "float32":
        assert np.isnan(expected_values[data == np.inf]).all()
        expected_values[data == np.inf] = np.inf
    np.testing.assert_allclose(ours.data, expected_values, **TOLERANCE[dtype])
    np.testing.assert_allclose(mine.grad.data, expected.numpy(), **TOLERANCE[dtype])


_BCE_BAD = [  # (input, target): torch checks element by element, input before target
    ([0.5, 1.5], [0.0, 1.0]),
    ([0.5, 0.5], [2.0, 1.0]),
    ([0.5, 1.5], [-1.0, 1.0]),  # the target's element comes first
    ([0.5, np.nan], [0.0, 1.0]),
    ([-0.0, 1.0], [0.0, np.nan]),
]


@pytest.mark.parametrize(
    "op, operands, attrs",
    [
        ("gelu", [[1.0]], {"approximate": "erf"}),
        ("celu", [[1.0]], {"alpha": 0.0}),
        ("smooth_l1_loss", [[1.0], [2.0]], {"beta": -0.5}),
        ("huber_loss", [[1.0], [2.0]], {"delta": 0.0}),
        ("huber_loss", [[1.0], [2.0]], {"delta": -1.0}),
        *(("binary_cross_entropy", pair, {}) for pair in _BCE_BAD),
        ("binary_cross_entropy", [[0.5], [0.5, 0.5]], {}),
        ("binary_cross_entropy", [np.float32([0.5]), [1.0]], {}),
        ("binary_cross_entropy", [[0.5], np.float32([1.0])], {}),
        ("binary_cross_entropy", [[[0.5, 0.5]], [[1.0, 0.0]], [[1.0], [2.0]]], {}),
    ],
    ids=str,
)
def test_activation_and_loss_errors_match_torch(op: str, operands: list, attrs: dict) -> None:
    """Attribute and value checks: torch's exception type and message (F's size check for
    binary_cross_entropy, which torch makes before its native op)."""
    arrays = [np.asarray(o, np.float64) if not isinstance(o, np.ndarray) else o for o in operands]
    function = {"binary_cross_entropy": F.binary_cross_entropy, "gelu": F.gelu}.get(op)
    theirs = [torch.tensor(a) for a in arrays]
    with pytest.raises(Exception) as expected:
        if function is F.binary_cross_entropy:
            function(*theirs[:2], weight=theirs[2] if len(theirs) > 2 else None)
        else:
            _torch_call(C(op, **attrs), theirs)
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(a) for a in arrays], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value).splitlines()[0]


@pytest.mark.parametrize(
    "op, attrs",
    [
        ("leaky_relu", {"negative_slope": -0.1}),
        ("leaky_relu", {"negative_slope": 0.0}),
        ("elu", {"alpha": -1.0, "scale": 1.0, "input_scale": 1.0}),
        ("celu", {"alpha": -2.0}),
        ("celu", {"alpha": 2.0}),
    ],
    ids=str,
)
def test_in_place_activation_backward_refuses_a_negative_slope_as_torch(op, attrs) -> None:
    """The in-place forms (self_is_result) run forward, and their backward raises torch's
    error for a negative slope or alpha; gradients otherwise match."""
    data = np.array([-1.5, -0.2, 0.3, 2.0])
    x = torch.tensor(data, requires_grad=True)
    theirs = _torch_call(C(op, **attrs, self_is_result=True), [x])
    mine = graph.Tensor(data.copy(), requires_grad=True)
    ours = graph.call(op, [mine], {**attrs, "self_is_result": True})
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    assert ours.grad_fn.name == type(theirs.grad_fn).__name__
    try:
        (expected,) = torch.autograd.grad(theirs.sum(), [x])
    except RuntimeError as error:
        with pytest.raises(RuntimeError) as raised:
            graph.run_backward([ours], [graph.Tensor(np.ones(4))], retain_graph=False)
        assert str(raised.value) == str(error)
        assert mine.grad is None  # a failed backward changes nothing
    else:
        graph.run_backward([ours], [graph.Tensor(np.ones(4))], retain_graph=False)
        np.testing.assert_allclose(mine.grad.data, expected.numpy(), rtol=1e-12)


# (input shape, weight shape, bias shape or None, attrs, dtypes of input, weight, bias)
_CONV_ERRORS = [
    ((1, 4, 5, 5), (8, 3, 3, 3), None, {}, None),  # channels
    ((1, 4, 5, 5), (8, 3, 3, 3), None, {"groups": 2}, None),
    ((1, 3, 2, 2), (8, 3, 3, 3), None, {}, None),  # kernel larger than the input
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"dilation": (3,)}, None),
    ((1, 3, 2), (8, 3, 3), None, {}, None),
    ((1, 3, 5, 5), (8, 3, 3), None, {}, None),  # the stride's length for 1 spatial dim
    ((1, 3, 5), (8, 3), None, {}, None),  # a 2-d weight
    ((3, 5, 5), (8, 3, 3, 3), None, {}, None),  # the input's rank
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"stride": (1, 1, 1)}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"padding": (1, 1, 1)}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"dilation": ()}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"padding": (-1,)}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"stride": (0,)}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"stride": (1, -2)}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"dilation": (-1, 2)}, None),
    ((1, 3, 7, 7), (8, 3, 3, 3), None, {"dilation": (0,)}, None),
    ((16, 3, 7, 7), (8, 3, 3, 3), None, {"dilation": (0, 1)}, None),  # oneDNN's check
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"groups": 0}, None),
    ((1, 6, 5, 5), (8, 2, 3, 3), None, {"groups": 3}, None),
    ((1, 3, 5, 5), (2, 1, 3, 3), None, {"groups": 3}, None),
    ((1, 3, 5, 5), (0, 3, 3, 3), None, {}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), (7,), {}, None),
    ((1, 3, 5, 5), (8, 3, 3, 3), (8, 1), {}, None),
    ((1, 3, 0, 5), (8, 3, 3, 3), None, {"padding": (2,)}, None),
    ((1, 3, 5, 5), (8, 3, 0, 3), None, {}, None),
    ((1, 3, 5, 5), (8, 3, 0, 3), None, {"dilation": (2,)}, None),
    ((1, 3, 5), (8, 3, 0), None, {}, None),
    ((1, 3, 5, 5, 5), (8, 3, 0, 3, 3), None, {}, ("float64", "float64", None)),
    ((16, 3, 5, 5), (8, 3, 0, 3), None, {}, None),  # oneDNN's failure
    ((1, 3, 3, 3, 3, 3), (8, 3, 2, 2, 2, 2), None, {}, ("float64", "float64", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("float32", "float64", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("float64", "float32", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("int64", "float32", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("float32", "int64", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("float32", "bool", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {}, ("bool", "bool", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), None, {"dilation": (2,)}, ("bool", "float32", None)),
    ((1, 3, 5, 5, 5), (8, 3, 3, 3, 3), None, {}, ("bool", "bool", None)),
    ((1, 3, 9), (8, 3, 5), None, {}, ("float32", "float64", None)),
    ((16, 3, 5, 5), (8, 3, 3, 3), None, {}, ("float32", "float64", None)),  # oneDNN's check
    ((2, 4, 5, 5), (8, 2, 3, 3), None, {"groups": 2}, ("float32", "int64", None)),
    ((1, 3, 9, 9), (8, 3, 5, 5), None, {}, ("float32", "bool", None)),
    ((16, 3, 9), (8, 3, 3), None, {}, ("float32", "float64", None)),
    ((1, 3, 5, 5), (8, 3, 3, 3), (8,), {}, ("float32", "float32", "float64")),
    ((16, 3, 5, 5), (8, 3, 3, 3), (8,), {}, ("float32", "float32", "int64")),
    ((1, 4, 5, 5), (8, 3, 3, 3), (8,), {}, ("float64", "float64", "float32")),  # dtype first
]


_CONV2D_ATTRS = ("stride", "padding", "dilation", "groups")


@pytest.mark.parametrize(("x", "w", "b", "attrs", "dtypes"), _CONV_ERRORS, ids=str)
def test_convolution_errors_match_torch(x, w, b, attrs, dtypes) -> None:
    """torch.convolution's checks in its order, those of the CPU kernel it picks (oneDNN's
    for most float32 inputs, its own slow_conv2d, slow_conv3d and slow_conv_dilated
    otherwise), and conv2d's bias dtype check before all (compared through F.conv2d)."""
    dtypes = dtypes or ("float32", "float32", "float32")
    arrays = [np.ones(x, dtypes[0]), np.ones(w, dtypes[1])]
    if b is not None:
        arrays.append(np.ones(b, dtypes[2]))
    theirs = [torch.tensor(a) for a in arrays]
    full = rules.SPECS["convolution"].with_defaults(attrs)
    with pytest.raises(Exception) as expected:
        if b is not None and dtypes[2] != dtypes[0]:
            F.conv2d(*theirs, **{k: v for k, v in full.items() if k in _CONV2D_ATTRS})
        else:
            TORCH["convolution"](*theirs[:2], theirs[2] if b is not None else None, **full)
    ours = [graph.Tensor(a) for a in arrays] + ([] if b is not None else [0])
    with pytest.raises(GradError) as raised:
        graph.call("convolution", ours, attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 3), [1, 2, 3]),
        ((2, 3), [1] * 6),
        ((), [1, 1]),
        ((2, 3), [-2, -2]),
        ((2, 3), [1, 0, -2, -1]),
    ],
    ids=str,
)
def test_constant_pad_nd_errors_match_torch(shape, pad) -> None:
    data = np.ones(shape, np.float32)
    with pytest.raises(RuntimeError) as expected:
        torch.constant_pad_nd(torch.tensor(data), pad)
    with pytest.raises(GradError) as raised:
        graph.call("constant_pad_nd", [graph.Tensor(data)], {"pad": pad})
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("name", "shape", "padding", "dtype"),
    [
        ("reflection_pad1d", (2, 3, 5), [5, 1], "float32"),
        ("reflection_pad1d", (2, 3, 5), [1, 5], "float32"),
        ("reflection_pad2d", (2, 3, 4, 5), [1, 1, 4, 0], "float32"),
        ("reflection_pad3d", (1, 2, 3, 4, 5), [5, 0, 4, 0, 3, 0], "float32"),
        ("reflection_pad3d", (1, 2, 3, 4, 5), [1, 1, 1, 1, 3, 0], "float32"),
        ("reflection_pad1d", (2, 3, 5), [-3, -2], "float32"),
        ("reflection_pad2d", (2, 3, 4, 5), [-3, -3, -2, -2], "float32"),
        ("reflection_pad2d", (2, 3, 4, 5), [-3, -3, 0, 0], "float32"),
        ("reflection_pad3d", (1, 2, 3, 4, 5), [-3, -3, -2, -2, -2, -1], "float32"),
        ("reflection_pad3d", (1, 2, 3, 4, 5), [0, 0, 0, 0, -2, -2], "float32"),
        ("replication_pad1d", (2, 3, 5), [-3, -3], "float32"),
        ("replication_pad2d", (2, 3, 4, 5), [-3, -2, -2, -2], "float32"),
        ("replication_pad2d", (2, 3, 4, 5), [-6, 0, 1, 4], "float32"),
        ("replication_pad3d", (1, 2, 3, 4, 5), [-3, -3, -2, -2, -2, -2], "float32"),
        ("replication_pad3d", (1, 2, 3, 4, 5), [-3, -3, 0, 0, 0, 0], "float32"),
        ("reflection_pad1d", (2, 0, 3), [1, 1], "float32"),
        ("replication_pad2d", (3, 0, 4), [1, 1, 1, 1], "float32"),
        ("replication_pad1d", (2, 3), [1, 1, 1, 1], "float32"),
        ("reflection_pad3d", (2, 3, 4, 2), [1, 1], "float32"),
        ("reflection_pad1d", (2, 3), [1, 1], "bool"),
        ("reflection_pad1d", (2, 3), [5, 5], "bool"),  # the padding is checked first
        ("replication_pad3d", (2, 3, 4, 2), [1] * 6, "bool"),
    ],
    ids=str,
)
def test_index_pad_errors_match_torch(name, shape, padding, dtype) -> None:
    data = np.ones(shape, dtype)
    with pytest.raises((RuntimeError, NotImplementedError)) as expected:
        getattr(torch._C._nn, name)(torch.tensor(data), padding)
    with pytest.raises(GradError) as raised:
        graph.call(name, [graph.Tensor(data)], {"padding": padding})
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("shape", "output_size", "dtype"),
    [
        ((1, 2, 3, 3), [-1, 2], "float32"),
        ((1, 2, 3, 3), [1, 2, 3], "float32"),
        ((3, 3), [2, 2], "float32"),
        ((2, 1, 3, 3, 3), [2, 2], "float32"),
        ((1, 2, 0, 3), [2, 2], "float32"),
        ((1, 2, 3, 0), [2, 2], "float32"),
        ((1, 2, 3, 3), [2, 2], "int64"),
        ((1, 2, 3, 3), [2, 2], "bool"),
    ],
    ids=str,
)
def test_adaptive_avg_pool2d_errors_match_torch(shape, output_size, dtype) -> None:
    data = np.ones(shape, dtype)
    with pytest.raises((RuntimeError, NotImplementedError)) as expected:
        torch._C._nn.adaptive_avg_pool2d(torch.tensor(data), output_size)
    with pytest.raises(GradError) as raised:
        graph.call("adaptive_avg_pool2d", [graph.Tensor(data)], {"output_size": output_size})
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("op", ["adaptive_max_pool2d", "adaptive_max_pool2d_indices"])
@pytest.mark.parametrize(
    ("shape", "output_size", "dtype"),
    [
        ((1, 2, 3, 3), [-1, 2], "float32"),
        ((1, 2, 3, 3), [1, 2, 3], "float32"),
        ((3, 3), [1, 2, 3], "float32"),
        ((2, 1, 3, 3, 3), [2, 2], "float32"),
        ((1, 0, 3, 3), [1, 2, 3], "float32"),
        ((1, 2, 0, 3), [2, 2], "float32"),
        ((2, 0, 3), [2, 2], "float32"),
        ((1, 2, 3, 3), [2, 2], "int64"),
        ((1, 2, 3, 3), [-2, 2], "int64"),
        ((1, 2, 3, 3), [2, 2], "bool"),
    ],
    ids=str,
)
def test_adaptive_max_pool2d_errors_match_torch(op, shape, output_size, dtype) -> None:
    data = np.ones(shape, dtype)
    with pytest.raises((RuntimeError, NotImplementedError)) as expected:
        torch._C._nn.adaptive_max_pool2d(torch.tensor(data), output_size)
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(data)], {"output_size": output_size})
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


def test_adaptive_max_pool2d_backward_refuses_an_empty_plane_as_torch() -> None:
    data = np.ones((1, 2, 3, 3), np.float32)
    x = torch.tensor(data, requires_grad=True)
    with pytest.raises(RuntimeError) as expected:
        torch._C._nn.adaptive_max_pool2d(x, [0, 2])[0].sum().backward()
    leaf = graph.Tensor(data, requires_grad=True)
    out = graph.call("adaptive_max_pool2d", [leaf], {"output_size": [0, 2]})
    assert out.data.shape == (1, 2, 0, 2)
    with pytest.raises(GradError) as raised:
        graph.run_backward([graph.call("sum", [out], {})], [None], retain_graph=False)
    assert str(raised.value) == str(expected.value)


_POOL_ERRORS = [
    ("max_pool2d", (1, 1, 3, 6, 6), {"kernel_size": [2]}),
    ("max_pool2d", (6, 6), {"kernel_size": [2]}),
    ("avg_pool2d", (1, 1, 3, 6, 6), {"kernel_size": [2]}),
    ("avg_pool2d", (6, 6), {"kernel_size": [2]}),
    ("avg_pool2d", (6,), {"kernel_size": [2]}),
    ("avg_pool2d", (), {"kernel_size": [2]}),
    ("max_pool2d", (1, 2, 6, 6), {"kernel_size": [3], "padding": [2]}),
    ("avg_pool2d", (1, 2, 6, 6), {"kernel_size": [4], "padding": [2, 3]}),
    ("max_pool2d", (1, 3, 2, 2), {"kernel_size": [3]}),
    ("avg_pool2d", (1, 3, 2, 2), {"kernel_size": [3]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "stride": [0]}),
    ("avg_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "stride": [-1]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [-2], "stride": [1]}),
    ("avg_pool2d", (1, 3, 6, 6), {"kernel_size": [0], "stride": [1]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [0]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2, 2, 2]}),
    ("avg_pool2d", (1, 3, 6, 6), {"kernel_size": []}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "stride": [1, 1, 1]}),
    ("avg_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "padding": [1, 1, 1]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "padding": [-1]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "dilation": [0]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "dilation": [1, 1, 1]}),
    ("max_pool2d", (1, 3, 6, 6), {"kernel_size": [3], "dilation": [3]}),
    ("avg_pool2d", (1, 3, 6, 6), {"kernel_size": [2], "divisor_override": 0}),
    ("max_pool2d", (1, 0, 5, 5), {"kernel_size": [2]}),
    ("avg_pool2d", (0, 5, 5), {"kernel_size": [2]}),
    ("max_pool2d", (1, 1, 0, 5), {"kernel_size": [2]}),
]


@pytest.mark.parametrize(("op", "shape", "attrs"), _POOL_ERRORS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "bool"])
def test_pool2d_errors_match_torch(op, shape, attrs, dtype) -> None:
    """torch's checks in its order (max_pool2d's rank check before its sizes, avg_pool2d's
    size(-3) before its; the dtype last), or the same result for a bool input that passes."""
    data = np.ones(shape, dtype)
    full = rules.SPECS[op].with_defaults(attrs)
    with pytest.raises(Exception) as expected:
        TORCH[op](torch.tensor(data), **full)
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(data)], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


def _tie_heavy(rng: np.random.Generator, n: int, dtype: str) -> np.ndarray:
    """n values drawn from a few (nan among them for floats), so that most are tied."""
    values = [0, 1, 2, -1] if dtype != "bool" else [0, 1]
    data = rng.choice(np.array(values), n).astype(dtype)
    if dtype.startswith("float"):
        data[rng.random(n) < 0.1] = np.nan
    return data


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_order_of_ties_matches_torch(dtype: str) -> None:
    """argsort and topk_indices give torch's indices exactly, ties and nans included, for
    rows short enough for one insertion sort and long enough for quicksort (and topk's heap
    selection, 64·k <= n), stable or not, ascending or descending, sorted or not."""
    rng = np.random.default_rng(_seed("ties", dtype))
    for n in (1, 2, 15, 16, 17, 33, 64, 100, 257, 1000):
        data = _tie_heavy(rng, 3 * n, dtype).reshape(3, n)
        x = graph.Tensor(data)
        for descending, stable in itertools.product((False, True), repeat=2):
            attrs = {"dim": 1, "descending": descending, "stable": stable}
            ours = graph.call("argsort", [x], attrs).data
            theirs = torch.argsort(torch.tensor(data), **attrs).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"n={n} {attrs}")
        if dtype == "bool":
            continue
        ks = {k for k in (0, 1, 2, n // 64, n // 2, n - 1, n) if 0 <= k <= n}
        for k, largest, in_order in itertools.product(ks, (True, False), (True, False)):
            attrs = {"k": k, "dim": 1, "largest": largest, "sorted": in_order}
            ours = graph.call("topk_indices", [x], attrs).data
            theirs = torch.topk(torch.tensor(data), k, 1, largest, in_order).indices.numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"n={n} {attrs}")


@pytest.mark.parametrize("n", [32767, 32768])
def test_long_1d_int64_ascending_sort_is_stable_as_torch_radix_sort(n: int) -> None:
    """From 32,768 elements torch sorts a 1-d int64 tensor in ascending order with a stable
    radix sort; below, or descending, with std::sort."""
    data = np.random.default_rng(n).integers(0, 5, n)
    for descending in (False, True):
        ours = graph.call("argsort", [graph.Tensor(data)], {"descending": descending}).data
        theirs = torch.argsort(torch.tensor(data), descending=descending).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_sort_along_an_expanded_dim_keeps_positions_as_torch() -> None:
    """torch leaves a dim of stride 0 in place (its elements are one); std::sort of equal
    keys would move them."""
    x = graph.call("expand", [graph.Tensor(np.ones((3, 1)))], {"shape": [3, 40]})
    theirs = torch.ones(3, 1).expand(3, 40)
    for dim in (0, 1):
        ours = graph.call("argsort", [x], {"dim": dim}).data
        np.testing.assert_array_equal(ours, torch.argsort(theirs, dim).numpy())


_CUMPROD_ROWS = [
    [2.0, 3.0, 4.0, 0.5],
    [2.0, 0.0, 4.0, 5.0],
    [2.0, 0.0, 4.0, 0.0],
    [0.0, 3.0, 4.0, 5.0],
    [2.0, 3.0, 4.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [-0.0, 2.0, -3.0, 0.5],
    [2.0, np.nan, 0.0, 3.0],
    [2.0, np.inf, 0.0, 3.0],
    [1e30, 1e30, 0.0, 2.0],
    [np.inf, 0.1, 0.7, 0.3],
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("dim", "length"), [(0, 4), (1, 4), (1, 1)])
def test_cumprod_gradient_with_zeros_matches_torch(dim: int, length: int, dtype: str) -> None:
    """torch's cumprod_backward divides by the input only before a row's first zero; at it,
    the products after it up to the next zero; after it, nothing. Along a dim of one
    element it passes the gradient on as it is (inf included)."""
    data = np.array(_CUMPROD_ROWS, dtype)[:, :length] * 3
    data = data if dim == 1 else np.ascontiguousarray(data.T)
    upstream = np.random.default_rng(_seed("cumprod", dim, dtype)).standard_normal(data.shape)
    upstream = upstream.astype(dtype)
    mine = graph.Tensor(data.copy(), requires_grad=True)
    ours = graph.call("cumprod", [mine], {"dim": dim})
    graph.run_backward([ours], [graph.Tensor(upstream)], retain_graph=False)
    x = torch.tensor(data, requires_grad=True)
    theirs = torch.cumprod(x, dim)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_allclose(mine.grad.data, x.grad.numpy(), **TOLERANCE[dtype])


_POSITION_ERRORS = [  # (op, self's shape, index, attrs): torch's checks in its order
    ("gather", (3, 4), [[0, 9], [8, 0]], {"dim": 0}),  # the first in row-major order
    ("gather", (3, 4), [[0, 1], [-1, 0]], {"dim": 1}),
    ("gather", (3, 4), [[0, 1]], {"dim": 2}),
    ("gather", (3, 4), [[0.0]], {"dim": 1}),
    ("gather", (3, 4), [0, 1], {"dim": 1}),
    ("gather", (3, 4), [[0], [1], [2], [0]], {"dim": 1}),
    ("gather", (), [0, 1], {"dim": 0}),
    ("gather", (0, 3), [[0, 0, 0]], {"dim": 0}),
    ("index_select", (3, 4), [1, 3], {"dim": 2}),
    ("index_select", (3, 4), [[1]], {"dim": 0}),
    ("index_select", (), [0, 0], {"dim": 0}),
    ("index_select", (3, 4), [1.0], {"dim": 0}),
    ("index_select", (3, 4), [1, 5, 7], {"dim": 0}),
    ("index_select", (3, 4), [1, 9, -1], {"dim": 1}),
    ("index_select", (2, 3, 4), [-1], {"dim": -2}),
    ("index_select", (2, 3, 4), [0, 4], {"dim": 2}),
    ("index_select", (3,), [3], {"dim": 0}),
    ("index_select", (), [1], {"dim": 0}),
    ("index_select", (2, 0), [1, 5], {"dim": 0}),
    ("index_select", (0, 3), [0], {"dim": 0}),
]


@pytest.mark.parametrize(("op", "shape", "index", "attrs"), _POSITION_ERRORS, ids=str)
def test_gather_and_index_select_errors_match_torch(op, shape, index, attrs) -> None:
    data = np.zeros(shape, np.float32)
    positions = np.array(index)
    with pytest.raises(Exception) as expected:
        TORCH[op](torch.tensor(data), torch.tensor(positions), **attrs)
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(data), graph.Tensor(positions)], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


_SORTING_ERRORS = [  # (op, self's shape, dtype, attrs, requires grad)
    ("argsort", (3, 4), "float32", {"dim": 2}, False),
    ("argsort", (), "float32", {"dim": 1}, False),
    ("topk_indices", (3, 4), "float32", {"k": 5}, False),
    ("topk_indices", (3, 4), "float32", {"k": -1}, False),
    ("topk_indices", (), "float32", {"k": 2}, False),
    ("topk_indices", (3, 4), "bool", {"k": 5, "dim": 2}, False),
    ("topk_indices", (3, 4), "bool", {"k": 5}, False),
    ("topk_indices", (3, 4), "bool", {"k": 0}, False),
    ("cumsum", (3, 4), "float32", {"dim": -3}, False),
    ("cumsum", (3, 4), "bool", {"dim": 0, "dtype": "bool"}, False),
    ("cumprod", (3, 4), "float32", {"dim": 0, "dtype": "bool"}, False),
    ("cumsum", (3, 4), "float32", {"dim": 0, "dtype": "int64"}, True),
    ("prod", (3, 4), "float32", {"dim": 2}, False),
    ("prod", (3, 4), "float32", {"dtype": "int64"}, True),
    ("prod", (3, 4), "float32", {"dim": 0, "dtype": "bool"}, True),
    ("cumprod", (3, 4), "float64", {"dim": 1, "dtype": "int64"}, True),
]


@pytest.mark.parametrize(("op", "shape", "dtype", "attrs", "grad"), _SORTING_ERRORS, ids=str)
def test_sorting_and_cumulative_errors_match_torch(op, shape, dtype, attrs, grad) -> None:
    data = np.zeros(shape, dtype)
    with pytest.raises(Exception) as expected:
        _torch_call(C(op, **attrs), [torch.tensor(data, requires_grad=grad)])
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(data, requires_grad=grad)], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


_REARRANGING_ERRORS = [  # (op, self's data, attrs): torch's checks in its order
    ("repeat", np.zeros((2, 3)), {"repeats": [2]}),
    ("repeat", np.zeros((2, 3)), {"repeats": [-1, 2]}),
    ("repeat", np.zeros(2), {"repeats": [2, -1]}),
    ("flip", np.zeros((2, 3)), {"dims": [0, 0, 5]}),
    ("flip", np.zeros((2, 3)), {"dims": [5, 0, 0]}),
    ("flip", np.zeros((2, 3)), {"dims": [-1, 1]}),
    ("diagonal", np.zeros((2, 3)), {"dim1": 0, "dim2": -2}),
    ("diagonal", np.zeros((2, 3)), {"dim1": 2, "dim2": 0}),
    ("diagonal", np.zeros((2, 3)), {"dim1": 0, "dim2": -3}),
    ("diagonal", np.zeros(3), {}),
    ("diagonal", np.zeros(()), {"dim1": 0, "dim2": -1}),
    ("roll", np.zeros((2, 3)), {"shifts": []}),
    ("roll", np.zeros((2, 3)), {"shifts": [1, 2]}),
    ("roll", np.zeros((2, 3)), {"shifts": [1, 2], "dims": [0]}),
    ("roll", np.zeros((2, 3)), {"shifts": [1], "dims": [2]}),
    ("roll", np.zeros((2, 3)), {"shifts": [1, 1], "dims": [0, 7]}),
    ("roll", np.zeros(()), {"shifts": [1], "dims": [0]}),
    ("tril", np.zeros(3), {}),
    ("triu", np.zeros(()), {"diagonal": 1}),
    ("rot90", np.zeros((2, 3)), {"dims": [0]}),
    ("rot90", np.zeros(3), {}),
    ("rot90", np.zeros((2, 3, 4)), {"dims": [1, 1]}),
    ("rot90", np.zeros((2, 3, 4)), {"dims": [0, 3]}),
    ("rot90", np.zeros((2, 3, 4)), {"dims": [-4, 0]}),
    ("rot90", np.zeros((2, 3, 4)), {"dims": [-1, 2]}),
    ("rot90", np.zeros((2, 3, 4)), {"dims": [5, 5]}),
    ("nansum", np.zeros((2, 3)), {"dim": [2]}),
    ("unfold", np.zeros((3, 4)), {"dimension": 1, "size": 5, "step": 1}),
    ("unfold", np.zeros((3, 4)), {"dimension": 1, "size": -1, "step": 1}),
    ("unfold", np.zeros((3, 4)), {"dimension": 1, "size": 2, "step": 0}),
    ("unfold", np.zeros((3, 4)), {"dimension": 2, "size": 2, "step": 1}),
    ("unfold", np.zeros(()), {"dimension": 0, "size": 2, "step": 1}),
    ("trace", np.zeros(3), {}),
    ("trace", np.zeros((2, 3, 4)), {}),
    ("trace", np.zeros((2, 2), bool), {}),
    ("diag_embed", np.zeros(3), {"dim1": 0, "dim2": -2}),
    ("diag_embed", np.zeros(3), {"dim1": 0, "dim2": 5}),
    ("diag_embed", np.zeros(()), {}),
    ("diagonal_copy", np.zeros((2, 3)), {"dim1": 0, "dim2": -2}),
    ("logsumexp", np.zeros((2, 3)), {"dim": []}),
    ("logsumexp", np.zeros(3), {"dim": []}),
    ("logsumexp", np.zeros((2, 3)), {"dim": [2]}),
    ("logsumexp", np.zeros((2, 3)), {"dim": [0, -2]}),
    ("one_hot", np.zeros(3), {"num_classes": 3}),
    ("one_hot", np.zeros(0, np.int64), {"num_classes": 0}),
    ("one_hot", np.array([0, -1, 7]), {"num_classes": 3}),  # the negative one first
    ("one_hot", np.array([0, 1, 7]), {"num_classes": 3}),
    ("one_hot", np.array([0, 1]), {"num_classes": 0}),
]


@pytest.mark.parametrize(("op", "data", "attrs"), _REARRANGING_ERRORS, ids=str)
def test_rearranging_logsumexp_and_one_hot_errors_match_torch(op, data, attrs) -> None:
    data = data.astype(np.float32) if data.dtype == np.float64 else data
    with pytest.raises(Exception) as expected:
        _torch_call(C(op, **attrs), [torch.tensor(data)])
    with pytest.raises(GradError) as raised:
        graph.call(op, [graph.Tensor(data)], attrs)
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_of_infinite_rows_matches_torch(dtype: str) -> None:
    """A maximum of ±inf shifts by 0: -inf rows give -inf, rows with +inf give inf, nan
    stays; the gradient of a finite row next to them is unaffected."""
    inf, nan = np.inf, np.nan
    rows = [[-inf, -inf, -inf], [inf, 1, 2], [inf, -inf, 0], [nan, 1, 2], [1e30, 1, -1e30]]
    data = np.array([*rows, [0.5, -1, 2]], dtype)
    mine = graph.Tensor(data.copy(), requires_grad=True)
    ours = graph.call("logsumexp", [mine], {"dim": [1]})
    graph.run_backward([ours], [graph.Tensor(np.ones(6, dtype))], retain_graph=False)
    x = torch.tensor(data, requires_grad=True)
    theirs = torch.logsumexp(x, 1)
    theirs.sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(mine.grad.data, x.grad.numpy(), **TOLERANCE[dtype])
