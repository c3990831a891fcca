"""torch.return_types: the named pairs of values and indices that torch.max(x, dim),
torch.min(x, dim), torch.sort, torch.topk, torch.median, torch.nanmedian and torch.mode
return, and the named results of torch.linalg's slogdet, inv_ex, cholesky_ex, eigh, svd, qr
and lstsq, and torch.svd's."""

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


class _Named(tuple):
    """A torch.return_types structseq of `_fields`: a tuple, also read by name."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __new__(cls, sequence):
        values = tuple(sequence)
        if len(values) != len(cls._fields):
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                f"({len(values)}-sequence given)"
            )
        return super().__new__(cls, values)

    def __getattr__(self, name):
        if name in type(self)._fields:
            return self[type(self)._fields.index(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __repr__(self) -> str:
        parts = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self, strict=True))
        return f"torch.return_types.{type(self).__name__}(\n{parts})"


def _named(name: str, *fields: str) -> type:
    return type(name, (_Named,), {"__slots__": (), "_fields": fields})


linalg_slogdet = _named("linalg_slogdet", "sign", "logabsdet")
slogdet = _named("slogdet", "sign", "logabsdet")
linalg_inv_ex = _named("linalg_inv_ex", "inverse", "info")
linalg_cholesky_ex = _named("linalg_cholesky_ex", "L", "info")
linalg_eigh = _named("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_svd = _named("linalg_svd", "U", "S", "Vh")
svd = _named("svd", "U", "S", "V")
linalg_qr = _named("linalg_qr", "Q", "R")
linalg_lstsq = _named("linalg_lstsq", "solution", "residuals", "rank", "singular_values")


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


class sort(_ValuesIndices):
    __slots__ = ()


class topk(_ValuesIndices):
    __slots__ = ()
