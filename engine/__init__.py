"""gradrpc's autograd engine: op table, Numba kernels, graph and backward. Never imports grpc.

`rules` and `errors` are pure Python (the client uses them); `kernels`, `ops` and `graph`
need Numba and are imported only by whoever runs kernels.
"""
