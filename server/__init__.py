"""gradrpc server: sessions, the GradService servicer, lifecycle and CLI.

Importing it makes OpenBLAS's idle threads sleep at once: they poll for 2**N cycles first, by
default N=28, about 0.1 s of a core after every matrix product, taken from the client and from
other sessions. OpenBLAS reads OPENBLAS_THREAD_TIMEOUT once, when it loads (with the engine's
kernels), so it is set here, before: N=4, unless the environment sets it.
"""

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
