"""gradrpc's autograd engine: op table, Numba kernels, graph and backward. Never imports grpc.

`rules`, `errors` and `traversal` are pure Python and `advanced_indexing` needs only NumPy
(the client uses them); `kernels`, `ops` and `graph` need Numba and are imported only by
whoever runs kernels.
"""
