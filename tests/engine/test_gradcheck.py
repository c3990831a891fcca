"""Finite-difference checks of every op's vector-Jacobian product, in float64, with no torch.

For a random upstream gradient g, the engine's gradient of each differentiable input must
match the central difference (L(x + eps e_i) - L(x - eps e_i)) / (2 eps) of L = Σ g * op(x),
element by element. Inputs stay clear of kinks (abs, relu at 0) and of domain edges (log,
sqrt, pow's base, divisors at 0), farther than eps. A meta-test derives the ops and their
differentiable inputs from `rules.SPECS`, so an op added without a check fails the suite.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from gradrpc.engine import graph, rules
from opcases import (
    BAG_OFFSETS,
    CHECKER,
    DOMINANT,
    INDEX,
    LENGTHS,
    PIVOTS,
    POS,
    SPD,
    WITHOUT_DERIVATIVE,
    C,
    Case,
    T,
    lengths,
    linalg_sample,
)

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-6


CASES: list[Case] = []
for _op in ("add", "sub", "mul", "div"):
    _den = POS if _op == "div" else "any"
    CASES += [
        C(_op, T((3, 1, 4)), T((2, 4), _den)),
        C(_op, T(()), T((2, 3), _den)),
        C(_op, T((2, 3)), 2.5),
        C(_op, 1.5, T((2, 3), _den)),
    ]
CASES += [
    *(C(_op, T((3, 1, 4)), T((2, 4))) for _op in ("atan2", "hypot")),
    *(C(_op, T((3, 1, 4), "unit"), T((2, 4), POS)) for _op in ("remainder", "fmod", "xlogy")),
    *(C(_op, T((2, 3), "unit"), 1.5) for _op in ("remainder", "fmod", "xlogy")),
    C("xlogy", 1.5, T((2, 3), POS)),
    C("lerp", T((3, 1, 4)), T((2, 4)), weight=0.3),
    C("lerp", T((2, 3)), T(()), weight=0.7),
    C("lerp_tensor", T((3, 1, 4)), T((2, 4)), T((4,), "unit")),
    C("addcmul", T((3, 1, 4)), T((2, 4)), T((4,)), value=0.5),
    C("addcdiv", T((3, 1, 4)), T((2, 4)), T((4,), POS), value=-1.5),
    C("rsub", T((3, 1, 4)), T((2, 4))),
    C("rsub", T((2, 3)), 2.5),
    C("pow", T((3, 1, 4), POS), T((2, 4))),
    C("pow", T((2, 3), POS), 3),
    C("pow", T((2, 3), POS), -1.5),
    C("pow", T((2, 3)), 2),
    C("pow", 2.0, T((2, 3))),
]
for _op, _domain in (
    ("neg", "any"),
    ("exp", "any"),
    ("log", POS),
    ("sqrt", POS),
    ("abs", "any"),
    ("relu", "any"),
    ("sigmoid", "any"),
    ("tanh", "any"),
    ("reciprocal", POS),
    ("sin", "any"),
    ("cos", "any"),
    ("rsqrt", POS),
    ("log1p", "unit"),
    ("expm1", "any"),
    ("log2", POS),
    ("log10", POS),
    ("erf", "any"),
    ("tan", "unit"),
    ("asin", "unit"),
    ("acos", "unit"),
    ("atan", "any"),
    ("sinh", "any"),
    ("cosh", "any"),
    ("asinh", "any"),
    ("acosh", "above one"),
    ("atanh", "unit"),
):
    CASES += [C(_op, T((3, 4), _domain)), C(_op, T((), _domain))]
CASES += [
    C("mm", T((3, 4)), T((4, 2))),
    C("mv", T((3, 4)), T((4,))),
    C("dot", T((5,)), T((5,))),
    C("bmm", T((2, 3, 4)), T((2, 4, 2))),
    C("expand", T((3, 1)), shape=[2, 3, 4]),
    C("_reshape_alias", T((4, 3)), shape=[2, 6]),
    C("t", T((3, 4))),
    C("transpose", T((2, 3, 4)), dim0=0, dim1=2),
    C("permute", T((2, 3, 4)), dims=[2, 0, 1]),
    C("view", T((2, 3, 4)), shape=[6, -1]),
    C("_unsafe_view", T((3, 4)), shape=[2, 6]),
    C("clone", T((3, 4))),
    C("unsqueeze", T((3, 4)), dim=1),
    C("squeeze", T((3, 1, 4)), dim=1),
    C("squeeze", T((1, 3, 1))),
    C("squeeze", T((1, 3, 1)), dims=[0, 1]),
    C("squeeze_", T((1, 4)), dim=0),
    C("_to_copy", T((3, 4)), dtype="float64"),
    C("select", T((3, 4)), dim=1, index=-2),
    C("slice", T((5, 3)), dim=0, start=1, end=5, step=2),
    C("alias", T((3, 4))),
    C("diagonal", T((3, 4)), offset=-1),
    C("diagonal", T((2, 3, 4)), offset=1, dim1=2, dim2=1),
    C("unbind", T((3, 4)), dim=1, index=2),
    C("split", T((5, 4)), split_size=2, dim=0, index=2),
    C("split_with_sizes", T((3, 5)), split_sizes=[2, 3], dim=1, index=1),
    C("cat", T((2, 3)), T((2, 1)), T((2, 2)), dim=1),
    C("stack", T((2, 3)), T((2, 3)), dim=1),
    C("index", T((3, 4)), T((2, 3), INDEX, "int64", grad=False), dims=[1]),
    C(
        "index",
        T((3, 2, 4)),
        T((4,), INDEX, "int64", grad=False),
        T((4,), INDEX, "int64", grad=False),
        dims=[0, 2],
    ),
    C("copy", T((3, 4)), T((4,))),
    C("clamp_tensors", T((3, 4)), T((3, 4)), T((4,)), has_min=True, has_max=True),
    C("clamp_min_tensor", T((3, 4)), T((4,))),
    C("clamp_max_tensor", T((3, 4)), T((3, 1))),
    C("where", T((3, 4), dtype="bool", grad=False), T((3, 4)), T((4,))),
    C("masked_fill", T((3, 4)), T((4,), dtype="bool", grad=False), value=0.5),
    C("zero", T((3, 4))),
    C("fill", T((3, 4)), value=2.0),
    C("fill_tensor", T((3, 4)), T(())),
    C("masked_fill_tensor", T((3, 4)), T((4,), dtype="bool", grad=False), T(())),
    C(
        "index_put",
        T((3, 4)),
        T((2, 3)),
        T((2, 3), INDEX, "int64", grad=False),
        dims=[1],
        accumulate=True,
    ),
    C(
        "index_put",
        T((3, 2, 4)),
        T((2,)),
        T((1,), INDEX, "int64", grad=False),
        T((1,), INDEX, "int64", grad=False),
        dims=[0, 2],
    ),
]
# sort's and topk's values at any positions (a gather); positions repeat in gather and
# index_select, so their gradients add
_POSITIONS = T((3, 5), "class", "int64", grad=False)
CASES += [
    C("sort", T((3, 5)), _POSITIONS),
    C("topk", T((3, 6)), T((3, 2), "class", "int64", grad=False), dim=-1),
    C("median_dim", T((3, 5)), T((3,), "class", "int64", grad=False), dim=1),
    C("mode", T((5, 3)), T((1, 3), "class", "int64", grad=False), dim=0, keepdim=True),
    C("kthvalue", T((3, 5)), T((3,), "class", "int64", grad=False), k=2, dim=1),
    C("cummax", T((3, 5)), _POSITIONS, dim=1),
    C("cummin", T((5, 3)), T((5, 3), "class", "int64", grad=False), dim=-2),
    C("logcumsumexp", T((3, 5)), dim=1),
    C("logcumsumexp", T((2, 3, 4)), dim=0),
    C("aminmax_min", T((3, 5)), dim=1),
    C("aminmax_max", T((3, 5)), keepdim=True),
    C("masked_scatter", T((3, 4)), T((4,), dtype="bool", grad=False), T((12,))),
    C("put", T((3, 4)), T((2, 3), "class", "int64", grad=False), T((2, 3)), accumulate=True),
    C("select_scatter", T((3, 4)), T((4,)), dim=0, index=-1),
    C("slice_scatter", T((3, 4)), T((3, 2)), dim=1, start=1, step=2),
    C("diagonal_scatter", T((3, 4)), T((3,)), offset=1),
    C(
        "index_reduce",
        T((5, 3)),
        T((4, 3), "class", "int64", grad=False),
        T((4, 3)),
        dim=0,
        reduce="mean",
    ),
    *(C("cdist", T((3, 2)), T((2, 4, 2)), p=_p) for _p in (1.5, 2.0, 3.0)),
    C("euclidean_dist", T((3, 2)), T((2, 4, 2))),
    C("median", T((3, 4))),
    C("median", T((5,)), ignore_nan=True),
    C("gather", T((3, 5)), T((2, 7), "class", "int64", grad=False), dim=1),
    C("gather", T((5, 2, 3)), T((4, 2, 2), "class", "int64", grad=False), dim=0),
    # scatter: one position per lane, since torch's gradient of an overwritten src element
    # (g at its position) is not the derivative; the reductions take repeats
    C("scatter", T((5, 3)), T((1, 3), "class", "int64", grad=False), T((1, 3)), dim=0),
    C("scatter_value", T((3, 5)), T((3, 1), "class", "int64", grad=False), dim=1, value=2.0),
    C("scatter_add", T((5, 3)), T((4, 2), "class", "int64", grad=False), T((4, 2)), dim=0),
    *(
        C(
            "scatter_reduce",
            T((5, 3)),
            T((4, 3), "class", "int64", grad=False),
            T((4, 3)),
            dim=0,
            reduce=r,
            include_self=include,
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
        for include in (True, False)
    ),
    C("index_select", T((5, 3)), T((6,), "class", "int64", grad=False), dim=0),
    C("index_select", T((2, 5, 2)), T((), "class", "int64", grad=False), dim=1),
    C("cumsum", T((3, 4)), dim=1),
    C("cumsum", T((2, 3, 4)), dim=0),
    C("prod", T((3, 4))),
    C("prod", T((2, 3, 4)), dim=1),
    C("prod", T((3, 4)), dim=0, keepdim=True),
    C("cumprod", T((3, 4)), dim=1),
    C("cumprod", T((2, 3, 4)), dim=-2),
]
for _op in ("var", "std"):
    CASES += [C(_op, T((3, 4))), C(_op, T((2, 3, 4)), dim=[0, 2], keepdim=True, correction=0.0)]
CASES += [
    *(C("linalg_vector_norm", T((3, 4)), ord=p) for p in (2.0, 1.0, 3.0, 1.5, 0.5, -1.0)),
    C("linalg_vector_norm", T((2, 3, 4)), ord=np.inf, dim=[1], keepdim=True),
    C("linalg_vector_norm", T((2, 3, 4)), dim=[0, 2]),
]
for _op in ("sum", "mean"):
    CASES += [
        C(_op, T((3, 4))),
        C(_op, T((2, 3, 4)), dim=[0, 2]),
        C(_op, T((2, 3, 4)), dim=[-1], keepdim=True),
    ]
for _op in ("max", "min"):
    CASES += [
        C(_op, T((3, 4))),
        C(f"{_op}_dim", T((3, 4)), dim=1),
        C(f"{_op}_dim", T((2, 3, 4)), dim=0, keepdim=True),
        C(f"a{_op}", T((2, 3, 4)), dim=[0, 2]),
        C(f"a{_op}", T((3, 4))),
        C(f"{_op}imum", T((3, 1, 4)), T((2, 4))),
    ]
CASES += [
    C("clamp", T((3, 4)), min=-1.0, max=1.0),
    C("clamp_min", T((3, 4)), min=0.5),
    C("clamp_max", T((3, 4)), max=-0.5),
]
# rounding: a gradient of 0 (frac's passes), checked away from the steps
CASES += [C(op, T((3, 4))) for op in ("floor", "ceil", "trunc", "round", "sign", "frac")]
CASES += [C("round", T((3, 4)), decimals=1)]
_STATS = (T((2,), grad=False), T((2,), POS, grad=False))  # batch_norm's running statistics
CASES += [
    C("addmm", T((3, 5)), T((3, 4)), T((4, 5))),
    C("addmm", T((5,)), T((3, 4)), T((4, 5)), beta=0.5, alpha=-2.0),
    C("addmv", T((3,)), T((3, 4)), T((4,)), beta=0.5, alpha=-2.0),
    C("addr", T((3, 1)), T((3,)), T((4,)), beta=2.0),
    C("baddbmm", T((3, 5)), T((2, 3, 4)), T((2, 4, 5)), alpha=0.5),
    C("addbmm", T((3, 5)), T((2, 3, 4)), T((2, 4, 5)), beta=-1.0),
    C("vdot", T((4,)), T((4,))),
    C("dist", T((3, 4)), T((4,)), p=3.0),
    C("renorm", T((3, 4)), p=2.0, dim=1, maxnorm=0.5),
    C("renorm", T((3, 4)), p=3.0, dim=0, maxnorm=0.1),
    C("softmax", T((3, 4)), dim=1),
    C("softmax", T((2, 3, 4)), dim=1),
    C("log_softmax", T((3, 4)), dim=0),
    C("_safe_softmax", T((2, 3, 4)), dim=-1),
    C("log_softmax", T((2, 3, 4)), dim=-1),
    C("layer_norm", T((3, 4)), T((4,)), T((4,)), normalized_shape=(4,)),
    C("layer_norm", T((2, 2, 3)), T((2, 3)), T((2, 3)), normalized_shape=(2, 3), eps=0.1),
    C("layer_norm", T((3, 4)), 1, 0, normalized_shape=(4,)),
    C("native_group_norm", T((2, 4, 3)), T((4,)), T((4,)), num_groups=2),
    C("native_group_norm", T((3, 4)), 1, 0, num_groups=1, eps=0.1),
    C("batch_norm", T((4, 3)), T((3,)), T((3,)), training=True),
    C("batch_norm", T((2, 2, 3)), 1, 0, training=True, eps=0.1),
    C("batch_norm", T((3, 2)), T((2,)), T((2,)), *_STATS, training=False),
]
_CLASSES = T((4,), "class", grad=False)
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("nll_loss", T((4, 5)), _CLASSES, reduction=_reduction),
        C("nll_loss", T((4, 5)), _CLASSES, reduction=_reduction, ignore_index=1),
        C("nll_loss2d", T((2, 5, 2, 2)), T((2, 2, 2), "class", grad=False), reduction=_reduction),
    ]
_BAG = T((7,), "class", "int64", grad=False)
# inputs whose gradient is torch's formula rather than the derivative, checked by finite
# differences where the formula is the derivative
CHECKED_ELSEWHERE = {
    ("linalg_lstsq_residuals", 0): "test_ops_vs_torch.py: gelsy's residuals are empty",
    ("linalg_lstsq_residuals", 1): "test_ops_vs_torch.py: gelsy's residuals are empty",
    ("linalg_eigh_values", 0): "test_ops_vs_torch.py: torch's eigenvalue gradient, symmetric",
    ("linalg_eigh_vectors", 0): "test_ops_vs_torch.py: torch's eigenvector gradient, symmetric",
    # torch's formulas for a factor or a matrix read through one triangle: the gradient of a
    # symmetric perturbation (the whole matrix), where finite differences see one triangle
    ("linalg_cholesky", 0): "test_ops_vs_torch.py: torch's cholesky_backward, symmetric",
    ("cholesky_solve", 1): "test_ops_vs_torch.py: torch's cholesky_solve_backward",
    ("cholesky_inverse", 0): "test_ops_vs_torch.py: torch's cholesky_inverse_backward",
    ("linalg_slogdet_sign", 0): "test_ops_vs_torch.py: no gradient flows through the sign, as "
    "torch's (its undefined gradient)",
    ("ctc_loss", 0): "test_ctc_loss_engine.py: the gradient of the logits of log_softmax, "
    "which torch's formula (exp(lp) - the occupation) gives",
}
_BAG_OFFSETS = T((4,), BAG_OFFSETS, "int64", grad=False)
# embedding's true derivative only: padding_idx and scale_grad_by_freq change the gradient on
# purpose (torch's definition), which test_ops_vs_torch compares with torch's
CASES += [
    C("embedding", T((5, 3)), T((2, 3), "class", grad=False)),
    C("embedding", T((5, 3)), T((), "class", grad=False)),
    *(C("embedding_bag", T((5, 3)), _BAG, _BAG_OFFSETS, 0, mode=m) for m in ("sum", "mean")),
    C(
        "embedding_bag",
        T((5, 3)),
        _BAG,
        T((4,), BAG_OFFSETS, "int64", grad=False),
        T((7,)),
        mode="sum",
    ),
]
CASES += [
    C("convolution", T((2, 2, 6)), T((3, 2, 3)), T((3,)), stride=(2,), padding=(1,)),
    C("convolution", T((1, 4, 5, 4)), T((4, 2, 2, 3)), T((4,)), groups=2, dilation=(2, 1)),
    C("convolution", T((1, 2, 4, 4)), T((2, 2, 3, 3)), 0, stride=(2,), padding=(2, 1)),
    C("convolution", T((1, 2, 3, 4, 3)), T((2, 2, 2, 2, 2)), T((2,)), padding=(1, 0, 1)),
    C("constant_pad_nd", T((2, 3, 4)), pad=[-1, 2, 1, 0], value=0.5),
    C("repeat", T((2, 3)), repeats=[2, 1, 3]),
    C("flip", T((2, 3, 4)), dims=[0, 2]),
    C("roll", T((2, 3, 4)), shifts=[1, -2], dims=[0, 2]),
    C("roll", T((2, 3)), shifts=[4]),
    C("tril", T((3, 4)), diagonal=1),
    C("triu", T((2, 3, 4)), diagonal=-1),
    C("logit", T((3, 4), "unit")),
    C("logit", T((3, 4), "unit"), eps=0.2),
    C("sinc", T((3, 4))),
    C("nan_to_num", T((3, 4))),
    C("logaddexp", T((3, 1, 4)), T((2, 4))),
    *(C(op, T((3, 4))) for op in ("erfc", "exp2", "i0", "deg2rad", "rad2deg", "sgn")),
    *(C(op, T((3, 4))) for op in ("special_i0e", "special_i1", "special_i1e")),
    *(C(op, T((3, 4), POS)) for op in ("lgamma", "digamma", "special_log_ndtr")),
    *(C(op, T((3, 4), POS)) for op in ("special_entr", "frexp")),
    *(C(op, T((3, 4), "unit")) for op in ("erfinv", "special_ndtri")),
    C("polygamma", T((3, 4), POS), n=2),
    C("mvlgamma", T((3, 4), POS), p=1),
    *(C(op, T((3, 1, 4)), T((2, 4))) for op in ("logaddexp2", "fmax", "fmin", "copysign")),
    C("nextafter", T((3, 1, 4)), T((2, 4))),
    C("ldexp", T((3, 1, 4)), T((2, 4))),
    C("special_xlog1py", T((3, 1, 4)), T((2, 4), POS)),
    C("special_erfcx", T((3, 4))),
    C("special_zeta", 2.5, T((2, 3), POS)),
    *(C(op, T((3, 1, 4), POS, grad=False), T((2, 4), POS)) for op in ("igamma", "igammac")),
    C("nansum", T((2, 3, 4)), dim=[0, 2], keepdim=True),
    C("rot90", T((2, 3, 4)), k=-1, dims=[1, -1]),
    C("index_add", T((5, 3)), T((4,), "class", "int64", grad=False), T((4, 3)), dim=0, alpha=-2),
    C("unfold", T((2, 5, 3)), dimension=1, size=3, step=1),
    C("index_copy", T((5, 3)), T((2,), "class", "int64", grad=False), T((2, 3)), dim=0),
    C("index_fill", T((3, 4)), T((2,), INDEX, grad=False), dim=1, value=1.5),
    C("index_fill_tensor", T((5, 4)), T((2,), "class", "int64", grad=False), T(()), dim=0),
    C("take", T((3, 4)), T((2, 3), INDEX, grad=False)),
    C(
        "pack_padded_sequence",
        T((2, 4, 3)),
        T((2,), LENGTHS, "int64", grad=False),
        total=sum(lengths(2)),
        batch_first=True,
    ),
    C("masked_select", T((2, 1)), T((3,), CHECKER, "bool", grad=False), count=4),
    C("trace", T((3, 4))),
    C("diag_embed", T((2, 3)), offset=-1, dim1=0, dim2=2),
    C("diagonal_copy", T((3, 4)), offset=1),
    C("linalg_cross", T((2, 3)), T((1, 3))),
    C("linalg_inv", T((2, 3, 3), DOMINANT)),
    C("linalg_svd_s", T((2, 4, 3))),
    C("linalg_svd_u", T((4, 3)), full_matrices=False),
    C("linalg_svd_u", T((3, 4))),
    C("linalg_svd_vh", T((3, 4)), full_matrices=False),
    C("linalg_svd_vh", T((4, 3))),
    C("linalg_matrix_exp", T((2, 3, 3))),
    C("linalg_qr_q", T((4, 3))),
    C("linalg_qr_q", T((3, 5)), mode="complete"),
    C("linalg_qr_r", T((2, 4, 3))),
    C("linalg_qr_r", T((3, 5))),
    C("linalg_pinv", T((4, 3))),
    C("linalg_pinv", T((2, 3, 5))),
    C("linalg_lstsq", T((1, 5, 3)), T((2, 5, 2))),
    C("linalg_lstsq", T((2, 5, 3)), T((2, 5))),
    C("linalg_det", T((3, 3))),
    C("linalg_lu_factor", T((2, 3, 3), DOMINANT)),
    C("linalg_lu_factor", T((4, 3))),
    C("linalg_lu_factor", T((3, 5))),
    C("linalg_lu_l", T((4, 3))),
    C("linalg_lu_l", T((3, 5))),
    C("linalg_lu_u", T((3, 3))),
    C("linalg_lu_u", T((2, 3, 5))),
    C("lu_unpack_l", T((4, 3)), T((3,), PIVOTS, "int32", grad=False)),
    C("lu_unpack_u", T((3, 5)), T((3,), PIVOTS, "int32", grad=False)),
    C("linalg_lu_solve", T((3, 3), DOMINANT), T((3,), PIVOTS, "int32", grad=False), T((3, 2))),
    C(
        "linalg_lu_solve",
        T((2, 3, 3), DOMINANT),
        T((2, 3), PIVOTS, "int32", grad=False),
        T((2, 3)),
        left=False,
        adjoint=True,
    ),
    C(
        "linalg_lu_solve",
        T((3, 3), DOMINANT),
        T((3,), PIVOTS, "int32", grad=False),
        T((3, 2)),
        adjoint=True,
    ),
    C(
        "linalg_lu_solve",
        T((3, 3), DOMINANT),
        T((3,), PIVOTS, "int32", grad=False),
        T((2, 3)),
        left=False,
    ),
    C("linalg_householder_product", T((4, 3)), T((2,), "unit")),
    C("linalg_householder_product", T((2, 3, 3)), T((2, 3), "unit")),
    C("linalg_slogdet", T((2, 3, 3), DOMINANT)),
    C("linalg_solve", T((2, 1, 3, 3), DOMINANT), T((2, 3, 2))),
    C("linalg_solve", T((3, 3), DOMINANT), T((3,)), left=True),
    C("linalg_solve", T((3, 3), DOMINANT), T((2, 3)), left=False),
    C("linalg_solve_triangular", T((2, 3, 3), DOMINANT), T((3, 2)), upper=True),
    C("linalg_solve_triangular", T((3, 3), DOMINANT), T((2, 3)), upper=False, left=False),
    C("linalg_solve_triangular", T((3, 3), DOMINANT), T((3, 2)), upper=True, unitriangular=True),
    C("cholesky_solve", T((3, 2)), T((3, 3), SPD, grad=False)),
    C("cholesky_solve", T((2, 3, 2)), T((3, 3), SPD, grad=False), upper=True),
    C("block_diag", T((2, 3)), T((3,)), T(())),
    C("logsumexp", T((3, 4)), dim=[1]),
    C("logsumexp", T((2, 3, 4)), dim=[0, 2], keepdim=True),
    C("upsample_nearest1d", T((1, 2, 3)), output_size=[7]),
    C("upsample_nearest2d", T((1, 2, 3, 4)), output_size=[5, 3]),
    C("upsample_nearest3d", T((1, 1, 2, 3, 2)), output_size=[3, 5, 4]),
    C("upsample_linear1d", T((1, 2, 4)), output_size=[7], align_corners=False),
    C("upsample_linear1d", T((2, 1, 5)), output_size=[3], align_corners=True),
    C("upsample_bilinear2d", T((1, 2, 3, 4)), output_size=[5, 7], align_corners=False),
    C("upsample_bilinear2d", T((1, 2, 4, 3)), output_size=[3, 5], align_corners=True),
    C("_upsample_nearest_exact1d", T((1, 2, 3)), output_size=[7]),
    C("_upsample_nearest_exact2d", T((1, 2, 3, 4)), output_size=[5, 3]),
    C("_upsample_nearest_exact3d", T((1, 1, 2, 3, 2)), output_size=[3, 5, 4]),
    C("upsample_trilinear3d", T((1, 1, 2, 3, 2)), output_size=[3, 5, 4], align_corners=False),
    C("upsample_trilinear3d", T((1, 2, 3, 2, 3)), output_size=[2, 4, 2], align_corners=True),
    C("upsample_bicubic2d", T((1, 2, 3, 4)), output_size=[5, 7], align_corners=False),
    C("upsample_bicubic2d", T((1, 2, 4, 3)), output_size=[3, 5], align_corners=True),
    C(
        "im2col",
        T((1, 2, 4, 4)),
        kernel_size=[2, 3],
        dilation=[1, 1],
        padding=[1, 0],
        stride=[2, 1],
    ),
    C(
        "col2im",
        T((1, 4, 4)),
        output_size=[3, 4],
        kernel_size=[2, 2],
        dilation=[1, 2],
        padding=[0, 1],
        stride=[1, 2],
    ),
    C("pixel_shuffle", T((1, 8, 2, 3)), upscale_factor=2),
    C("pixel_unshuffle", T((2, 1, 4, 6)), downscale_factor=2),
    C("adaptive_avg_pool2d", T((1, 2, 5, 4)), output_size=[3, 3]),
    C("adaptive_max_pool2d", T((1, 2, 5, 4)), output_size=[3, 3]),
    C("reflection_pad1d", T((2, 4)), padding=[3, -1]),
    C("reflection_pad2d", T((1, 2, 3, 4)), padding=[3, -1, 2, 1]),
    C("reflection_pad3d", T((1, 1, 3, 2, 3)), padding=[2, 1, -1, 1, 2, 1]),
    C("replication_pad1d", T((1, 2, 3)), padding=[-1, 4]),
    C("replication_pad2d", T((2, 3, 3)), padding=[2, 2, 1, -1]),
    C("replication_pad3d", T((2, 3, 2, 3)), padding=[2, 1, -1, 2, 1, 1]),
    C("max_pool2d", T((1, 2, 5, 5)), kernel_size=[3], stride=[2], padding=[1], ceil_mode=True),
    C("max_pool2d", T((2, 6, 6)), kernel_size=[2, 3], dilation=[2, 1]),
    C("avg_pool2d", T((1, 2, 5, 5)), kernel_size=[3], stride=[2], padding=[1], ceil_mode=True),
    C("avg_pool2d", T((2, 5, 4)), kernel_size=[2], padding=[1], count_include_pad=False),
    C("avg_pool2d", T((1, 1, 4, 4)), kernel_size=[3], stride=[1], divisor_override=2),
    C("max_pool3d", T((1, 1, 4, 5, 5)), kernel_size=[3], stride=[2], padding=[1], ceil_mode=True),
    C("max_pool3d", T((2, 5, 4, 6)), kernel_size=[2, 2, 3], dilation=[2, 1, 1]),
    C("avg_pool3d", T((1, 1, 4, 5, 5)), kernel_size=[3], stride=[2], padding=[1], ceil_mode=True),
    C("avg_pool3d", T((2, 3, 4, 3)), kernel_size=[2], padding=[1], count_include_pad=False),
    C("avg_pool3d", T((1, 1, 3, 4, 4)), kernel_size=[2, 3, 3], stride=[1], divisor_override=2),
    C("adaptive_avg_pool3d", T((1, 2, 3, 5, 4)), output_size=[2, 3, 3]),
    C("adaptive_max_pool3d", T((1, 2, 3, 5, 4)), output_size=[2, 3, 3]),
    C(
        "fractional_max_pool2d",
        T((1, 2, 6, 5)),
        T((1, 2, 2), "unit", grad=False),
        kernel_size=[2, 2],
        output_size=[4, 3],
    ),
    C(
        "fractional_max_pool3d",
        T((2, 4, 5, 4)),
        T((1, 2, 3), "unit", grad=False),
        kernel_size=[2, 3, 2],
        output_size=[2, 2, 2],
    ),
    # max_unpool: one index per plane, since torch's gradient of an overwritten element (g at
    # its index) is not the derivative
    C(
        "max_unpool2d",
        T((2, 3, 1, 1)),
        T((2, 3, 1, 1), "class", "int64", grad=False),
        output_size=[2, 3],
    ),
    C(
        "max_unpool3d",
        T((2, 1, 1, 1)),
        T((2, 1, 1, 1), "class", "int64", grad=False),
        output_size=[1, 2, 3],
        stride=[1, 1, 1],
        padding=[0, 0, 0],
    ),
]
for _reduction in ("mean", "sum", "none"):
    CASES += [
        C("binary_cross_entropy_with_logits", T((3, 4)), T((3, 4), "unit"), reduction=_reduction),
        C("mse_loss", T((3, 1)), T((4,)), reduction=_reduction),
    ]
    CASES += [
        C("smooth_l1_loss", T((3, 1)), T((4,)), reduction=_reduction, beta=5.0),
        C("huber_loss", T((3, 1)), T((4,)), reduction=_reduction, delta=5.0),
        C("soft_margin_loss", T((3, 4)), T((4,), grad=False), reduction=_reduction),
        C(
            "multi_margin_loss",
            T((6, 5)),
            T((6,), "class", "int64", grad=False),
            T((5,), "pos", grad=False),
            reduction=_reduction,
            p=2,
        ),
        C(
            "multilabel_margin_loss",
            T((4, 5)),
            T((4, 5), "class", "int64", grad=False),
            reduction=_reduction,
        ),
        C("binary_cross_entropy", T((3, 4), "unit"), T((3, 4), "unit"), reduction=_reduction),
    ]
CASES += [
    C("smooth_l1_loss", T((3, 4)), T((3, 4)), beta=0.5),
    C("huber_loss", T((3, 4)), T((3, 4)), delta=0.3),
    C("binary_cross_entropy", T((2, 3), "unit"), T((2, 3), "unit"), T((3,), POS, grad=False)),
    C("leaky_relu", T((3, 4)), negative_slope=0.2),
    C("leaky_relu", T((3, 4)), negative_slope=0.2, self_is_result=True),
    C("elu", T((3, 4)), alpha=0.7, scale=1.3, input_scale=0.6),
    C("elu", T((3, 4)), alpha=0.7, scale=1.3, input_scale=0.6, self_is_result=True),
    C("celu", T((3, 4)), alpha=0.3),
    C("gelu", T((3, 4))),
    C("gelu", T((3, 4)), approximate="tanh"),
    C("silu", T((3, 4))),
    *(C(op, T((3, 4))) for op in ("mish", "hardswish", "hardsigmoid", "log_sigmoid")),
    C("hardshrink", T((3, 4)), lambd=0.1),
    C("softshrink", T((3, 4)), lambd=0.1),
    C("softplus", T((3, 4)), beta=2.0),
    C("hardtanh", T((3, 4)), min_val=-0.5, max_val=1.0),
    C("threshold", T((3, 4)), threshold=0.1, value=2.0),
    C("prelu_kernel", T((2, 3, 4)), T((1, 3, 1))),
    C("trilinear", T((3, 2)), T((4, 2, 3)), T((3, 3))),
    C("rrelu_with_noise", T((3, 4)), 1.0, lower=0.1, upper=0.3),
    C("rrelu_with_noise", T((3, 4)), T((3, 4), grad=False), training=True),
    C("glu", T((3, 4)), dim=1),
    C("glu", T((4, 3)), dim=0),
]


def _sample(rng: np.random.Generator, operand: T) -> np.ndarray:
    if operand.domain == CHECKER:
        return (np.arange(int(np.prod(operand.shape))) % 2 == 0).reshape(operand.shape)
    if operand.domain == LENGTHS:
        return np.array(lengths(operand.shape[0]), dtype=np.int64)
    if operand.dtype == "bool":
        return rng.random(operand.shape) < 0.5
    if operand.domain == "class":
        return rng.integers(0, 5, operand.shape).astype(np.int64)
    if operand.domain == INDEX:
        return rng.integers(-3, 3, operand.shape).astype(np.int64)
    if operand.domain == BAG_OFFSETS:
        return np.array([0, 2, 2, 5], np.int64)
    if operand.domain == PIVOTS:
        return rng.integers(1, operand.shape[-1] + 1, operand.shape).astype(np.int32)
    if operand.domain == POS:
        values = rng.uniform(0.5, 2.0, operand.shape)
    elif operand.domain == "unit":
        values = rng.uniform(0.05, 0.95, operand.shape)
    elif operand.domain == "above one":
        values = rng.uniform(1.2, 3.0, operand.shape)
    else:
        values = rng.uniform(0.2, 2.0, operand.shape) * rng.choice([-1.0, 1.0], operand.shape)
    if operand.domain in (DOMINANT, SPD):
        values = linalg_sample(values, operand.domain)
    return np.asarray(values, dtype=np.float64)


def _objective(case: Case, operands: list, upstream: np.ndarray) -> float:
    """L = Σ upstream * op(operands), evaluated without recording a graph."""
    out = graph.call(case.op, operands, case.attrs, grad_enabled=False)
    return float(np.sum(upstream * out.data))


def _numerical_gradient(case: Case, operands: list, x: graph.Tensor, upstream) -> np.ndarray:
    grad = np.zeros_like(x.data)
    for index in np.ndindex(x.data.shape):
        original = x.data[index]
        x.data[index] = original + EPS
        plus = _objective(case, operands, upstream)
        x.data[index] = original - EPS
        minus = _objective(case, operands, upstream)
        x.data[index] = original
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case: Case) -> None:
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    operands = [
        graph.Tensor(_sample(rng, o), requires_grad=o.grad) if isinstance(o, T) else o
        for o in case.operands
    ]
    inputs = [o for o in operands if isinstance(o, graph.Tensor) and o.requires_grad]
    out = graph.call(case.op, operands, case.attrs)
    upstream = rng.standard_normal(out.meta.shape)
    analytical = graph.run_backward(
        [out], [graph.Tensor(upstream)], retain_graph=False, targets=inputs, accumulate=False
    )
    for i, (x, grad) in enumerate(zip(inputs, analytical, strict=True)):
        assert grad is not None and grad.shape == x.data.shape and grad.dtype == np.float64
        numerical = _numerical_gradient(case, operands, x, upstream)
        np.testing.assert_allclose(
            grad, numerical, rtol=RTOL, atol=ATOL, err_msg=f"input {i} of {case.id}"
        )


def test_every_differentiable_input_has_a_gradient_check() -> None:
    """Derived from SPECS: each op with a differentiable input, and each such input, appears
    in a case where that input is a tensor that requires grad (but WITHOUT_DERIVATIVE)."""
    covered = {
        (c.op, i) for c in CASES for i, o in enumerate(c.operands) if isinstance(o, T) and o.grad
    }
    wanted = {
        (name, i)
        for name, spec in rules.SPECS.items()
        for i, differentiable in enumerate(spec.differentiable)
        if differentiable and name not in WITHOUT_DERIVATIVE
    }
    assert not wanted - covered - set(CHECKED_ELSEWHERE), (
        f"never checked: {sorted(wanted - covered)}"
    )
