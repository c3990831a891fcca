"""torch.utils.hooks.RemovableHandle, what registering a hook returns, and the ordered dict
of a tensor's backward hooks."""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict

_next_id = itertools.count()


class RemovableHandle:
    """Removes its hook from the OrderedDicts it was registered in (`remove()`, or leaving
    a `with` block); `id` is the hook's key in them."""

    def __init__(self, hooks_dict, *, extra_dict=()) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_next_id)
        extras = extra_dict if isinstance(extra_dict, tuple) else (extra_dict,)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class TensorHooks(OrderedDict):
    """A tensor's backward hooks (or a leaf's post-accumulate-grad hooks), by handle id, in
    the order they run. The server pauses a pass for them under `key`; `meta` is the
    gradient's shape and dtype, `owner` a weak reference to the tensor."""

    def __init__(self, key: int, meta, owner) -> None:
        super().__init__()
        self.key = key
        self.meta = meta
        self.owner = weakref.ref(owner)

    def __repr__(self) -> str:  # as torch's OrderedDict prints
        return f"OrderedDict({list(self.items())})" if self else "OrderedDict()"
