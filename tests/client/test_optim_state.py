"""`optimizer.state` of gradrpc.optim against torch.optim 2.13, run side by side: the same
parameters in it with the same keys, in the same order, at the same moments (before any step,
after steps, after zero_grad, after load_state_dict, after a step the server refused), values
of the same kinds that print the same (the `step` a float32 0-d tensor that counts in place,
NAdam's `mu_product` one that multiplies in place, SGD without momentum keeping no state,
Adagrad making its state at construction); and reading the step count is all that sends it."""

from __future__ import annotations

import collections

import gradrpc
import grpc
import numpy as np
import pytest
import torch
from clientkit import assert_same, describe

W = [[0.5, -1.0], [2.0, 0.25], [1.0, -0.5]]
B = [0.1, -0.2]
X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]
Y = [[1.0, -2.0], [0.5, 1.0]]

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.1}),
    # lr 0.1 as Adam's: at 0.01 a grad_avg cancels to about 1.4e-5, whose printed fourth
    # digit depends on the order BLAS sums the gradient in
    ("RMSprop", {"lr": 0.1, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.1, "centered": True}),
    # lr 0.5 and 0.05: at others a value lands where its printed last digit depends on the
    # order BLAS sums the gradient in
    ("Adagrad", {"lr": 0.5, "lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adamax", {"lr": 0.05}),
    ("NAdam", {"lr": 0.1, "momentum_decay": 0.1}),
    ("RAdam", {"lr": 0.1}),
    ("Adadelta", {"lr": 0.1, "rho": 0.5}),
]
IDS = [f"{name}{kwargs}" for name, kwargs in CONFIGS]


def _params(lib):
    """w and b, which the loss uses, and a parameter it never uses (no gradient, no state)."""
    return [
        lib.tensor(W, requires_grad=True),
        lib.tensor(B, requires_grad=True),
        lib.tensor([1.0, 2.0], requires_grad=True),
    ]


def _step(lib, params, optimizer, zero_grad: bool = True) -> None:
    if zero_grad:
        optimizer.zero_grad()
    w, b, _ = params
    ((lib.tensor(X) @ w + b - lib.tensor(Y)) ** 2).sum().backward()
    optimizer.step()


def _pair(name: str, kwargs: dict):
    """(params, optimizer) in torch and in gradrpc."""
    pairs = []
    for lib in (torch, gradrpc):
        params = _params(lib)
        pairs.append((params, getattr(lib.optim, name)(params, **kwargs)))
    return pairs


def _assert_state_as_torch(theirs, ours) -> None:
    """The same parameters have state, with the same keys in the same order and values of
    the same kinds (tensors, dtype, shape) that print the same; state_dict() shows it too."""
    (other_params, other), (my_params, mine) = theirs, ours
    assert [p in mine.state for p in my_params] == [p in other.state for p in other_params]
    for my_param, other_param in zip(my_params, other_params, strict=True):
        if other_param in other.state:
            my_state, other_state = mine.state[my_param], other.state[other_param]
            assert list(my_state) == list(other_state)
            for key, value in other_state.items():
                assert_same(describe(value), describe(my_state[key]), 1e-6, 1e-7, key)
            assert repr(my_state) == repr(other_state)
    assert repr(mine.state_dict()) == repr(other.state_dict())


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_state_matches_torch_before_and_after_steps_and_zero_grad(name, kwargs) -> None:
    theirs, ours = _pair(name, kwargs)
    _assert_state_as_torch(theirs, ours)  # nothing before a step
    for lib, (params, optimizer) in ((torch, theirs), (gradrpc, ours)):
        _step(lib, params, optimizer)
    _assert_state_as_torch(theirs, ours)
    for _, optimizer in (theirs, ours):
        optimizer.zero_grad()
    _assert_state_as_torch(theirs, ours)  # zero_grad leaves the state alone
    for _ in range(2):
        for lib, (params, optimizer) in ((torch, theirs), (gradrpc, ours)):
            _step(lib, params, optimizer)
    _assert_state_as_torch(theirs, ours)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Adam", "step"),
        ("AdamW", "step"),
        ("RMSprop", "step"),
        ("Adagrad", "step"),
        ("Adamax", "step"),
        ("NAdam", "step"),
        ("NAdam", "mu_product"),
        ("RAdam", "step"),
        ("Adadelta", "step"),
    ],
)
def test_step_is_a_float32_scalar_tensor_that_counts_in_place(name: str, key: str) -> None:
    """A step (or NAdam's mu_product) held from after the first update shows the later ones,
    as torch's (which adds one, or multiplies, in place), to the last bit; it is a tensor like
    any other in what it does."""
    results = []
    for lib in (torch, gradrpc):
        params = _params(lib)
        optimizer = getattr(lib.optim, name)(params)
        _step(lib, params, optimizer)
        value = optimizer.state[params[0]][key]
        for _ in range(3):
            _step(lib, params, optimizer)
        assert value is optimizer.state[params[0]][key]
        results.append(
            [
                describe(value),
                repr(value),
                f"{value}",
                value.item(),
                float(value),
                describe(value * 2),
            ]
        )
    assert_same(describe(results[0]), describe(results[1]), 0, 0)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("source", ["own", "torch"])
def test_load_state_dict_gives_the_state_torch_gives(name, kwargs, source: str) -> None:
    """Loaded after two steps of another optimizer, then stepped: the state is torch's after
    the same; a state dict of this session shares its tensors with the loading optimizer,
    the step counts included, as torch's shares them."""
    theirs, ours = _pair(name, kwargs)
    for _ in range(2):
        for lib, (params, optimizer) in ((torch, theirs), (gradrpc, ours)):
            _step(lib, params, optimizer)
    saved_theirs = theirs[1].state_dict()
    saved = saved_theirs if source == "torch" else ours[1].state_dict()
    loaded_theirs = (theirs[0], getattr(torch.optim, name)(theirs[0], **kwargs))
    loaded_ours = (ours[0], getattr(gradrpc.optim, name)(ours[0], **kwargs))
    loaded_theirs[1].load_state_dict(saved_theirs)
    loaded_ours[1].load_state_dict(saved)
    _assert_state_as_torch(loaded_theirs, loaded_ours)
    if source == "own":
        for index, state in saved_theirs["state"].items():
            for key, value in state.items():
                shared = loaded_theirs[1].state[theirs[0][index]][key] is value
                assert (
                    loaded_ours[1].state[ours[0][index]][key] is saved["state"][index][key]
                ) == shared
    _step(torch, *loaded_theirs)
    _step(gradrpc, *loaded_ours)
    _assert_state_as_torch(loaded_theirs, loaded_ours)
    if source == "own":
        _assert_state_as_torch(theirs, ours)  # the step counts it shares went on


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("Adam", lambda lib: {"step": 3, "exp_avg": lib.ones(2), "exp_avg_sq": lib.ones(2)}),
        ("Adam", lambda lib: {"step": 2.0, "exp_avg": lib.ones(2), "exp_avg_sq": lib.ones(2)}),
        ("SGD", lambda lib: {"momentum_buffer": None}),
        ("Adagrad", lambda lib: {"step": 4, "sum": lib.tensor([0.5, 2.0])}),
        (
            "NAdam",
            lambda lib: {
                "step": 2,
                "mu_product": 0.1,
                "exp_avg": lib.ones(2),
                "exp_avg_sq": lib.ones(2),
            },
        ),
        (
            "NAdam",
            lambda lib: {
                "step": 2.0,
                "mu_product": lib.tensor(0.7, dtype=lib.float64),
                "exp_avg": lib.ones(2),
                "exp_avg_sq": lib.ones(2),
            },
        ),
    ],
    ids=["int step", "float step", "None buffer", "Adagrad", "mu_product number", "float64"],
)
def test_a_hand_made_state_loads_as_torch_loads_it(name: str, state) -> None:
    """A number for `step` becomes a float32 0-d tensor; a None momentum buffer is kept, and
    the next step starts the buffer afresh; a number for NAdam's `mu_product` becomes a
    float32 0-d tensor (0.1 rounded), a float64 tensor one of the parameter's float32, and
    the step multiplies that."""
    pairs = _pair(name, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5} if name == "SGD" else {})
    for lib, (_, optimizer) in zip((torch, gradrpc), pairs, strict=True):
        groups = optimizer.state_dict()["param_groups"]
        optimizer.load_state_dict({"state": {1: state(lib)}, "param_groups": groups})
    _assert_state_as_torch(*pairs)
    for lib, (params, optimizer) in zip((torch, gradrpc), pairs, strict=True):
        _step(lib, params, optimizer)
    _assert_state_as_torch(*pairs)
    if name == "NAdam":  # bit for bit
        (theirs, other), (ours, mine) = pairs
        assert [mine.state[p]["mu_product"].item() for p in ours[:2]] == [
            other.state[p]["mu_product"].item() for p in theirs[:2]
        ]


def test_adagrad_makes_its_state_at_construction_from_the_constructor_value() -> None:
    """As torch's, Adagrad's constructor gives every parameter its `step` and `sum`, filled
    with the constructor's initial_accumulator_value (0.5), not a group's (3.0); a parameter
    added later gets them at its first step, from the same value (not its group's 2.0)."""
    pairs = []
    for lib in (torch, gradrpc):
        params = _params(lib)
        optimizer = lib.optim.Adagrad(
            [{"params": params[:1], "initial_accumulator_value": 3.0}],
            lr=0.1,
            initial_accumulator_value=0.5,
        )
        optimizer.add_param_group({"params": params[1:], "initial_accumulator_value": 2.0})
        pairs.append((params, optimizer))
    _assert_state_as_torch(*pairs)  # w's state, no other
    for lib, (params, optimizer) in zip((torch, gradrpc), pairs, strict=True):
        _step(lib, params, optimizer)
    _assert_state_as_torch(*pairs)  # b's made by its first step; the unused one has none


def test_nadam_mu_product_is_torch_bit_for_bit_when_the_settings_change() -> None:
    """Each step multiplies mu_product by mu_t of the group's beta1 and momentum_decay at that
    step, in float32; changed between steps, the products (and so the steps) stay torch's."""
    pairs = _pair("NAdam", {"lr": 0.1})
    for step in range(6):
        for lib, (params, optimizer) in zip((torch, gradrpc), pairs, strict=True):
            group = optimizer.param_groups[0]
            group["betas"] = (0.9 - 0.1 * (step % 3), 0.999)
            group["momentum_decay"] = 4e-3 * 10**step
            _step(lib, params, optimizer)
        (theirs, other), (ours, mine) = pairs
        assert [mine.state[p]["mu_product"].item() for p in ours[:2]] == [
            other.state[p]["mu_product"].item() for p in theirs[:2]
        ]
    for p, q in zip(ours[:2], theirs[:2], strict=True):
        for value, expected in ((p, q), (mine.state[p]["exp_avg"], other.state[q]["exp_avg"])):
            np.testing.assert_allclose(value.tolist(), expected.tolist(), rtol=1e-5, atol=1e-7)


def test_nadam_steps_parameters_with_different_mu_products_apart() -> None:
    """Two parameters at the same step count with different mu_products (loaded): each step
    uses its parameter's own, as torch's."""
    pairs = _pair("NAdam", {"lr": 0.1})
    for lib, (params, optimizer) in zip((torch, gradrpc), pairs, strict=True):
        state = {
            i: {
                "step": 3,
                "mu_product": product,
                "exp_avg": lib.ones_like(params[i]),
                "exp_avg_sq": lib.ones_like(params[i]),
            }
            for i, product in enumerate((0.25, 0.75))
        }
        optimizer.load_state_dict(
            {"state": state, "param_groups": optimizer.state_dict()["param_groups"]}
        )
        _step(lib, params, optimizer)
    _assert_state_as_torch(*pairs)
    (theirs, _), (ours, _) = pairs
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.tolist(), other.tolist(), rtol=1e-6)


def test_state_dict_holds_the_state_in_torch_order_and_not_copies() -> None:
    """The state comes in the order parameters got it (b first here), and its dicts are the
    optimizer's own."""
    states = []
    for lib in (torch, gradrpc):
        params = _params(lib)
        optimizer = lib.optim.Adam(params)
        params[1].sum().backward()  # only b has a gradient at the first step
        optimizer.step()
        _step(lib, params, optimizer, zero_grad=False)
        saved = optimizer.state_dict()["state"]
        assert all(saved[i] is optimizer.state[params[i]] for i in saved)
        states.append(repr(saved))
    assert states[1] == states[0]


class OperationCounter(grpc.StreamStreamClientInterceptor):
    """Counts the operations of each kind in the batches sent on the stream."""

    def __init__(self):
        self.kinds: collections.Counter[str] = collections.Counter()

    def intercept_stream_stream(self, continuation, details, request_iterator):
        def counted():
            for request in request_iterator:
                self.kinds.update(op.WhichOneof("kind") for op in request.batch.operations)
                yield request

        return continuation(details, counted())


def test_steps_send_no_step_count_and_reading_it_uploads_it_once(session) -> None:
    """The step count stays on the client: training steps send no upload and wait for
    nothing; reading the count uploads it with the read (one round trip), and only once
    until a step changes it."""
    counter = OperationCounter()
    with gradrpc.Session(session.address, interceptors=[counter]) as s:
        w, x, y = s.tensor(W, requires_grad=True), s.tensor(X), s.tensor(Y)
        optimizer = gradrpc.optim.Adam([w])

        def train(steps: int) -> None:
            waits = s.rpc_count
            for _ in range(steps):
                optimizer.zero_grad()
                ((x @ w - y) ** 2).sum().backward()
                optimizer.step()
            assert s.rpc_count == waits
            s.flush()

        def read() -> str:
            waits = s.rpc_count
            text = repr(optimizer.state[w]["step"])
            assert s.rpc_count == waits + 1
            return text

        s.flush()
        for steps, expected in ((3, "tensor(3.)"), (5, "tensor(8.)")):
            counter.kinds.clear()
            train(steps)
            assert counter.kinds["optimizer_step"] == steps and counter.kinds["upload"] == 0
            assert read() == expected
            assert read() == expected
            assert counter.kinds["upload"] == 1


def _refused_step(lib, params, optimizer) -> None:
    """A step whose backward fails: torch raises at backward(); gradrpc's server refuses the
    backward and the step queued after it, and the next read raises."""
    features = lib.tensor([1.0, 2.0])
    loss = ((features * params[1]).sum() - 1.0) ** 2
    features.add_(1)  # modifies what mul saved for backward
    optimizer.zero_grad()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
        optimizer.step()
        features.sum().item()


REFUSED = [i for i, (name, _) in enumerate(CONFIGS) if name in ("Adagrad", "NAdam")]


@pytest.mark.parametrize("refused", [1, 2], ids=["first step", "second step"])
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [CONFIGS[i] for i in [1, 3, *REFUSED]],
    ids=[IDS[i] for i in [1, 3, *REFUSED]],
)
def test_a_step_the_server_refuses_leaves_the_state_torch_has(name, kwargs, refused) -> None:
    """The state made for the refused step is dropped and its counts go back (NAdam's
    mu_product to its value before it; Adagrad's state, made at construction, stays): the
    next step is the first (SGD's buffer starts as the gradient), or the second, as in
    torch."""
    theirs, ours = _pair(name, kwargs)
    for step in range(1, 4):
        for lib, (params, optimizer) in ((torch, theirs), (gradrpc, ours)):
            if step == refused:
                _refused_step(lib, params, optimizer)
            else:
                _step(lib, params, optimizer)
        _assert_state_as_torch(theirs, ours)
    for mine, other in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_allclose(mine.tolist(), other.tolist(), rtol=1e-6)
