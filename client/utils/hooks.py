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


class _Hooks(OrderedDict):
    """Hooks by handle id, in the order they run; printed as torch prints its OrderedDict."""

    def __repr__(self) -> str:
        return f"OrderedDict({list(self.items())})" if self else "OrderedDict()"


class TensorHooks(_Hooks):
    """A tensor's backward hooks (or a leaf's post-accumulate-grad hooks), by handle id, in
    the order they run. The server pauses a pass for them under `key`; `meta` is the
    gradient's shape and dtype, `owner` a weak reference to the tensor."""

    def __init__(self, key: int, meta, owner) -> None:
        super().__init__()
        self.key = key
        self.meta = meta
        self.owner = weakref.ref(owner)


class NodeHooks(_Hooks):
    """A node's pre-hooks or post-hooks (grad_fn.register_prehook / register_hook), by
    handle id, in the order they run. The server pauses a pass for them under `key` (0 for
    a custom Function's, which run at its own pause). `owner`: a weak reference to the
    node; `output_meta`: the output gradient's shape and dtype; `input_metas`: the op's
    inputs' in the server's order, None for a number; `positions`: which of them are
    torch's next_functions (what the hooks see)."""

    def __init__(self, owner, key: int, output_meta, input_metas: tuple, positions: tuple):
        super().__init__()
        self.owner = weakref.ref(owner)
        self.key = key
        self.output_meta = output_meta
        self.input_metas = input_metas
        self.positions = positions
