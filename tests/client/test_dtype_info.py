"""torch.finfo and torch.iinfo (fields, repr, equality, errors), get_default_dtype,
is_floating_point and typename, against torch 2.13."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same

FLOATS = ["float32", "float64"]
INTEGERS = ["int64", "int32", "int16", "int8", "uint8"]


@pytest.mark.parametrize("dtype", FLOATS)
def test_finfo_matches_torch(dtype: str) -> None:
    def scenario(T):
        info = T.finfo(getattr(T, dtype))
        fields = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution")
        return [*(getattr(info, f) for f in fields), str(info.dtype), repr(info)]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_iinfo_matches_torch(dtype: str) -> None:
    def scenario(T):
        info = T.iinfo(getattr(T, dtype))
        return [info.bits, info.max, info.min, str(info.dtype), repr(info)]

    check_same(scenario, rtol=0, atol=0)


def test_defaults_equality_and_queries_match_torch() -> None:
    def scenario(T):
        return [
            repr(T.finfo()),
            T.finfo() == T.finfo(T.float32),
            T.finfo(T.float32) == T.finfo(T.float64),
            T.iinfo(T.int8) == T.iinfo(T.int8),
            str(T.get_default_dtype()),
            T.is_floating_point(T.ones(2)),
            T.is_floating_point(T.ones(2, dtype=T.int32)),
            *(T.typename(T.ones(1, dtype=getattr(T, d))) for d in FLOATS + INTEGERS + ["bool"]),
            T.typename(3),
            T.typename([1]),
        ]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.iinfo(T.float32),
        lambda T: T.finfo(T.int64),
        lambda T: T.iinfo(T.bool),
        lambda T: T.is_floating_point(3),
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
