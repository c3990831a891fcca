"""Attention against real torch: F.scaled_dot_product_attention (bool and float masks,
is_causal, scale, enable_gqa, rows with nothing to attend to, dropout) and
nn.MultiheadAttention / F.multi_head_attention_forward (packed and separate projections,
bias off, add_bias_kv, add_zero_attn, key padding and attention masks, batch_first,
unbatched inputs, need_weights and average_attn_weights, is_causal) with torch's weights
loaded: the same outputs, attention weights, grad_fn names and gradients of every parameter
and input, in float32 and float64; torch's parameters, initialization, reprs, errors and
warnings; forward without a round trip."""

from __future__ import annotations

import contextlib
import math
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, graph_of, no_rpc, train_alike

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-10, "atol": 1e-12}}

# torch's nodes where gradrpc's composition records others: torch's CPU flash-attention
# kernel (4-d inputs it can take) is one node where gradrpc runs the math path; and an
# elementwise result of a transposed tensor keeps its strides in torch, so matmul reshapes
# it as an alias where gradrpc's (contiguous) result is viewed.
COMPOSED_GRAD_FN = {
    "ScaledDotProductFlashAttentionForCpuBackward0": "UnsafeViewBackward0",
    "ReshapeAliasBackward0": "ViewBackward0",
}


def _read(*tensors) -> list[np.ndarray]:
    """The values of gradrpc tensors, in one round trip."""
    return gradrpc.default_session().flush(fetches=tuple(t._handle for t in tensors))


def _random(shape, dtype: str, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _compare(theirs, ours, dtype: str, where: str) -> None:
    """torch's tensors (None allowed) against gradrpc's, read in one round trip. The absolute
    tolerance grows with each tensor's largest element: an element that nearly cancels
    carries the rounding of its larger neighbours (the weights are torch's global RNG's, so
    which elements do depends on the order tests run in)."""
    assert [t is None for t in theirs] == [o is None for o in ours], where
    present = [(t, o) for t, o in zip(theirs, ours, strict=True) if t is not None]
    values = _read(*(o for _, o in present))
    rtol, atol = TOLERANCE[dtype]["rtol"], TOLERANCE[dtype]["atol"]
    for i, ((expected, _), actual) in enumerate(zip(present, values, strict=True)):
        expected = expected.detach().numpy()
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, (where, i)
        scale = float(np.nanmax(np.abs(expected), initial=0.0))
        np.testing.assert_allclose(
            actual, expected, rtol=rtol, atol=atol + rtol * scale, err_msg=f"{where}[{i}]"
        )


def _composed_graph(node):
    """graph_of with torch's names mapped to those gradrpc's composition records."""
    if node is None:
        return None
    name = COMPOSED_GRAD_FN.get(node.name(), node.name())
    if name == "UnsafeViewBackward0" and node.name() != name:
        return (name, ...)  # a fused node: only its name is comparable
    return (name, [_composed_graph(child) for child, _ in node.next_functions])


def _same_graph(theirs, ours) -> None:
    """Our graph is torch's, node for node, up to the fused nodes' insides."""
    if theirs is None or ours is None:
        assert theirs is ours is None
        return
    assert ours[0] == theirs[0], (ours[0], theirs[0])
    if theirs[1] is ...:
        return
    assert len(ours[1]) == len(theirs[1]), ours[0]
    for t, o in zip(theirs[1], ours[1], strict=True):
        _same_graph(t, o)


# ---------------------------------------------------------------- scaled_dot_product_attention

# (query, key, value shapes, keyword arguments; "bool"/"float" masks of the given shape)
SDPA_CASES = {
    "2-d": ((4, 5), (6, 5), (6, 5), {}),
    "3-d": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {}),
    "3-d value width": ((3, 4, 5), (3, 6, 5), (3, 6, 7), {}),
    "3-d broadcast batch": ((3, 4, 5), (1, 6, 5), (1, 6, 5), {}),
    "4-d": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), {}),
    "5-d": ((2, 2, 3, 4, 5), (2, 2, 3, 6, 5), (2, 2, 3, 6, 5), {}),
    "bool mask": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"attn_mask": ("bool", (4, 6))}),
    "float mask": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"attn_mask": ("float", (4, 6))}),
    "3-d float mask": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"attn_mask": ("float", (3, 4, 6))}),
    "4-d bool mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), {"attn_mask": ("bool", (4, 6))}),
    "4-d float mask": (
        (2, 3, 4, 5),
        (2, 3, 6, 5),
        (2, 3, 6, 5),
        {"attn_mask": ("float", (2, 1, 4, 6))},
    ),
    "masked row": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"attn_mask": ("masked row", (4, 6))}),
    "is_causal": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"is_causal": True}),
    "is_causal 4-d": ((2, 3, 6, 5), (2, 3, 4, 5), (2, 3, 4, 5), {"is_causal": True}),
    "scale": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"scale": 0.3}),
    "negative scale": ((3, 4, 5), (3, 6, 5), (3, 6, 5), {"scale": -0.7}),
    "enable_gqa": ((2, 4, 4, 5), (2, 2, 6, 5), (2, 1, 6, 5), {"enable_gqa": True}),
    "enable_gqa same heads": ((2, 2, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5), {"enable_gqa": True}),
    "enable_gqa 3-d": ((4, 4, 5), (2, 6, 5), (2, 6, 5), {"enable_gqa": True}),
}


def _mask(T, kind: str, shape, dtype: str):
    if kind == "float":
        return T.tensor(_random(shape, dtype, 9), requires_grad=True)
    keep = np.random.default_rng(8).random(shape) > 0.3
    keep[..., 0] = True  # every row attends somewhere
    if kind == "masked row":
        keep[1] = False
    return T.tensor(keep)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SDPA_CASES.values(), ids=SDPA_CASES.keys())
def test_scaled_dot_product_attention_matches_torch(session, case, dtype):
    shapes, kwargs = case[:3], case[3]
    arrays = [_random(shape, dtype, i) for i, shape in enumerate(shapes)]
    results = {}
    for T in (torch, gradrpc):
        inputs = [T.tensor(a, requires_grad=True) for a in arrays]
        given = dict(kwargs)
        if "attn_mask" in given:
            given["attn_mask"] = _mask(T, *given["attn_mask"], dtype)
        with no_rpc() if T is gradrpc else contextlib.nullcontext():
            output = T.nn.functional.scaled_dot_product_attention(*inputs, **given)
        (output * T.tensor(_random(tuple(output.shape), dtype, 7))).sum().backward()
        mask = given.get("attn_mask")
        grads = [x.grad for x in inputs] + ([mask.grad] if mask is not None else [])
        results[T] = output, grads
    (t_output, t_grads), (g_output, g_grads) = results[torch], results[gradrpc]
    _same_graph(_composed_graph(t_output.grad_fn), graph_of(g_output.grad_fn))
    _compare([t_output], [g_output], dtype, "output")
    _compare(t_grads, g_grads, dtype, "gradients")


def test_fully_masked_rows_give_zeros_and_no_gradient(session):
    """torch's _safe_softmax: a row with nothing to attend to is zeros, and its query gets a
    zero gradient (not nan)."""
    keep = np.ones((4, 6), bool)
    keep[2] = False
    q = gradrpc.tensor(_random((4, 5), "float32", 0), requires_grad=True)
    kv = gradrpc.tensor(_random((6, 5), "float32", 1))
    output = gradrpc.nn.functional.scaled_dot_product_attention(q, kv, kv, gradrpc.tensor(keep))
    output.sum().backward()
    values, grad = _read(output, q.grad)
    assert (values[2] == 0).all() and (grad[2] == 0).all()
    assert np.isfinite(values).all() and np.isfinite(grad).all()
    assert (values[0] != 0).any() and (grad[0] != 0).any()


def test_sdpa_dropout_drops_attention_weights(session):
    """dropout_p > 0 drops weights always (scaled_dot_product_attention has no training
    flag): dropout_p=1 gives torch's zeros, 0 < p < 1 changes the output; the draws are
    gradrpc's."""
    arrays = [_random((3, 4, 5), "float64", i) for i in range(3)]
    t_output = torch.nn.functional.scaled_dot_product_attention(
        *map(torch.tensor, arrays), dropout_p=1.0
    )
    g_inputs = [gradrpc.tensor(a, requires_grad=True) for a in arrays]
    g_output = gradrpc.nn.functional.scaled_dot_product_attention(*g_inputs, dropout_p=1.0)
    _compare([t_output], [g_output], "float64", "dropout_p=1")
    t_dropped = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a, requires_grad=True) for a in arrays), dropout_p=0.5
    )
    dropped = gradrpc.nn.functional.scaled_dot_product_attention(*g_inputs, dropout_p=0.5)
    plain = gradrpc.nn.functional.scaled_dot_product_attention(*g_inputs)
    _same_graph(_composed_graph(t_dropped.grad_fn), graph_of(dropped.grad_fn))
    dropped, plain = _read(dropped, plain)
    assert not np.allclose(dropped, plain)


def _qkv(T, *shapes, dtype=None):
    return [T.zeros(*shape, dtype=dtype) for shape in shapes]


SDPA_ERRORS = {
    "dtypes": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(3, 4, 5), T.zeros(3, 6, 5, dtype=T.float64), T.zeros(3, 6, 5)
    ),
    "1-d query": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (5,), (3, 6, 5), (3, 6, 5))
    ),
    "int64 mask": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), T.zeros(4, 6, dtype=T.int64)
    ),
    "float64 mask": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), T.zeros(4, 6, dtype=T.float64)
    ),
    "mask and is_causal": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), T.ones(4, 6, dtype=T.bool), is_causal=True
    ),
    "key width": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 4), (3, 6, 5))
    ),
    "value length": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 7, 5))
    ),
    "mask shape": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), T.zeros(5, 6)
    ),
    "mask of more dims": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), T.zeros(1, 3, 4, 6)
    ),
    "heads without gqa": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (2, 4, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5))
    ),
    "gqa heads": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (2, 4, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)), enable_gqa=True
    ),
    "dropout above 1": lambda T: T.nn.functional.scaled_dot_product_attention(
        *_qkv(T, (3, 4, 5), (3, 6, 5), (3, 6, 5)), dropout_p=1.5
    ),
    "key None": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(3, 4, 5), None, T.zeros(3, 6, 5)
    ),
    "value a list": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(3, 4, 5), T.zeros(3, 6, 5), [1.0]
    ),
}


@pytest.mark.parametrize("call", SDPA_ERRORS.values(), ids=SDPA_ERRORS.keys())
def test_sdpa_errors_as_torch(session, call):
    check_error_at_line(call)


# ---------------------------------------------------------------- MultiheadAttention

EMBED, HEADS, TARGET, SOURCE, BATCH = 8, 2, 4, 5, 3

# (constructor keyword arguments, forward keyword arguments (masks by kind), inputs)
# inputs: "self" (query is key is value), "key is value", or "cross" (three tensors)
MHA_CASES = {
    "self": ({}, {}, "self"),
    "cross": ({}, {}, "cross"),
    "key is value": ({}, {}, "key is value"),
    "batch_first self": ({"batch_first": True}, {}, "self"),
    "batch_first cross": ({"batch_first": True}, {}, "cross"),
    "batch_first key is value": ({"batch_first": True}, {}, "key is value"),
    "kdim vdim": ({"kdim": 3, "vdim": 6}, {}, "cross"),
    "kdim vdim batch_first": ({"kdim": 3, "vdim": 6, "batch_first": True}, {}, "cross"),
    "no bias": ({"bias": False}, {}, "self"),
    "no bias kdim": ({"bias": False, "kdim": 3}, {}, "cross"),
    "add_bias_kv": ({"add_bias_kv": True}, {}, "cross"),
    "add_zero_attn": ({"add_zero_attn": True}, {}, "cross"),
    "add_bias_kv add_zero_attn masks": (
        {"add_bias_kv": True, "add_zero_attn": True},
        {"key_padding_mask": "bool", "attn_mask": "bool"},
        "cross",
    ),
    "key_padding_mask bool": ({}, {"key_padding_mask": "bool"}, "cross"),
    "key_padding_mask float": ({}, {"key_padding_mask": "float"}, "cross"),
    "attn_mask bool": ({}, {"attn_mask": "bool"}, "cross"),
    "attn_mask float": ({}, {"attn_mask": "float"}, "cross"),
    "attn_mask 3-d bool": ({}, {"attn_mask": "bool 3-d"}, "self"),
    "attn_mask 3-d float": ({}, {"attn_mask": "float 3-d"}, "cross"),
    "both masks": ({}, {"key_padding_mask": "bool", "attn_mask": "bool"}, "cross"),
    "per-head weights": ({}, {"average_attn_weights": False}, "cross"),
    "need_weights False": ({}, {"need_weights": False}, "cross"),
    "need_weights False self": ({"batch_first": True}, {"need_weights": False}, "self"),
    "need_weights False masks": (
        {},
        {"need_weights": False, "key_padding_mask": "float", "attn_mask": "float"},
        "cross",
    ),
    "need_weights False 3-d mask": (
        {},
        {"need_weights": False, "attn_mask": "bool 3-d"},
        "cross",
    ),
    "is_causal": ({}, {"attn_mask": "causal", "is_causal": True}, "self"),
    "is_causal without weights": (
        {},
        {"attn_mask": "causal", "is_causal": True, "need_weights": False},
        "self",
    ),
    "is_causal with padding": (
        {},
        {"attn_mask": "causal", "is_causal": True, "key_padding_mask": "bool"},
        "self",
    ),
}


def _mha_mask(T, kind: str, name: str, dtype: str, batch: int | None, target: int):
    """A mask of `kind` for `name` (True: masked), leaving every row something to attend
    to; the source length is SOURCE."""
    rng = np.random.default_rng(11 if name == "attn_mask" else 12)
    if kind == "causal":
        return T.tensor(np.triu(np.ones((target, SOURCE), bool), 1))
    if name == "key_padding_mask":
        shape = (SOURCE,) if batch is None else (batch, SOURCE)
    elif kind.endswith("3-d"):
        shape = (HEADS * (batch or 1), target, SOURCE)
    else:
        shape = (target, SOURCE)
    if kind.startswith("float"):
        return T.tensor(rng.standard_normal(shape).astype(dtype))
    masked = rng.random(shape) < 0.3
    masked[..., 0] = False
    return T.tensor(masked)


def _mha_inputs(T, inputs: str, kwargs: dict, dtype: str, unbatched: bool):
    """query, key and value (the same tensor where `inputs` says so), requiring grad."""
    batch_first = kwargs.get("batch_first", False) and not unbatched

    def make(length, width, seed):
        shape = (length, width) if unbatched else (length, BATCH, width)
        if batch_first:
            shape = (BATCH, length, width)
        return T.tensor(_random(shape, dtype, seed), requires_grad=True)

    query = make(TARGET if inputs != "self" else SOURCE, EMBED, 0)
    if inputs == "self":
        return [query], (query, query, query)
    key = make(SOURCE, kwargs.get("kdim", EMBED), 1)
    if inputs == "key is value":
        return [query, key], (query, key, key)
    value = make(SOURCE, kwargs.get("vdim", EMBED), 2)
    return [query, key, value], (query, key, value)


def _pair(kwargs: dict, dtype: str):
    """torch's module and gradrpc's with torch's weights loaded."""
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, **kwargs).to(getattr(torch, dtype))
    ours = gradrpc.nn.MultiheadAttention(EMBED, HEADS, **kwargs, dtype=getattr(gradrpc, dtype))
    result = ours.load_state_dict(theirs.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    return theirs, ours


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("case", MHA_CASES.values(), ids=MHA_CASES.keys())
def test_multihead_attention_matches_torch(session, case, unbatched, dtype):
    kwargs, forward_kwargs, inputs = case
    theirs, ours = _pair(kwargs, dtype)
    results = {}
    for T, model in ((torch, theirs), (gradrpc, ours)):
        leaves, (query, key, value) = _mha_inputs(T, inputs, kwargs, dtype, unbatched)
        target = SOURCE if inputs == "self" else TARGET
        given = dict(forward_kwargs)
        for name in ("key_padding_mask", "attn_mask"):
            if name in given:
                batch = None if unbatched else BATCH
                given[name] = _mha_mask(T, given[name], name, dtype, batch, target)
        with no_rpc() if T is gradrpc else contextlib.nullcontext():
            output, weights = model(query, key, value, **given)
        loss = (output * T.tensor(_random(tuple(output.shape), dtype, 5))).sum()
        if weights is not None:
            loss = loss + (weights * T.tensor(_random(tuple(weights.shape), dtype, 6))).sum()
        loss.backward()
        gradients = [p.grad for _, p in model.named_parameters()] + [x.grad for x in leaves]
        results[T] = output, weights, gradients
    (t_output, t_weights, t_grads), (g_output, g_weights, g_grads) = (
        results[torch],
        results[gradrpc],
    )
    assert g_output.grad_fn.name() == t_output.grad_fn.name()
    assert (g_weights is None) == (t_weights is None)
    if t_weights is not None:
        assert g_weights.grad_fn.name() == t_weights.grad_fn.name()
    _compare([t_output, t_weights], [g_output, g_weights], dtype, "outputs")
    _compare(t_grads, g_grads, dtype, "gradients")


def test_fast_path_values_in_eval_without_grad(session):
    """torch's inference fast path (eval, no grad, batch_first self-attention, bool masks)
    runs a fused kernel; gradrpc's composition gives its values."""
    theirs, ours = _pair({"batch_first": True}, "float32")
    theirs.eval()
    ours.eval()
    x = _random((BATCH, SOURCE, EMBED), "float32", 0)
    padding = np.zeros((BATCH, SOURCE), bool)
    padding[:, -1] = True
    results = {}
    for T, model in ((torch, theirs), (gradrpc, ours)):
        with T.no_grad():
            x_t = T.tensor(x)
            results[T] = [
                *model(x_t, x_t, x_t),
                model(x_t, x_t, x_t, key_padding_mask=T.tensor(padding), need_weights=False)[0],
            ]
    _compare(results[torch], results[gradrpc], "float32", "eval")


def test_dropout_masks_weights_while_training_only(session):
    """dropout=1 zeroes every attention weight while training (so torch's results are
    deterministic: the output is out_proj's bias) and nothing in eval; 0 < p < 1 draws."""
    theirs, ours = _pair({"dropout": 1.0}, "float64")
    x = _random((TARGET, BATCH, EMBED), "float64", 0)
    for training in (True, False):
        theirs.train(training)
        ours.train(training)
        for need_weights in (True, False):
            t_out = theirs(*[torch.tensor(x)] * 3, need_weights=need_weights)
            g_out = ours(*[gradrpc.tensor(x)] * 3, need_weights=need_weights)
            _compare(list(t_out), list(g_out), "float64", f"training={training}")
    gradrpc.manual_seed(0)
    model = gradrpc.nn.MultiheadAttention(EMBED, HEADS, dropout=0.5, dtype=gradrpc.float64)
    x_g = gradrpc.tensor(x)
    first, second = model(x_g, x_g, x_g)[1], model(x_g, x_g, x_g)[1]
    evaluated = model.eval()(x_g, x_g, x_g)[1]
    first, second, evaluated = _read(first, second, evaluated)
    assert not np.allclose(first, evaluated) and not np.allclose(first, second)


def test_functional_forward_with_static_key_and_value(session):
    """F.multi_head_attention_forward called directly, with static_k and static_v (already
    projected, heads first) in place of the key's and value's projections."""
    theirs, _ = _pair({}, "float64")
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    query = _random((TARGET, BATCH, EMBED), "float64", 0)
    static = [_random((BATCH * HEADS, SOURCE, EMBED // HEADS), "float64", i) for i in (1, 2)]
    results = {}
    for T in (torch, gradrpc):
        p = {k: T.tensor(v, requires_grad=True) for k, v in state.items()}
        q = T.tensor(query, requires_grad=True)
        k, v = (T.tensor(s, requires_grad=True) for s in static)
        output, weights = T.nn.functional.multi_head_attention_forward(
            q, q, q, EMBED, HEADS, p["in_proj_weight"], p["in_proj_bias"], None, None, False,
            0.0, p["out_proj.weight"], p["out_proj.bias"], static_k=k, static_v=v,
        )  # fmt: skip
        (output.sum() + (weights * weights).sum()).backward()
        results[T] = [output, weights, q.grad, k.grad, v.grad, *(t.grad for t in p.values())]
    _compare(results[torch], results[gradrpc], "float64", "static")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"bias": False},
        {"kdim": 3, "vdim": 5},
        {"add_bias_kv": True},
        {"kdim": 3, "add_bias_kv": True, "bias": False},
    ],
    ids=["packed", "no bias", "kdim vdim", "add_bias_kv", "separate no bias add_bias_kv"],
)
def test_parameters_and_initialization_as_torch(session, kwargs):
    """torch's names, shapes and order (state_dict too), and its initialization: xavier_uniform
    projections (within √(6 / (fan_in + fan_out))), zero biases, out_proj's weight from
    Linear's U(-1/√E, 1/√E), bias_k and bias_v xavier_normal."""
    embed = 16
    theirs = torch.nn.MultiheadAttention(embed, 4, **kwargs)
    ours = gradrpc.nn.MultiheadAttention(embed, 4, **kwargs)
    expected = [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == expected
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [ours.kdim, ours.vdim, ours.head_dim, ours._qkv_same_embed_dim] == [
        theirs.kdim,
        theirs.vdim,
        theirs.head_dim,
        theirs._qkv_same_embed_dim,
    ]
    names = [k for k, _ in ours.named_parameters()]
    values = dict(zip(names, _read(*ours.parameters()), strict=True))
    for name, value in values.items():
        if name.endswith("bias") and name not in ("bias_k", "bias_v"):
            assert (value == 0).all(), name
            continue
        if name in ("bias_k", "bias_v"):
            std = math.sqrt(2.0 / (embed + embed))  # fans of (1, 1, E): E each
            assert 0.5 * std < value.std() < 1.5 * std, name
            continue
        fan_out, fan_in = value.shape
        bound = (
            1 / math.sqrt(fan_in)
            if name == "out_proj.weight"
            else math.sqrt(6 / (fan_in + fan_out))
        )
        assert np.abs(value).max() <= bound and np.abs(value).max() > 0.8 * bound, name


REPRS = [
    lambda nn: nn.MultiheadAttention(8, 2),
    lambda nn: nn.MultiheadAttention(8, 4, dropout=0.1, bias=False, kdim=3, vdim=5),
    lambda nn: nn.Sequential(nn.MultiheadAttention(4, 1, batch_first=True)),
]


@pytest.mark.parametrize("build", REPRS)
def test_repr_as_torch(session, build):
    assert repr(build(gradrpc.nn)) == repr(build(torch.nn))


def _z(T, *shape, dtype=None):
    return T.zeros(*shape, dtype=dtype)


def _mha(T, **kwargs):
    return T.nn.MultiheadAttention(4, 2, **kwargs)


MHA_ERRORS = {
    "embed_dim 0": lambda T: T.nn.MultiheadAttention(0, 2),
    "num_heads 0": lambda T: T.nn.MultiheadAttention(4, 0),
    "not divisible": lambda T: T.nn.MultiheadAttention(5, 2),
    "4-d query": lambda T: _mha(T)(_z(T, 1, 2, 3, 4), _z(T, 1, 2, 3, 4), _z(T, 1, 2, 3, 4)),
    "batched 2-d key": lambda T: _mha(T)(_z(T, 3, 2, 4), _z(T, 3, 4), _z(T, 3, 2, 4)),
    "unbatched 3-d key": lambda T: _mha(T)(_z(T, 3, 4), _z(T, 3, 2, 4), _z(T, 3, 4)),
    "1-d padding mask": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), key_padding_mask=_z(T, 5, dtype=T.bool)
    ),
    "unbatched 2-d padding mask": lambda T: _mha(T)(
        _z(T, 3, 4), _z(T, 5, 4), _z(T, 5, 4), key_padding_mask=_z(T, 1, 5, dtype=T.bool)
    ),
    "4-d attn_mask": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), attn_mask=_z(T, 1, 1, 3, 5, dtype=T.bool)
    ),
    "unbatched 1-d attn_mask": lambda T: _mha(T)(
        _z(T, 3, 4), _z(T, 5, 4), _z(T, 5, 4), attn_mask=_z(T, 5, dtype=T.bool)
    ),
    "unbatched 3-d attn_mask shape": lambda T: _mha(T)(
        _z(T, 3, 4), _z(T, 5, 4), _z(T, 5, 4), attn_mask=_z(T, 4, 3, 5, dtype=T.bool)
    ),
    "2-d attn_mask shape": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), attn_mask=_z(T, 3, 4, dtype=T.bool)
    ),
    "3-d attn_mask shape": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), attn_mask=_z(T, 2, 3, 5, dtype=T.bool)
    ),
    "int64 attn_mask": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), attn_mask=_z(T, 3, 5, dtype=T.int64)
    ),
    "int64 padding mask": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), key_padding_mask=_z(T, 2, 5, dtype=T.int64)
    ),
    "padding mask batch": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), key_padding_mask=_z(T, 3, 5, dtype=T.bool)
    ),
    "padding mask length": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 4), key_padding_mask=_z(T, 2, 4, dtype=T.bool)
    ),
    "embed_dim of the query": lambda T: _mha(T)(_z(T, 3, 2, 5), _z(T, 5, 2, 5), _z(T, 5, 2, 5)),
    "key and value shapes": lambda T: _mha(T)(_z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 6, 2, 4)),
    "is_causal without a mask": lambda T: _mha(T)(
        _z(T, 3, 2, 4), _z(T, 3, 2, 4), _z(T, 3, 2, 4), is_causal=True
    ),
    "batch sizes": lambda T: _mha(T)(_z(T, 3, 2, 4), _z(T, 5, 3, 4), _z(T, 5, 3, 4)),
    "separate key and value lengths": lambda T: _mha(T, kdim=3, vdim=5)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 3), _z(T, 6, 2, 5)
    ),
    "separate key width": lambda T: _mha(T, kdim=3, vdim=5)(
        _z(T, 3, 2, 4), _z(T, 5, 2, 4), _z(T, 5, 2, 5)
    ),
    "input dtype": lambda T: _mha(T)(*[_z(T, 3, 2, 4, dtype=T.float64)] * 3),
    "dropout above 1": lambda T: _mha(T, dropout=2.0)(*[_z(T, 3, 2, 4)] * 3),
}


@pytest.mark.parametrize("call", MHA_ERRORS.values(), ids=MHA_ERRORS.keys())
def test_multihead_attention_errors_as_torch(session, call):
    check_error_at_line(call)


def test_mismatched_masks_warn_as_torch(session):
    def call(T):
        x = _z(T, 3, 2, 4)
        padding = _z(T, 2, 3, dtype=T.bool)
        return _mha(T)(x, x, x, key_padding_mask=padding, attn_mask=_z(T, 3, 3))

    for T in (torch, gradrpc):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(T)
        messages = [str(w.message) for w in caught]
        assert messages == [
            "Support for mismatched key_padding_mask and attn_mask is deprecated. "
            "Use same type for both instead."
        ], (T, messages)


# ---------------------------------------------------------------- Transformer layers

D_MODEL, FEEDFORWARD = 8, 16


def _silu(T):
    return T.nn.functional.silu


# (constructor keyword arguments; activation given as a builder of T; forward keyword
# arguments: "causal" masks, "padding" key padding masks)
LAYER_CASES = {
    "defaults": ({}, {}),
    "norm_first gelu": ({"norm_first": True, "activation": "gelu"}, {}),
    "batch_first no bias": ({"batch_first": True, "bias": False}, {}),
    "callable activation eps": ({"activation": _silu, "layer_norm_eps": 1e-3}, {}),
    # a Module activation: the decoder's copies of the layer use relu, as torch's (its
    # TransformerDecoderLayer.__setstate__ gives a state without `activation` relu)
    "module activation": ({"activation": lambda T: T.nn.GELU(approximate="tanh")}, {}),
    "causal": ({}, {"mask": "causal"}),
    "causal hint": ({"batch_first": True}, {"mask": "causal", "is_causal": True}),
    "padding": ({"norm_first": True}, {"padding": True}),
    "causal and padding": ({"batch_first": True}, {"mask": "causal", "padding": True}),
}


def _layer_kwargs(T, kwargs: dict, dtype: str) -> dict:
    given = {"dropout": 0.0, "dtype": getattr(T, dtype), **kwargs}
    if callable(given.get("activation")):
        given["activation"] = given["activation"](T)
    return given


def _sequence(T, length: int, batch_first: bool, unbatched: bool, dtype: str, seed: int):
    shape = (length, D_MODEL) if unbatched else (length, BATCH, D_MODEL)
    if batch_first and not unbatched:
        shape = (BATCH, length, D_MODEL)
    return T.tensor(_random(shape, dtype, seed), requires_grad=True)


def _padding(T, unbatched: bool, length: int):
    padded = np.zeros((BATCH, length), bool)
    padded[0, -2:] = True
    padded[2, -1] = True
    return T.tensor(padded[1] if unbatched else padded)


_nothing = contextlib.nullcontext


@contextlib.contextmanager
def _recorded_warnings(T):
    """The messages of the warnings the block gives (a list, filled on exit)."""
    messages = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    messages.extend(str(w.message) for w in caught)


def _check_alike(results: dict, dtype: str) -> None:
    (t_output, t_grads), (g_output, g_grads) = results[torch], results[gradrpc]
    assert g_output.grad_fn.name() == t_output.grad_fn.name()
    _compare([t_output], [g_output], dtype, "output")
    _compare(t_grads, g_grads, dtype, "gradients")


def _backward(T, model, output, leaves, dtype):
    (output * T.tensor(_random(tuple(output.shape), dtype, 5))).sum().backward()
    return output, [p.grad for p in model.parameters()] + [x.grad for x in leaves]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("case", LAYER_CASES.values(), ids=LAYER_CASES.keys())
def test_encoder_matches_torch(session, case, unbatched, dtype):
    """A two-layer TransformerEncoder with a final LayerNorm (each layer a copy of the one
    given, as torch's), torch's weights loaded."""
    kwargs, forward_kwargs = case
    batch_first = kwargs.get("batch_first", False)
    models = {}
    for T in (torch, gradrpc):
        layer = T.nn.TransformerEncoderLayer(
            D_MODEL, HEADS, FEEDFORWARD, **_layer_kwargs(T, kwargs, dtype)
        )
        norm = T.nn.LayerNorm(D_MODEL, dtype=getattr(T, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # enable_nested_tensor's, tested below
            models[T] = T.nn.TransformerEncoder(layer, 2, norm)
    models[gradrpc].load_state_dict(models[torch].state_dict())
    results, messages = {}, {}
    for T, model in models.items():
        src = _sequence(T, SOURCE, batch_first, unbatched, dtype, 0)
        given = {}
        if forward_kwargs.get("mask") == "causal":
            given["mask"] = T.nn.Transformer.generate_square_subsequent_mask(
                SOURCE, dtype=getattr(T, dtype)
            )
        if forward_kwargs.get("padding"):
            given["src_key_padding_mask"] = _padding(T, unbatched, SOURCE)
        if "is_causal" in forward_kwargs:
            given["is_causal"] = forward_kwargs["is_causal"]
        with _recorded_warnings(T) as caught, no_rpc() if T is gradrpc else _nothing():
            output = model(src, **given)
        results[T] = _backward(T, model, output, [src], dtype)
        messages[T] = caught
    _check_alike(results, dtype)
    assert messages[gradrpc] == messages[torch]  # a float causal mask with a bool padding one


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("case", LAYER_CASES.values(), ids=LAYER_CASES.keys())
def test_decoder_matches_torch(session, case, unbatched, dtype):
    """A two-layer TransformerDecoder with a final LayerNorm over a memory that requires
    grad; masks for the target's self-attention and padding of the memory too."""
    kwargs, forward_kwargs = case
    batch_first = kwargs.get("batch_first", False)
    models = {}
    for T in (torch, gradrpc):
        layer = T.nn.TransformerDecoderLayer(
            D_MODEL, HEADS, FEEDFORWARD, **_layer_kwargs(T, kwargs, dtype)
        )
        models[T] = T.nn.TransformerDecoder(layer, 2, T.nn.LayerNorm(D_MODEL).to(getattr(T, dtype)))
    models[gradrpc].load_state_dict(models[torch].state_dict())
    results, messages = {}, {}
    for T, model in models.items():
        tgt = _sequence(T, TARGET, batch_first, unbatched, dtype, 0)
        memory = _sequence(T, SOURCE, batch_first, unbatched, dtype, 1)
        given = {}
        if forward_kwargs.get("mask") == "causal":
            given["tgt_mask"] = T.nn.Transformer.generate_square_subsequent_mask(
                TARGET, dtype=getattr(T, dtype)
            )
        if forward_kwargs.get("padding"):
            given["tgt_key_padding_mask"] = _padding(T, unbatched, TARGET)
            given["memory_key_padding_mask"] = _padding(T, unbatched, SOURCE)
        if "is_causal" in forward_kwargs:
            given["tgt_is_causal"] = forward_kwargs["is_causal"]
        with _recorded_warnings(T) as caught, no_rpc() if T is gradrpc else _nothing():
            output = model(tgt, memory, **given)
        results[T] = _backward(T, model, output, [tgt, memory], dtype)
        messages[T] = caught
    _check_alike(results, dtype)
    assert messages[gradrpc] == messages[torch]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"batch_first": True, "norm_first": True, "activation": "gelu", "bias": False}],
    ids=["defaults", "batch_first norm_first gelu no bias"],
)
def test_transformer_matches_torch(session, kwargs, dtype):
    """nn.Transformer with torch's weights: a causal target mask and padding of the source
    (for the encoder and as the memory's padding)."""
    models = {}
    for T in (torch, gradrpc):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models[T] = T.nn.Transformer(
                D_MODEL, HEADS, 2, 2, FEEDFORWARD, 0.0, dtype=getattr(T, dtype), **kwargs
            )
    assert list(models[gradrpc].state_dict()) == list(models[torch].state_dict())
    models[gradrpc].load_state_dict(models[torch].state_dict())
    batch_first = kwargs.get("batch_first", False)
    results = {}
    for T, model in models.items():
        src = _sequence(T, SOURCE, batch_first, False, dtype, 0)
        tgt = _sequence(T, TARGET, batch_first, False, dtype, 1)
        padding = _padding(T, False, SOURCE)
        tgt_mask = model.generate_square_subsequent_mask(TARGET, dtype=getattr(T, dtype))
        with no_rpc() if T is gradrpc else contextlib.nullcontext():
            output = model(
                src,
                tgt,
                tgt_mask=tgt_mask,
                src_key_padding_mask=padding,
                memory_key_padding_mask=padding,
                tgt_is_causal=True,
            )
        results[T] = _backward(T, model, output, [src, tgt], dtype)
    _check_alike(results, dtype)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")
def test_transformer_eval_without_grad_matches_torch(session):
    """In eval without grad torch runs fused kernels (and, for a batch_first encoder with a
    padding mask, nested tensors, which leave the padded positions 0): gradrpc's values
    agree wherever a position is not padding."""
    models = {}
    for T in (torch, gradrpc):
        layer = T.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, batch_first=True)
        models[T] = T.nn.TransformerEncoder(layer, 2).eval()
    models[gradrpc].load_state_dict(models[torch].state_dict())
    x = _random((BATCH, SOURCE, D_MODEL), "float32", 0)
    padded = np.zeros((BATCH, SOURCE), bool)
    padded[0, -2:] = True
    results = {}
    for T, model in models.items():
        with T.no_grad():
            plain = model(T.tensor(x))
            masked = model(T.tensor(x), src_key_padding_mask=T.tensor(padded))
        results[T] = plain, masked
    _compare([results[torch][0]], [results[gradrpc][0]], "float32", "eval")
    t_masked, g_masked = results[torch][1].numpy(), _read(results[gradrpc][1])[0]
    assert (t_masked[0, -2:] == 0).all() and (g_masked[0, -2:] != 0).all()
    np.testing.assert_allclose(g_masked[~padded], t_masked[~padded], **TOLERANCE["float32"])


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_layers_are_copies_with_the_same_initial_values(session):
    """TransformerEncoder's layers are copies of the layer given (torch's deepcopy): the same
    values, independent parameters; Transformer re-draws every matrix by xavier_uniform_."""
    layer = gradrpc.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, batch_first=True)
    encoder = gradrpc.nn.TransformerEncoder(layer, 2)
    first, second = (dict(encoder.layers[i].named_parameters()) for i in range(2))
    original = dict(layer.named_parameters())
    assert first.keys() == second.keys() == original.keys()
    assert all(first[k] is not second[k] and first[k] is not original[k] for k in first)
    values = _read(*first.values(), *second.values(), *layer.parameters())
    n = len(first)
    for a, b, c in zip(values[:n], values[n : 2 * n], values[2 * n :], strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    with gradrpc.no_grad():
        encoder.layers[0].linear1.weight.add_(1.0)
    after = _read(encoder.layers[1].linear1.weight, layer.linear1.weight)
    assert np.array_equal(after[0], after[1])

    model = gradrpc.nn.Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD)
    for name, value in zip(
        [k for k, _ in model.named_parameters()], _read(*model.parameters()), strict=True
    ):
        if value.ndim > 1:
            bound = math.sqrt(6 / sum(value.shape))
            assert np.abs(value).max() <= bound and np.abs(value).max() > 0.7 * bound, name


@pytest.mark.parametrize("dtype", [None, "float64"])
def test_generate_square_subsequent_mask_as_torch(session, dtype):
    expected = torch.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=dtype and getattr(torch, dtype)
    )
    actual = gradrpc.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=dtype and getattr(gradrpc, dtype)
    )
    assert str(actual) == str(expected)


TRANSFORMER_REPRS = [
    lambda nn: nn.TransformerEncoderLayer(8, 2, 16),
    lambda nn: nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU(), bias=False),
    lambda nn: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.2, layer_norm_eps=1e-3),
    lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, nn.LayerNorm(8)),
    lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2),
    lambda nn: nn.Transformer(8, 2, 1, 2, 16),
]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("build", TRANSFORMER_REPRS)
def test_transformer_repr_as_torch(session, build):
    assert repr(build(gradrpc.nn)) == repr(build(torch.nn))


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16),
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True),
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, bias=False),
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, activation=nn.SiLU()),
        lambda nn: nn.TransformerEncoderLayer(8, 1, 16, batch_first=True),
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
        lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, activation="gelu"),
    ],
    ids=["batch_first", "norm_first", "bias", "activation", "odd heads", "none", "gelu"],
)
def test_nested_tensor_warning_as_torch(session, build):
    """torch's TransformerEncoder warns when enable_nested_tensor cannot take effect, naming
    why; gradrpc keeps the flag and the warning (it never uses nested tensors)."""
    messages = {}
    for T in (torch, gradrpc):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            encoder = T.nn.TransformerEncoder(build(T.nn), 2)
        messages[T] = [str(w.message) for w in caught], encoder.use_nested_tensor
    assert messages[gradrpc] == messages[torch]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradrpc.nn.TransformerEncoder(build(gradrpc.nn), 2, enable_nested_tensor=False)


TRANSFORMER_ERRORS = {
    "activation name": lambda T: T.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
    "decoder activation name": lambda T: T.nn.TransformerDecoderLayer(8, 2, activation="elu"),
    "batch sizes": lambda T: T.nn.Transformer(8, 2, 1, 1, 16)(_z(T, 5, 2, 8), _z(T, 4, 3, 8)),
    "batch_first batch sizes": lambda T: T.nn.Transformer(8, 2, 1, 1, 16, batch_first=True)(
        _z(T, 2, 5, 8), _z(T, 3, 4, 8)
    ),
    "d_model": lambda T: T.nn.Transformer(8, 2, 1, 1, 16)(_z(T, 5, 2, 8), _z(T, 4, 2, 6)),
    "int64 padding mask": lambda T: T.nn.TransformerEncoderLayer(8, 2, 16)(
        _z(T, 5, 2, 8), src_key_padding_mask=_z(T, 2, 5, dtype=T.int64)
    ),
    "int64 mask": lambda T: T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 1)(
        _z(T, 5, 2, 8), mask=_z(T, 5, 5, dtype=T.int64)
    ),
}


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("call", TRANSFORMER_ERRORS.values(), ids=TRANSFORMER_ERRORS.keys())
def test_transformer_errors_as_torch(session, call):
    check_error_at_line(call)


def _classifier(nn):
    """Sequences classified by a two-layer batch_first encoder, mean-pooled, then a linear
    head."""

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layer = nn.TransformerEncoderLayer(
                D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, batch_first=True, norm_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(D_MODEL, 2)

        def forward(self, x):
            return self.head(self.encoder(x).mean(dim=1))

    return Classifier()


def _sequence_to_sequence(nn):
    """nn.Transformer mapping a source sequence to a target one under a causal mask."""

    class Translator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = nn.Transformer(
                D_MODEL, HEADS, 1, 1, FEEDFORWARD, dropout=0.0, activation="gelu"
            )

        def forward(self, pair):
            src, tgt = pair
            mask = self.transformer.generate_square_subsequent_mask(tgt.shape[0])
            return self.transformer(src, tgt, tgt_mask=mask, tgt_is_causal=True)

    return Translator()


def test_encoder_classifier_trains_as_torch(session):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, SOURCE, D_MODEL)).astype(np.float32)
    labels = (x[:, :, 0].sum(axis=1) > 0).astype(np.int64)
    runs = train_alike(
        _classifier,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs, rtol=1e-4)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_trains_as_torch(session):
    rng = np.random.default_rng(1)
    src = rng.standard_normal((SOURCE, 4, D_MODEL)).astype(np.float32)
    tgt = rng.standard_normal((TARGET, 4, D_MODEL)).astype(np.float32)
    runs = train_alike(
        _sequence_to_sequence,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.05, momentum=0.9),
        lambda T: T.nn.MSELoss(),
        lambda T: ((T.tensor(src), T.tensor(tgt)), T.tensor(tgt[::-1].copy())),
    )
    assert_trains_alike(runs, rtol=1e-4)
