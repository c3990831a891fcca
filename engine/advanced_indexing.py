"""Where advanced indexing reads: shared by the index op's kernels and by the client, which
checks index values it knows (lists, arrays, masks) at the user's line. NumPy, no Numba."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InvalidIndex


def positions(sizes: Sequence[int], indices: Sequence[np.ndarray]) -> np.ndarray:
    """Each broadcast index's row-major position within a block of dims of `sizes` (negative
    indices wrapped), with torch's error for the first one out of range."""
    indices = np.broadcast_arrays(*indices)
    bad = [(i < -size) | (i >= size) for i, size in zip(indices, sizes, strict=True)]
    if any(b.any() for b in bad):
        first = np.logical_or.reduce(bad).ravel().argmax()
        k = next(k for k, b in enumerate(bad) if b.ravel()[first])
        raise InvalidIndex(
            f"index {indices[k].ravel()[first]} is out of bounds for dimension {k} with size "
            f"{sizes[k]}"
        )
    out = np.zeros(indices[0].shape, np.int64)
    for index, size in zip(indices, sizes, strict=True):
        out = out * size + np.where(index < 0, index + size, index)
    return out
