"""torch.return_types: the named pairs of values and indices that torch.max(x, dim),
torch.min(x, dim), torch.sort, torch.topk, torch.median, torch.nanmedian, torch.mode,
torch.kthvalue, torch.cummax and torch.cummin return, and torch.aminmax's (min, max) and
torch.frexp's (mantissa, exponent)."""

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


class kthvalue(_ValuesIndices):
    __slots__ = ()


class cummax(_ValuesIndices):
    __slots__ = ()


class cummin(_ValuesIndices):
    __slots__ = ()


def _named_pair(name: str, first: str, second: str) -> type:
    """A structseq of two fields other than values and indices (torch.return_types.<name>):
    a tuple, also read by name, printed as torch prints it."""

    def __new__(cls, sequence):
        pair = tuple(sequence)
        if len(pair) != 2:
            raise TypeError(
                f"torch.return_types.{name}() takes a 2-sequence ({len(pair)}-sequence given)"
            )
        return tuple.__new__(cls, pair)

    def __repr__(self) -> str:
        return f"torch.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    fields = {first: property(lambda self: self[0]), second: property(lambda self: self[1])}
    return type(
        name, (tuple,), {"__slots__": (), "__new__": __new__, "__repr__": __repr__, **fields}
    )


aminmax = _named_pair("aminmax", "min", "max")
frexp = _named_pair("frexp", "mantissa", "exponent")


class sort(_ValuesIndices):
    __slots__ = ()


class topk(_ValuesIndices):
    __slots__ = ()
