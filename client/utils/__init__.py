"""`gradrpc.utils`: torch.utils's data loading, as `gradrpc.utils.data`."""

from . import data

__all__ = ["data"]
