"""torch.return_types: the named tuples torch's functions return: (values, indices) of
torch.max(x, dim), min, median, nanmedian, mode, kthvalue, cummax, cummin, sort and topk;
aminmax's (min, max), frexp's (mantissa, exponent), histogram's (hist, bin_edges), and the
named results of torch.linalg's slogdet, inv_ex, cholesky_ex, eigh, svd, qr, lstsq, solve_ex,
lu_factor, lu_factor_ex and lu, and torch.svd's, torch.lu's, lu_unpack's and geqrf's."""

from __future__ import annotations


class _Named(tuple):
    """A torch.return_types structseq of `_names`: a tuple, also read by name."""

    __slots__ = ()
    _names: tuple[str, ...] = ()  # not `_fields`: torch's structseqs have none

    def __new__(cls, sequence):
        values = tuple(sequence)
        if len(values) != len(cls._names):
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a {len(cls._names)}-sequence "
                f"({len(values)}-sequence given)"
            )
        return super().__new__(cls, values)

    def __getattr__(self, name):
        if name in type(self)._names:
            return self[type(self)._names.index(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __repr__(self) -> str:
        parts = ",\n".join(f"{k}={v!r}" for k, v in zip(self._names, self, strict=True))
        return f"torch.return_types.{type(self).__name__}(\n{parts})"


def _named(name: str, *fields: str) -> type:
    """torch.return_types.<name>, a structseq of `fields`."""
    return type(name, (_Named,), {"__slots__": (), "_names": fields})


linalg_slogdet = _named("linalg_slogdet", "sign", "logabsdet")
slogdet = _named("slogdet", "sign", "logabsdet")
linalg_inv_ex = _named("linalg_inv_ex", "inverse", "info")
linalg_cholesky_ex = _named("linalg_cholesky_ex", "L", "info")
linalg_eigh = _named("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_svd = _named("linalg_svd", "U", "S", "Vh")
svd = _named("svd", "U", "S", "V")
linalg_qr = _named("linalg_qr", "Q", "R")
linalg_lstsq = _named("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
linalg_solve_ex = _named("linalg_solve_ex", "result", "info")
linalg_lu_factor = _named("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _named("linalg_lu_factor_ex", "LU", "pivots", "info")
_lu_with_info = _named("_lu_with_info", "LU", "pivots", "info")
linalg_lu = _named("linalg_lu", "P", "L", "U")
lu_unpack = _named("lu_unpack", "P", "L", "U")
geqrf = _named("geqrf", "a", "tau")

max = _named("max", "values", "indices")
min = _named("min", "values", "indices")
median = _named("median", "values", "indices")
nanmedian = _named("nanmedian", "values", "indices")
mode = _named("mode", "values", "indices")
kthvalue = _named("kthvalue", "values", "indices")
cummax = _named("cummax", "values", "indices")
cummin = _named("cummin", "values", "indices")
sort = _named("sort", "values", "indices")
topk = _named("topk", "values", "indices")
aminmax = _named("aminmax", "min", "max")
frexp = _named("frexp", "mantissa", "exponent")
histogram = _named("histogram", "hist", "bin_edges")
