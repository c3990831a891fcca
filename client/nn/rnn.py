"""torch.nn's recurrent layers (RNN, LSTM, GRU) and cells (RNNCell, LSTMCell, GRUCell),
composed from gradrpc ops as torch's CPU implementation composes them.

Parameters are torch's (names, shapes, order, U(-1/√hidden_size, 1/√hidden_size) from
reset_parameters, drawn on the server), so state dicts move between the two. A layer projects
the whole sequence's inputs at once (one linear per layer and direction), then steps through
time with the cell's equations; the steps' outputs are stacked (StackBackward0), the
directions joined by cat (CatBackward0), the final states stacked. Building the graph only
queues operations: forward makes no call to the server and reads no values.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..dtypes import check_available
from ..tensor import Tensor
from . import functional as F
from . import init
from .modules import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, _ints

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _empty_parameter(shape: tuple[int, ...], dtype) -> Parameter:
    from ..session import default_session

    return Parameter(default_session().empty(*shape, dtype=dtype))


def _reset_uniform(module: Module) -> None:
    """torch's RNN reset_parameters: every parameter U(-1/√hidden_size, 1/√hidden_size)."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


def _joined(name: str, tensors: list[Tensor], dim: int) -> Tensor:
    return tensors[0]._call(name, tensors, {"dim": dim})


def _mini_batch(input: Tensor, batch_sizes, batch_first: bool) -> int:
    """The batch size: a packed input's first batch size, else the batch dim's."""
    if batch_sizes is not None:
        return _ints(batch_sizes)[0][0]
    return input.size(0) if batch_first else input.size(1)


def _rows(state, start: int, stop: int):
    """Rows start:stop of a state (each of an LSTM's (h, c))."""
    if isinstance(state, tuple):
        return tuple(s[start:stop] for s in state)
    return state[start:stop]


def _stacked_rows(states: list):
    """States joined along the batch (cat of the rows, an LSTM's h and c apart)."""
    if len(states) == 1:
        return states[0]
    if isinstance(states[0], tuple):
        return tuple(_joined("cat", list(parts), 0) for parts in zip(*states, strict=True))
    return _joined("cat", states, 0)


def _permuted(hx, permutation):
    """torch's permute_hidden: hx (each of (h, c)) reordered along the batch dim."""
    if permutation is None:
        return hx
    if isinstance(hx, tuple):
        return tuple(h.index_select(1, permutation) for h in hx)
    return hx.index_select(1, permutation)


# ---------------------------------------------------------------- one time step
# Each takes the step's input gates (x W_ihᵀ + b_ih, computed beforehand), the previous state
# and the hidden-to-hidden weight already transposed, as torch's cells with pre-computed input.


def _hidden_gates(h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    return h.matmul(w_hh_t) if b_hh is None else b_hh.addmm(h, w_hh_t)


def _rnn_step(mode: str, gates_in: Tensor, h: Tensor, w_hh_t, b_hh) -> Tensor:
    """h' = tanh (or relu)(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    pre = _hidden_gates(h, w_hh_t, b_hh) + gates_in
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


def _lstm_step(gates_in: Tensor, state, w_hh_t, b_hh, w_hr_t=None) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o in that order: c' = f c + i g, h' = o tanh(c') (then h' W_hrᵀ with a
    projection)."""
    h, c = state
    gates = _hidden_gates(h, w_hh_t, b_hh) + gates_in
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr_t is None else h.matmul(w_hr_t)), c


def _gru_step(gates_in: Tensor, h: Tensor, w_hh_t, b_hh) -> Tensor:
    """Gates r, z, n: n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)), h' = (h - n) z + n,
    which is (1 - z) n + z h."""
    x_r, x_z, x_n = gates_in.chunk(3, 1)
    h_r, h_z, h_n = _hidden_gates(h, w_hh_t, b_hh).chunk(3, 1)
    r = (h_r + x_r).sigmoid()
    z = (h_z + x_z).sigmoid()
    n = (x_n + h_n * r).tanh()
    return (h - n) * z + n


# ---------------------------------------------------------------- multi-layer modules


class RNNBase(Module):
    """What RNN, LSTM and GRU share: torch's constructor checks and parameters, its input
    and hidden-state checks (types and messages), and the layered, optionally bidirectional
    run over a sequence."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if device is not None:
            check_available(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (
            not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                shapes = {
                    "weight_ih": (gate_size, layer_input_size),
                    "weight_hh": (gate_size, real_hidden_size),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, _empty_parameter(shape, dtype))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as torch's is off cuDNN."""

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        weight_dtype = getattr(self, self._flat_weights_names[0]).dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(
                f"input must have {expected_input_dim} dimensions, got {input.dim()}"
            )
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        mini_batch = _mini_batch(input, batch_sizes, self.batch_first)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(
        self, hx: Tensor, expected_hidden_size, msg: str = "Expected hidden size {}, got {}"
    ) -> None:
        if hx.size() != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _batched_input(self, input) -> tuple[Tensor, bool]:
        """The input with a batch dim (added at batch_first's place for a 2-D input), and
        whether it had one; refusing other than 2 or 3 dims."""
        if input.dim() not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead"
            )
        is_batched = input.dim() == 3
        return (input if is_batched else input.unsqueeze(0 if self.batch_first else 1)), is_batched

    def _zeros(self, input: Tensor, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return input.new_zeros((self.num_layers * num_directions, batch, size))

    def _step(self, gates_in: Tensor, state, weights: dict):
        if self.mode == "LSTM":
            return _lstm_step(
                gates_in, state, weights["w_hh_t"], weights["b_hh"], weights["w_hr_t"]
            )
        if self.mode == "GRU":
            return _gru_step(gates_in, state, weights["w_hh_t"], weights["b_hh"])
        return _rnn_step(self.mode, gates_in, state, weights["w_hh_t"], weights["b_hh"])

    def _weights(self, layer: int, direction: int) -> tuple[Tensor, Tensor | None, dict]:
        """A layer's and direction's W_ih, b_ih and the step's weights."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        w_hr = getattr(self, "weight_hr" + suffix, None)
        weights = {
            "w_hh_t": getattr(self, "weight_hh" + suffix).t(),
            "b_hh": getattr(self, "bias_hh" + suffix, None),
            "w_hr_t": None if w_hr is None else w_hr.t(),
        }
        return getattr(self, "weight_ih" + suffix), getattr(self, "bias_ih" + suffix, None), weights

    def _run_packed(self, data: Tensor, sizes: tuple[int, ...], initial: list):
        """The layers over packed `data` (batch_sizes `sizes`), as torch's packed layers run:
        step t advances the first sizes[t] states; forwards, a state leaves as its sequence
        ends, backwards it joins as its sequence begins. Returns the last layer's packed
        output and the final states (layer-major, as `initial`)."""
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                w_ih, b_ih, weights = self._weights(layer, direction)
                gates_in = F.linear(data, w_ih, b_ih).split(list(sizes), 0)
                state = initial[layer * num_directions + direction]
                steps = []
                if direction == 0:
                    ended, current = [], sizes[0]
                    for size, x in zip(sizes, gates_in, strict=True):
                        if size < current:
                            ended.append(_rows(state, size, current))
                            state, current = _rows(state, 0, size), size
                        state = self._step(x, state, weights)
                        steps.append(state[0] if self.mode == "LSTM" else state)
                    final = _stacked_rows([state, *reversed(ended)])
                else:
                    whole, current = state, sizes[-1]
                    state = _rows(whole, 0, current)
                    for size, x in zip(reversed(sizes), reversed(gates_in), strict=True):
                        if size > current:
                            state = _stacked_rows([state, _rows(whole, current, size)])
                            current = size
                        state = self._step(x, state, weights)
                        steps.append(state[0] if self.mode == "LSTM" else state)
                    steps.reverse()
                    final = state
                outputs.append(_joined("cat", steps, 0))
                finals.append(final)
            data = outputs[0] if num_directions == 1 else _joined("cat", outputs, 1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, True)
        return data, finals

    def _forward_packed(self, packed: PackedSequence, hx):
        """forward over a PackedSequence: hx (zeros when None) reordered into the sorted
        order, and the final states back into the original order; a PackedSequence out."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        (sizes,) = _ints(batch_sizes)
        num_directions = 2 if self.bidirectional else 1
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            shape = (self.num_layers * num_directions, sizes[0], real_hidden_size)
            hx = data.new_zeros(shape)
            if self.mode == "LSTM":
                hx = (hx, data.new_zeros((*shape[:2], self.hidden_size)))
        else:
            hx = _permuted(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        if self.mode == "LSTM":
            initial = list(zip(hx[0].unbind(0), hx[1].unbind(0), strict=True))
        else:
            initial = list(hx.unbind(0))
        output, finals = self._run_packed(data, sizes, initial)
        if self.mode == "LSTM":
            hidden = (
                _joined("stack", [h for h, _ in finals], 0),
                _joined("stack", [c for _, c in finals], 0),
            )
        else:
            hidden = _joined("stack", finals, 0)
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return output, _permuted(hidden, unsorted_indices)

    def _run(self, input: Tensor, initial: list) -> tuple[Tensor, list]:
        """The layers over `input` (batch_first's layout), from one initial state per layer
        and direction (layer-major; (h, c) pairs for an LSTM): the last layer's output in the
        same layout and the final states in the same order. Dropout applies to each layer's
        output but the last, while training."""
        sequence = input.transpose(0, 1) if self.batch_first else input
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                w_ih, b_ih, weights = self._weights(layer, direction)
                gates_in = F.linear(sequence, w_ih, b_ih).unbind(0)
                state = initial[layer * num_directions + direction]
                steps = []
                for x in reversed(gates_in) if direction else gates_in:
                    state = self._step(x, state, weights)
                    steps.append(state[0] if self.mode == "LSTM" else state)
                if direction:
                    steps.reverse()
                outputs.append(_joined("stack", steps, 0))
                finals.append(state)
            sequence = outputs[0] if num_directions == 1 else _joined("cat", outputs, 2)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                sequence = F.dropout(sequence, self.dropout, True)
        return (sequence.transpose(0, 1) if self.batch_first else sequence), finals

    def _forward_single_state(self, input, hx):
        """RNN's and GRU's forward: (output, h_n)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, is_batched = self._batched_input(input)
        if hx is not None:
            if not is_batched and hx.dim() != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
                )
            if is_batched and hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
                )
            hx = hx if is_batched else hx.unsqueeze(1)
        else:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, finals = self._run(input, list(hx.unbind(0)))
        hidden = _joined("stack", finals, 0)
        if not is_batched:
            return output.squeeze(0 if self.batch_first else 1), hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    """An Elman RNN: h_t = tanh (or relu)(x_t W_ihᵀ + b_ih + h_(t-1) W_hhᵀ + b_hh), per layer
    and direction. torch's signature: (input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=False)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single_state(input, hx)


class GRU(RNNBase):
    """A gated recurrent unit, gates r, z, n (torch's order in the weights):
    n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)), h' = (1 - z) n + z h."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single_state(input, hx)


class LSTM(RNNBase):
    """A long short-term memory, gates i, f, g, o (torch's order in the weights):
    c' = f c + i g, h' = o tanh(c'), with proj_size then h' W_hrᵀ. forward(input, (h_0, c_0))
    returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        mini_batch = _mini_batch(input, batch_sizes, self.batch_first)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def forward(self, input: Tensor, hx=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, is_batched = self._batched_input(input)
        if hx is None:
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real_hidden_size), self._zeros(input, self.hidden_size))
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError(
                    "For unbatched 2-D input, hx and cx should also be 2-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        initial = list(zip(hx[0].unbind(0), hx[1].unbind(0), strict=True))
        output, finals = self._run(input, initial)
        h_n = _joined("stack", [h for h, _ in finals], 0)
        c_n = _joined("stack", [c for _, c in finals], 0)
        if not is_batched:
            return output.squeeze(0 if self.batch_first else 1), (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


# ---------------------------------------------------------------- cells


class RNNCellBase(Module):
    """What the cells share: weight_ih (chunks × hidden_size, input_size), weight_hh
    (chunks × hidden_size, hidden_size), bias_ih and bias_hh (chunks × hidden_size) or None,
    torch's reset_parameters, and its checks of a step's input and hidden states."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if device is not None:
            check_available(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _empty_parameter((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _empty_parameter((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _empty_parameter((num_chunks * hidden_size,), dtype)
            self.bias_hh = _empty_parameter((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    def _check_dims(self, input: Tensor, hidden: dict) -> bool:
        """torch's 1-D-or-2-D checks of the input and each named hidden state; whether the
        input is batched."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for label, value in hidden.items():
            if value is not None and value.dim() not in (1, 2):
                raise ValueError(
                    f"{name}: Expected {label} to be 1D or 2D, got {value.dim()}D instead"
                )
        return input.dim() == 2

    def _check_step(self, input: Tensor, states: tuple) -> None:
        """torch's checks of the cell's input size and each state's batch and hidden sizes."""
        if input.size(1) != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}"
            )
        for label, hx in enumerate(states):
            if input.size(0) != hx.size(0):
                raise RuntimeError(
                    f"Input batch size {input.size(0)} doesn't match hidden{label} batch size "
                    f"{hx.size(0)}"
                )
            if hx.size(1) != self.hidden_size:
                raise RuntimeError(
                    f"hidden{label} has inconsistent hidden_size: got {hx.size(1)}, expected "
                    f"{self.hidden_size}"
                )

    def _prepared(self, input: Tensor, hx: Tensor | None, is_batched: bool):
        """The batched input and state (zeros when absent)."""
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = input.new_zeros((input.size(0), self.hidden_size))
        elif not is_batched:
            hx = hx.unsqueeze(0)
        return input, hx

    def _gates_in(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh (or relu)(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        is_batched = self._check_dims(input, {"hidden": hx})
        input, hx = self._prepared(input, hx, is_batched)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_step(input, (hx,))
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _rnn_step(mode, self._gates_in(input), hx, self.weight_hh.t(), self.bias_hh)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step, gates i, f, g, o: c' = f c + i g, h' = o tanh(c'); returns (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None) -> tuple[Tensor, Tensor]:
        labels = {} if hx is None else {f"hx[{i}]": value for i, value in enumerate(hx)}
        is_batched = self._check_dims(input, labels)
        if hx is None:
            input, zeros = self._prepared(input, None, is_batched)
            hx = (zeros, zeros)
        else:
            input, h = self._prepared(input, hx[0], is_batched)
            hx = (h, hx[1] if is_batched else hx[1].unsqueeze(0))
        self._check_step(input, hx)
        h, c = _lstm_step(self._gates_in(input), hx, self.weight_hh.t(), self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n: n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)),
    h' = (1 - z) n + z h."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        is_batched = self._check_dims(input, {"hidden": hx})
        input, hx = self._prepared(input, hx, is_batched)
        self._check_step(input, (hx,))
        h = _gru_step(self._gates_in(input), hx, self.weight_hh.t(), self.bias_hh)
        return h if is_batched else h.squeeze(0)
