"""`gradrpc.utils`: torch.utils's data loading (`gradrpc.utils.data`) and hook handles
(`gradrpc.utils.hooks`)."""

from . import data, hooks

__all__ = ["data", "hooks"]
