"""gradrpc.printing must reproduce torch 2.13.0's tensor repr character for character.

Every case builds a real torch tensor, prints it with torch, and compares with
``format_tensor`` applied to the tensor's numpy values.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch
from gradrpc.printing import format_scalar, format_tensor, get_printoptions, set_printoptions

SEED = 20240613
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def _ours(t: torch.Tensor) -> str:
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return format_tensor(
        t.detach().numpy(),
        dtype=_dtype_name(t),
        requires_grad=t.requires_grad,
        grad_fn=grad_fn,
    )


def _check(t: torch.Tensor) -> None:
    expected = repr(t)
    assert str(t) == expected
    assert _ours(t) == expected


@pytest.fixture(autouse=True)
def _default_printoptions():
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


def _rng(*key: object) -> np.random.Generator:
    """A generator seeded per case, so each case is reproducible on its own."""
    return np.random.default_rng([SEED, *(zlib.crc32(repr(k).encode()) for k in key)])


# --------------------------------------------------------------------------- case builders

SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 2, 2, 3)]
SCALES = [10.0**k for k in range(-10, 11)]


def _scaled_cases():
    for scale in SCALES:
        for shape in SHAPES:
            for dtype in ("float32", "float64"):
                yield f"normal-{scale:g}-{shape}-{dtype}", ("normal", scale, shape, dtype)


def _build_scaled(scale, shape, dtype):
    values = _rng(scale, shape, dtype).standard_normal(shape) * scale
    return torch.tensor(values, dtype=DTYPES[dtype])


SPECIAL_VALUES = {
    "zeros": [0.0, 0.0, 0.0],
    "neg-zero": [0.0, -0.0],
    "only-neg-zero": [-0.0],
    "nan": [float("nan")],
    "inf": [float("inf"), -float("inf")],
    "nan-inf-zero": [float("nan"), float("inf"), 0.0, -float("inf"), -0.0],
    "ints-nan": [1.0, float("nan"), 3.0],
    "ints-inf": [1.0, -float("inf"), 300.0, float("inf")],
    "ints-negzero": [-0.0, 2.0, -5.0],
    "frac-nan": [0.5, float("nan"), -2.25],
    "frac-inf-negzero": [0.5, float("inf"), -0.0, -1.75],
    "sci-nan": [1e-7, float("nan"), 3.0],
    "sci-inf-negzero": [1e10, -float("inf"), -0.0, 1.5],
    "int-valued": [1.0, 2.0],
    "int-valued-neg": [-1.0, 20.0, -300.0],
    "big-ints": [123456789.0, 1.0],
    "1e8": [1e8, 1.0, 2.0],
    "1e8-plus": [1e8 + 8, 3.0],
    "1e9": [1e9],
    "ratio-1000": [1.0, 1000.0],
    "ratio-1000-frac": [1.5, 1000.5],
    "ratio-above": [1.0, 1001.0],
    "ratio-frac-above": [0.25, 300.0],
    "tiny-1e-4": [1e-4],
    "tiny-1e-4-pair": [1e-4, 0.5],
    "tiny-2e-4": [2e-4, 0.05],
    "rounding-9": [9.99996, 1.0],
    "rounding-09": [0.99995, 0.5],
    "rounding-999": [999.99995, 500.0],
    "rounding-sci": [9.99995e-7, 1e-6],
    "tenths": [0.1, 0.2, 0.3],
    "thirds": [1 / 3, 2 / 3, -1 / 3],
    "half-ints": [0.5, 1.5, 2.5, -3.5],
    "huge": [3.0e38, -1.0e38],
    "huge-int-valued": [1e20, 2e20],
    "tiny-subnormal": [1e-40, 1.0],
    "mixed-signs-sci": [-1e-5, 2e5, -3.3],
    "single-neg": [-7.25],
    "single-big": [12345.678],
    "single-tiny": [-0.00001234],
}


def _special_cases():
    for name in SPECIAL_VALUES:
        for dtype in ("float32", "float64"):
            yield f"special-{name}-{dtype}", ("special", name, dtype)
            yield f"special-0d-{name}-{dtype}", ("special-0d", name, dtype)
            yield f"special-2d-{name}-{dtype}", ("special-2d", name, dtype)


def _build_special(kind, name, dtype):
    values = SPECIAL_VALUES[name]
    t = torch.tensor(values, dtype=DTYPES[dtype])
    if kind == "special-0d":
        return t[-1].clone()
    if kind == "special-2d":
        return torch.stack([t, -t * 3, t / 7])
    return t


F64_ONLY = {
    "f64-tiny": [1e-320, 1.0],
    "f64-huge": [1.7e308, -1.0],
    "f64-precise": [0.1 + 0.2, 1.0 / 7],
    "f64-large-int": [2.0**53, 1.0],
}


def _int_cases():
    for low, high in [(0, 10), (-10, 10), (-1000, 1000), (0, 10**6), (-(2**62), 2**62)]:
        for shape in SHAPES:
            yield f"int-{low}-{high}-{shape}", ("int", low, high, shape)
    for shape in SHAPES:
        yield f"bool-{shape}", ("bool", shape)
    yield "bool-all-true", ("bool-const", True)
    yield "bool-all-false", ("bool-const", False)
    yield "int-extremes", ("int-extremes",)


def _build_int(kind, *args):
    if kind == "int":
        low, high, shape = args
        values = _rng(low, high, shape).integers(low, high, size=shape, dtype=np.int64)
        return torch.tensor(values, dtype=torch.int64)
    if kind == "bool":
        (shape,) = args
        return torch.tensor(_rng("bool", shape).random(shape) < 0.5, dtype=torch.bool)
    if kind == "bool-const":
        return torch.full((2, 3), args[0], dtype=torch.bool)
    return torch.tensor([-(2**63), 2**63 - 1, 0, -1], dtype=torch.int64)


EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0), (1, 0, 1, 2)]


def _empty_cases():
    for shape in EMPTY_SHAPES:
        for dtype in ("float32", "float64", "int64", "bool"):
            yield f"empty-{shape}-{dtype}", ("empty", shape, dtype)


LARGE = [
    ("arange-2000", lambda: torch.arange(2000.0)),
    ("normal-2000", lambda: torch.tensor(_rng("n2000").standard_normal(2000), dtype=torch.float32)),
    ("normal-40x40", lambda: torch.tensor(_rng("40x40").standard_normal((40, 40)))),
    ("normal-40x40-f32", lambda: torch.randn(40, 40, generator=torch.Generator().manual_seed(1))),
    ("normal-3x400", lambda: torch.tensor(_rng("3x400").standard_normal((3, 400))).float()),
    ("normal-400x3", lambda: torch.tensor(_rng("400x3").standard_normal((400, 3))).float()),
    ("normal-10x10x11", lambda: torch.tensor(_rng("10x10x11").standard_normal((10, 10, 11)))),
    ("normal-8x8x8x8", lambda: torch.tensor(_rng("8^4").standard_normal((8, 8, 8, 8))).float()),
    ("normal-1001", lambda: torch.tensor(_rng("1001").standard_normal(1001)).float()),
    ("exactly-1000", lambda: torch.tensor(_rng("1000").standard_normal(1000)).float()),
    ("int-2000", lambda: torch.arange(-1000, 1000)),
    ("int-50x50", lambda: torch.tensor(_rng("i50").integers(-(10**9), 10**9, (50, 50)))),
    ("bool-40x40", lambda: torch.tensor(_rng("b40").random((40, 40)) < 0.3)),
    (
        "sci-hidden-middle",  # the formatter only sees the edges
        lambda: torch.cat([torch.ones(3), torch.full((2000,), 1e-9), torch.ones(3) * 2]),
    ),
    (
        "nan-hidden-middle",
        lambda: torch.cat([torch.ones(3), torch.full((2000,), float("nan")), torch.ones(3)]),
    ),
    ("scaled-2000", lambda: torch.tensor(_rng("s2000").standard_normal(2000) * 1e6).float()),
    ("int-valued-3x400", lambda: torch.arange(1200.0).reshape(3, 400)),
    ("small-first-dim-2x2x600", lambda: torch.tensor(_rng("2x2x600").random((2, 2, 600)))),
]

LONG_ROWS = [
    ("row-30", lambda: torch.tensor(_rng("r30").standard_normal(30)).float()),
    ("row-100-f64", lambda: torch.tensor(_rng("r100").standard_normal(100))),
    ("row-100-sci", lambda: torch.tensor(_rng("r100s").standard_normal(100) * 1e-8).float()),
    ("rows-5x50", lambda: torch.tensor(_rng("5x50").standard_normal((5, 50))).float()),
    ("rows-3x4x30", lambda: torch.tensor(_rng("3x4x30").standard_normal((3, 4, 30))).float()),
    ("rows-2x2x2x40", lambda: torch.tensor(_rng("2^3x40").standard_normal((2, 2, 2, 40)))),
    ("int-row-200", lambda: torch.arange(200)),
    ("int-row-huge", lambda: torch.tensor(_rng("ih").integers(-(2**62), 2**62, 40))),
    ("bool-row-100", lambda: torch.tensor(_rng("br").random(100) < 0.5)),
    ("int-valued-row", lambda: torch.arange(0.0, 300.0, 7.0)),
    ("nan-row", lambda: torch.full((60,), float("nan"))),
    ("wide-numbers-row", lambda: torch.tensor(_rng("wide").random(30) * 1e7).float()),
]


def _grad_cases():
    def leaf(*shape, dtype=torch.float32):
        return torch.ones(*shape, dtype=dtype, requires_grad=True)

    g = torch.Generator().manual_seed(7)
    return [
        ("leaf-3", lambda: leaf(3)),
        ("leaf-0d", lambda: torch.tensor(1.5, requires_grad=True)),
        ("leaf-f64", lambda: leaf(2, 3, dtype=torch.float64)),
        ("leaf-empty", lambda: torch.zeros(0, 3, requires_grad=True)),
        ("leaf-empty-1d-f64", lambda: torch.zeros(0, dtype=torch.float64, requires_grad=True)),
        ("mul", lambda: leaf(3) * 2),
        ("add-0d", lambda: torch.tensor(2.0, requires_grad=True) + 1),
        ("sum", lambda: (leaf(4) * 0.3).sum()),
        ("f64-mul", lambda: leaf(2, 2, dtype=torch.float64) * 0.1),
        ("exp", lambda: torch.randn(3, 4, generator=g, requires_grad=True).exp()),
        ("long-row-grad", lambda: torch.randn(40, generator=g, requires_grad=True) * 3),
        ("row-fits-exactly", lambda: leaf(7) * 1.25),
        ("row-fits-9", lambda: leaf(9) * 1.25),
        ("row-fits-10", lambda: leaf(10) * 1.25),
        ("row-fits-8-f64", lambda: leaf(8, dtype=torch.float64) * 1.25),
        ("big-grad", lambda: torch.randn(50, 50, generator=g, requires_grad=True) / 3),
        ("view-grad", lambda: (leaf(2, 6) * 2).view(3, 4)),
        ("empty-grad-f64", lambda: leaf(0, 2, dtype=torch.float64) * 2),
        ("matmul", lambda: leaf(2, 3) @ leaf(3, 2)),
    ]


def _all_cases():
    cases = {}
    for case_id, spec in _scaled_cases():
        cases[case_id] = lambda spec=spec: _build_scaled(*spec[1:])
    for case_id, spec in _special_cases():
        cases[case_id] = lambda spec=spec: _build_special(*spec)
    for name, values in F64_ONLY.items():
        cases[name] = lambda values=values: torch.tensor(values, dtype=torch.float64)
    for case_id, spec in _int_cases():
        cases[case_id] = lambda spec=spec: _build_int(*spec)
    for case_id, (_, shape, dtype) in _empty_cases():
        cases[case_id] = lambda shape=shape, dtype=dtype: torch.zeros(
            shape, dtype=getattr(torch, dtype)
        )
    for name, build in [*LARGE, *LONG_ROWS, *_grad_cases()]:
        cases[name] = build
    for scale in (1e-9, 1e-3, 1.0, 1e4, 1e9):
        for shape in [(7,), (3, 5), (2, 2, 6)]:
            cases[f"logspread-{scale:g}-{shape}"] = lambda scale=scale, shape=shape: torch.tensor(
                scale
                * np.sign(_rng("ls", scale, shape).standard_normal(shape))
                * 10.0 ** _rng("le", scale, shape).uniform(-3, 3, shape)
            ).float()
    return cases


CASES = _all_cases()


@pytest.mark.parametrize("case_id", list(CASES))
def test_repr_matches_torch(case_id):
    _check(CASES[case_id]())


# --------------------------------------------------------------------------- printoptions

OPTION_SETS = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 1},
    {"precision": 8},
    {"precision": 12},
    {"threshold": 5},
    {"threshold": 0},
    {"threshold": 10, "edgeitems": 1},
    {"threshold": 10, "edgeitems": 0},
    {"edgeitems": 0},
    {"threshold": 10, "edgeitems": 5},
    {"linewidth": 40},
    {"linewidth": 10},
    {"linewidth": 1},
    {"linewidth": 200},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
    {"sci_mode": True},
    {"sci_mode": False},
    {"sci_mode": True, "precision": 2},
    {"sci_mode": False, "precision": 10, "linewidth": 120},
]

OPTION_TENSORS = [
    ("normal-5", lambda: torch.tensor(_rng("o5").standard_normal(5)).float()),
    ("normal-3x4-f64", lambda: torch.tensor(_rng("o34").standard_normal((3, 4)))),
    ("sci-6", lambda: torch.tensor(_rng("os").standard_normal(6) * 1e-6).float()),
    ("int-valued", lambda: torch.tensor([1.0, 20.0, -3.0, 0.0])),
    ("specials", lambda: torch.tensor([float("nan"), -0.0, float("inf"), 2.5])),
    ("zeros-2x3", lambda: torch.zeros(2, 3)),
    ("int-30", lambda: torch.arange(-15, 15)),
    ("bool-12", lambda: torch.tensor(_rng("ob").random(12) < 0.5)),
    ("normal-2000", lambda: torch.tensor(_rng("o2k").standard_normal(2000)).float()),
    ("normal-12x12", lambda: torch.tensor(_rng("o12").standard_normal((12, 12))).float()),
    ("normal-4x5x6", lambda: torch.tensor(_rng("o456").standard_normal((4, 5, 6)))),
    ("scalar", lambda: torch.tensor(3.14159265)),
    ("empty", lambda: torch.zeros(0, 4)),
    ("grad-row", lambda: torch.ones(12, requires_grad=True) * 0.5),
]


@pytest.mark.parametrize(
    "options", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
@pytest.mark.parametrize("name", [name for name, _ in OPTION_TENSORS])
def test_repr_with_printoptions(options, name):
    torch.set_printoptions(**options)
    set_printoptions(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    _check(dict(OPTION_TENSORS)[name]())


def test_printoptions_defaults_and_restore():
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    set_printoptions(precision=2, sci_mode=True)
    set_printoptions(threshold=7)  # sci_mode is reset when not given, as in torch
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions()["precision"] == 2
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    assert get_printoptions()["precision"] == 4
    saved = get_printoptions()
    set_printoptions(profile="short", linewidth=50)
    set_printoptions(**saved)
    assert get_printoptions() == saved


# --------------------------------------------------------------------------- format_scalar

SCALAR_SPECS = ["", ".3f", ".2e", "10.4f", "g", "+.1f", ">12", "e", ".0f", "08.2f", "^9"]
SCALAR_VALUES = [
    ("float32", 9.0),
    ("float32", 0.5),
    ("float32", 0.1),
    ("float32", -1e-7),
    ("float32", 123456.789),
    ("float32", float("nan")),
    ("float32", float("-inf")),
    ("float32", -0.0),
    ("float64", 0.1),
    ("float64", 1e300),
    ("float64", -2.5),
    ("int64", 7),
    ("int64", -(2**62)),
    ("bool", True),
    ("bool", False),
]


@pytest.mark.parametrize("spec", SCALAR_SPECS)
@pytest.mark.parametrize("dtype,value", SCALAR_VALUES)
def test_format_scalar_matches_torch(dtype, value, spec):
    t = torch.tensor(value, dtype=getattr(torch, dtype))
    try:
        expected = format(t, spec)
    except (ValueError, TypeError) as exc:
        with pytest.raises(type(exc)):
            format_scalar(t.numpy()[()], spec)
        return
    assert format_scalar(t.numpy()[()], spec) == expected
    assert format_scalar(t.numpy(), spec) == expected


def test_format_scalar_fstrings():
    assert format_scalar(np.float32(9.0), "") == format(torch.tensor(9.0), "") == "9.0"
    assert format_scalar(np.float32(0.5), ".3f") == f"{torch.tensor(0.5):.3f}" == "0.500"
    assert format_scalar(np.int64(3), "") == f"{torch.tensor(3)}" == "3"
    assert format_scalar(2.5, ".1e") == f"{torch.tensor(2.5, dtype=torch.float64):.1e}"


def test_rejects_unknown_dtype():
    with pytest.raises(ValueError):
        format_tensor(np.zeros(2, dtype=np.float16), dtype="float16")
