"""The module namespace bound to a session: `session.ones` creates on that session (and
`session.load` loads onto it), and every other public name of `gradrpc` is shared as it is."""

import functools

from . import factories, numerics


def lookup(session, name: str):
    if name in factories.__all__:
        return functools.partial(getattr(factories, name), session)
    if name in numerics.FACTORIES:
        return functools.partial(numerics.FACTORIES[name], session)
    if name == "load":  # loads onto this session
        from . import serialization

        return functools.partial(serialization.load, session=session)
    import gradrpc

    if not name.startswith("_") and name in gradrpc.__all__:
        return getattr(gradrpc, name)
    raise AttributeError(f"'Session' object has no attribute '{name}'")


def on_default_session(factory):
    """`factory` as a module-level function on the default session."""
    from .session import default_session

    @functools.wraps(factory)
    def call(*args, **kwargs):
        return factory(default_session(), *args, **kwargs)

    return call
