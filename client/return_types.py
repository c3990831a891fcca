"""torch.return_types: the named pairs of values and indices that torch.max(x, dim),
torch.min(x, dim), torch.sort, torch.topk, torch.median, torch.nanmedian and torch.mode
return, and torch.frexp's (mantissa, exponent)."""

from __future__ import annotations


class _ValuesIndices(tuple):
    """(values, indices) as torch's structseq holds them: a tuple, also read by name."""

    __slots__ = ()

    def __new__(cls, sequence):
        pair = tuple(sequence)
        if len(pair) != 2:
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a 2-sequence ({len(pair)}-sequence "
                "given)"
            )
        return super().__new__(cls, pair)

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return (
            f"torch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"
        )


class max(_ValuesIndices):
    __slots__ = ()


class min(_ValuesIndices):
    __slots__ = ()


class median(_ValuesIndices):
    __slots__ = ()


class nanmedian(_ValuesIndices):
    __slots__ = ()


class mode(_ValuesIndices):
    __slots__ = ()


class frexp(tuple):
    """(mantissa, exponent) as torch.frexp returns them: a tuple, also read by name."""

    __slots__ = ()

    def __new__(cls, sequence):
        return super().__new__(cls, tuple(sequence))

    @property
    def mantissa(self):
        return self[0]

    @property
    def exponent(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.frexp(\nmantissa={self[0]!r},\nexponent={self[1]!r})"


class sort(_ValuesIndices):
    __slots__ = ()


class topk(_ValuesIndices):
    __slots__ = ()
