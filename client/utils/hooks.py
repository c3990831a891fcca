"""torch.utils.hooks.RemovableHandle: what registering a hook returns."""

from __future__ import annotations

import itertools
import weakref

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
