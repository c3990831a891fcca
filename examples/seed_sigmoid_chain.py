"""The first tutorial's sigmoid chain (seed 001) on a gradrpc server, written for torch.

    h = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))    at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3

Prints h and the five gradients. Uses the server at $GRADRPC_ADDRESS (host:port), or an
embedded one where that is unset: `GRADRPC_ADDRESS=127.0.0.1:50051 python
examples/seed_sigmoid_chain.py`.
"""

import gradrpc as torch

w0 = torch.tensor(2.0, requires_grad=True)
x0 = torch.tensor(-1.0, requires_grad=True)
w1 = torch.tensor(-3.0, requires_grad=True)
x1 = torch.tensor(-2.0, requires_grad=True)
w2 = torch.tensor(-3.0, requires_grad=True)

a = w0 * x0
b = w1 * x1
c = a + b
d = c + w2
e = -d
f = torch.exp(e)
g = 1 + f
h = 1 / g
print("h=", h)

h.backward()
print("dh/dw0=", w0.grad)
print("dh/dx0=", x0.grad)
print("dh/dw1=", w1.grad)
print("dh/dx1=", x1.grad)
print("dh/dw2=", w2.grad)
