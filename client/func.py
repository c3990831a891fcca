"""`gradrpc.func`: torch.func's transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap, functional_call), built on `gradrpc.autograd.grad` and ported from
torch/_functorch (BSD license) with torch's signatures, pytree handling, checks and error texts.

The grad transforms run f once on differentiable copies of the inputs and differentiate
with `autograd.grad` (create_graph inside another transform, so they compose). Results carry
history only where they depend on tensors that require grad outside the transform, as
torch's do. jvp is the double-vjp trick and jacfwd is computed in reverse mode (the same
values as torch's forward mode). vmap is a loop: f runs once per sample and the results are
stacked, which is torch's result for functions without side effects, not a batching
transform; random ops draw afresh for each sample whatever `randomness` says.
"""

from __future__ import annotations

import collections
import contextlib
import functools

from . import autograd, grad_mode
from .tensor import AccumulateGrad, Tensor

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "vjp",
    "vmap",
]


# ---------------------------------------------------------------- pytrees (torch.utils._pytree)


class TreeSpec:
    """A container's structure: its type, context (a dict's keys, a namedtuple's class)
    and its children's specs; printed as torch prints it."""

    __slots__ = ("children", "context", "type")

    def __init__(self, type_, context, children: list):
        self.type, self.context, self.children = type_, context, children

    @property
    def num_leaves(self) -> int:
        return sum(child.num_leaves for child in self.children)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, TreeSpec)
            and self.type is other.type
            and self.context == other.context
            and self.children == other.children
        )

    def __repr__(self, indent: int = 0) -> str:
        text = ""
        if self.children:
            indent += 2
            text = self.children[0].__repr__(indent) + ("," if len(self.children) > 1 else "")
            text += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return f"TreeSpec({self.type.__name__}, {self.context}, [{text}])"


class _LeafSpec(TreeSpec):
    def __init__(self):
        super().__init__(None, None, [])

    @property
    def num_leaves(self) -> int:
        return 1

    def __repr__(self, indent: int = 0) -> str:
        return "*"


_LEAF = _LeafSpec()


def _node(tree):
    """(type, context, children) of a container pytrees look into; None for a leaf."""
    kind = type(tree)
    if kind in (tuple, list):
        return kind, None, list(tree)
    if kind in (dict, collections.OrderedDict):
        return kind, list(tree), list(tree.values())
    if isinstance(tree, tuple) and hasattr(kind, "_fields"):
        return collections.namedtuple, kind, list(tree)
    return None


def _build(kind, context, children: list):
    if kind in (tuple, list):
        return kind(children)
    if kind in (dict, collections.OrderedDict):
        return kind(zip(context, children, strict=True))
    return context(*children)  # a namedtuple's class


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """(the leaves of `tree` in order, its structure)."""
    leaves: list = []

    def spec_of(node) -> TreeSpec:
        parts = _node(node)
        if parts is None:
            leaves.append(node)
            return _LEAF
        kind, context, children = parts
        return TreeSpec(kind, context, [spec_of(child) for child in children])

    return leaves, spec_of(tree)


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree of structure `spec` holding `leaves` in order."""
    it = iter(leaves)

    def build(node: TreeSpec):
        if node is _LEAF:
            return next(it)
        return _build(node.type, node.context, [build(child) for child in node.children])

    return build(spec)


def _tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def _broadcast_to_and_flatten(prefix, spec: TreeSpec) -> list | None:
    """`prefix` (a pytree whose leaves stand for whole subtrees of `spec`) flattened to one
    value per leaf of `spec`; None where the structures do not match."""
    if spec is _LEAF:
        return [prefix]
    parts = _node(prefix)
    if parts is None:
        return [prefix] * spec.num_leaves
    kind, context, children = parts
    if kind is not spec.type or context != spec.context or len(children) != len(spec.children):
        return None
    flat: list = []
    for child, child_spec in zip(children, spec.children, strict=True):
        part = _broadcast_to_and_flatten(child, child_spec)
        if part is None:
            return None
        flat.extend(part)
    return flat


class _Asterisk:
    def __repr__(self) -> str:
        return "*"


def _pprint(spec: TreeSpec) -> str:
    return repr(tree_unflatten([_Asterisk()] * spec.num_leaves, spec))


# ---------------------------------------------------------------- grad transforms: levels


_outermost: list[_Level] = []  # the running outermost grad transform, if any


class _Level:
    """One grad transform's run, and whether it runs inside another transform (whose
    differentiation its results must keep). The outermost one holds the differentiable
    copies of every enclosed transform's inputs: none of them is the caller's."""

    def __init__(self, root: _Level | None):
        self.nested = root is not None
        self.root = root or self
        self.inner: list[Tensor] = []
        self.inner_ids: set[int] = set()

    def differentiable(self, x) -> Tensor:
        """x as an input to differentiate: a view keeping x's history where it has one
        (an enclosing transform's input), else a detached copy requiring grad."""
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        copy = x.view_as(x) if x.requires_grad else x.detach().requires_grad_()
        self.own(copy)
        return copy

    def own(self, t: Tensor) -> None:
        self.root.inner.append(t)
        self.root.inner_ids.add(id(t))

    def reaches_outside(self, tensors) -> bool:
        """Whether any of `tensors` depends on a tensor requiring grad that is none of this
        level's inputs (its gradient must then flow out of the transform)."""
        seen: set[int] = set()
        stack = []
        for t in tensors:
            if not isinstance(t, Tensor) or not t.requires_grad or id(t) in self.root.inner_ids:
                continue
            if t.grad_fn is None:
                return True  # a leaf of the caller's
            stack.append(t.grad_fn)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, AccumulateGrad):
                if id(node.variable) not in self.root.inner_ids:
                    return True
                continue
            if node._passes_nothing:
                continue
            stack.extend(edge for edge, _ in node.next_functions if edge is not None)
        return False

    def graph_for(self, tensors) -> bool:
        """Whether gradients of `tensors` need create_graph: inside another transform, or
        where they depend on the caller's tensors that require grad."""
        return self.nested or self.reaches_outside(tensors)

    def export(self, tree, check_tensors: bool = False):
        """`tree` as the transform returns it: outside every transform, each tensor detached
        unless it depends on the caller's tensors that require grad."""

        def out(t):
            if not isinstance(t, Tensor):
                if check_tensors:
                    raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")
                return t
            if self.nested or self.reaches_outside([t]):
                return t
            return t.detach()

        return _tree_map(out, tree)


@contextlib.contextmanager
def _grad_level():
    level = _Level(_outermost[0] if _outermost else None)
    if not level.nested:
        _outermost.append(level)
    try:
        with grad_mode.enable_grad():
            yield level
    finally:
        if not level.nested:
            _outermost.pop()


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad, zeros for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs, strict=True) if o.requires_grad]
    if not kept:
        return tuple(x.new_zeros(x.shape) for x in inputs)
    grads = autograd.grad(
        [o for o, _ in kept],
        inputs,
        [g for _, g in kept],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )
    return tuple(
        x.new_zeros(x.shape) if g is None else g for g, x in zip(grads, inputs, strict=True)
    )


# ---------------------------------------------------------------- argnums


def _wrap_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _checked_argnums(argnums, num_args: int):
    """argnums as non-negative positions, with torch's checks."""
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if not wrapped:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def _differentiable_args(level: _Level, args: tuple, argnums, forward: bool = False):
    """(args with those at argnums made differentiable, the differentiable leaves, the
    structure of args[argnums]: one argument's for an int, the tuple's for a tuple).
    `forward`: jacfwd's error for a non-tensor (torch's reads the basis' numel first)."""
    argnums = _checked_argnums(argnums, len(args))
    picked = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
    flat, spec = tree_flatten(picked)
    for x in flat if forward else ():
        if not isinstance(x, Tensor):
            raise AttributeError(f"'{type(x).__name__}' object has no attribute 'numel'")
    leaves = [level.differentiable(x) for x in flat]
    new = tree_unflatten(leaves, spec)
    args = list(args)
    if isinstance(argnums, int):
        args[argnums] = new
    else:
        for i, value in zip(argnums, new, strict=True):
            args[i] = value
    return tuple(args), leaves, spec


def _split_aux(output, has_aux: bool, api: str):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return output


# ---------------------------------------------------------------- grad, grad_and_value


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: a function returning (the gradient of func's scalar output
    with respect to the arguments at argnums, that output); ((grad, (output, aux))) with
    has_aux. The arguments need not require grad."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _grad_level() as level:
            args, leaves, spec = _differentiable_args(level, args, argnums)
            output, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                    f"{type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {output.dim()} dims. Maybe you wanted to use the vjp or "
                    "jacrev APIs instead?"
                )
            grads = _autograd_grad([output], leaves, create_graph=level.graph_for([output]))
            gradient = level.export(tree_unflatten(list(grads), spec))
            output = level.export(output)
            if has_aux:
                return gradient, (output, level.export(aux, check_tensors=True))
            return gradient, output

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """torch.func.grad: a function returning the gradient of func's scalar output with
    respect to its arguments at argnums (a tuple of them for a tuple of argnums; the
    structure of a pytree argument); (grad, aux) with has_aux."""
    both = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


# ---------------------------------------------------------------- vjp, jvp


def _checked_outputs(flat: list, api: str) -> None:
    if (len(flat) == 1 and flat[0] is None) or not flat:
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = {flat})"
        )
    for out in flat:
        if not isinstance(out, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(out)}"
            )


def _checked_floating(flat: list) -> None:
    for out in flat:
        if not out.is_floating_point():
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got "
                f"Tensor with dtype {out.dtype}"
            )


def _run_for_vjp(level: _Level, func, args: tuple, argnums, has_aux: bool):
    """func run on differentiable args: (flat outputs, output spec, output, leaves, leaf
    spec, aux), checked as torch's vjp checks them."""
    if argnums is None:
        flat, spec = tree_flatten(args)
        leaves = [level.differentiable(x) for x in flat]
        args = tree_unflatten(leaves, spec)
    else:
        args, leaves, spec = _differentiable_args(level, args, argnums)
    output, aux = _split_aux(func(*args), has_aux, "vjp(f, *primals)")
    flat_out, out_spec = tree_flatten(output)
    _checked_outputs(flat_out, "vjp(f, *primals)")
    _checked_floating(flat_out)
    return flat_out, out_spec, output, leaves, spec, aux


def vjp(func, *primals, has_aux=False):
    """torch.func.vjp: (func(*primals), vjp_fn[, aux]); vjp_fn(cotangents) gives the
    vector-Jacobian products with respect to each primal, as a tuple shaped like primals.
    vjp_fn may be called many times."""
    with _grad_level() as level:
        flat_out, out_spec, output, leaves, spec, aux = _run_for_vjp(
            level, func, primals, None, has_aux
        )
        results = level.export(output)
        if has_aux:
            aux = level.export(aux, check_tensors=True)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cot, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {_pprint(cot_spec)}, primal output: "
                f"{_pprint(out_spec)}"
            )
        if create_graph is None:
            create_graph = grad_mode.is_grad_enabled() and (
                level.graph_for(flat_out) or any(c.requires_grad for c in flat_cot)
            )
        with grad_mode.enable_grad():
            grads = _autograd_grad(
                flat_out, leaves, flat_cot, create_graph=create_graph, retain_graph=retain_graph
            )
        return tree_unflatten(list(level.export(grads)), spec)

    return (results, vjp_fn, aux) if has_aux else (results, vjp_fn)


_JVP = "jvp(f, primals, tangents)"


def _checked_tensors(flat: list, argname: str) -> None:
    if not flat:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for x in flat:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(x)}")


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (func(*primals), the Jacobian-vector product with `tangents`[, aux]),
    by the double-vjp trick (the vjp's gradient with respect to its cotangent)."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {primals_spec} and tangents with structure {tangents_spec}"
        )
    _checked_tensors(flat_primals, "primals")
    _checked_tensors(flat_tangents, "tangents")
    for p, t in zip(flat_primals, flat_tangents, strict=True):
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    with _grad_level() as level:
        leaves = [level.differentiable(p) for p in flat_primals]
        output, aux = _split_aux(func(*tree_unflatten(leaves, primals_spec)), has_aux, _JVP)
        flat_out, out_spec = tree_flatten(output)
        _checked_outputs(flat_out, _JVP)
        tangents_out = _double_vjp(level, flat_out, leaves, flat_tangents)
        results = (
            level.export(output),
            level.export(tree_unflatten(list(tangents_out), out_spec)),
        )
        if has_aux:
            return (*results, level.export(aux, check_tensors=True))
        return results


def _double_vjp(level: _Level, outputs: list, inputs: list, tangents: list) -> tuple:
    """J · tangents for each output: the vjp's gradient with respect to its cotangents."""
    differentiable = [o for o in outputs if o.requires_grad and o.is_floating_point()]
    if not differentiable:
        return tuple(o.new_zeros(o.shape) for o in outputs)
    cotangents = [o.new_zeros(o.shape, requires_grad=True) for o in differentiable]
    for c in cotangents:
        level.own(c)
    vjps = autograd.grad(differentiable, inputs, cotangents, create_graph=True, allow_unused=True)
    kept = [
        (v, t) for v, t in zip(vjps, tangents, strict=True) if v is not None and v.requires_grad
    ]
    if kept:
        products = autograd.grad(
            [v for v, _ in kept],
            cotangents,
            [t for _, t in kept],
            create_graph=level.graph_for(outputs) or any(t.requires_grad for t in tangents),
            allow_unused=True,
        )
    else:
        products = (None,) * len(cotangents)
    by_output = {id(o): p for o, p in zip(differentiable, products, strict=True)}
    return tuple(
        p if (p := by_output.get(id(o))) is not None else o.new_zeros(o.shape) for o in outputs
    )


# ---------------------------------------------------------------- jacrev, jacfwd, hessian


def _jacobian_rows(level: _Level, out: Tensor, leaves: list) -> list[Tensor]:
    """d out / d leaf for each leaf, shaped out.shape + leaf.shape: one gradient per
    element of out."""
    from . import stack  # gradrpc's namespace is complete by the time of a call

    shapes = [tuple(out.shape) + tuple(leaf.shape) for leaf in leaves]
    if out.numel() == 0 or not out.requires_grad or not out.is_floating_point():
        return [out.new_zeros(shape) for shape in shapes]
    create_graph = level.graph_for([out])
    flat = out.reshape(-1)
    rows = [
        _autograd_grad([flat[j]], leaves, create_graph=create_graph, retain_graph=True)
        for j in range(out.numel())
    ]
    return [stack([row[i] for row in rows]).view(shape) for i, shape in enumerate(shapes)]


def _jacobian(func, argnums, has_aux: bool, forward: bool):
    @functools.wraps(func)
    def wrapper(*args):
        with _grad_level() as level:
            if forward:
                args, leaves, spec = _differentiable_args(level, args, argnums, forward=True)
                output, aux = _split_aux(func(*args), has_aux, _JVP)
                flat_out, out_spec = tree_flatten(output)
                _checked_outputs(flat_out, _JVP)
            else:
                flat_out, out_spec, output, leaves, spec, aux = _run_for_vjp(
                    level, func, args, argnums, has_aux
                )
            per_output = []
            for out in flat_out:
                rows = level.export(_jacobian_rows(level, out, leaves))
                by_input = tree_unflatten(rows, spec)
                per_output.append(by_input)
            jacobian = tree_unflatten(per_output, out_spec)
            if has_aux:
                return jacobian, level.export(aux, check_tensors=True)
            return jacobian

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """torch.func.jacrev: a function returning the Jacobian of func with respect to its
    arguments at argnums, by reverse mode: for each output, d output / d argument shaped
    output.shape + argument.shape (pytrees of outputs of pytrees of arguments)."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, forward=False)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: jacrev's result (torch computes it in forward mode, gradrpc in
    reverse mode: the same values), with jvp's checks and error texts."""
    _check_randomness(randomness)
    return _jacobian(func, argnums, has_aux, forward=True)


def hessian(func, argnums=0):
    """torch.func.hessian: jacfwd(jacrev(func, argnums), argnums)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------- vmap


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_randomness(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )


def _batched_inputs(func, in_dims, args: tuple):
    """(batch size, each flat argument's mapped dim or None, flat arguments, their spec)."""
    name = _name(func)
    if not isinstance(in_dims, int | tuple):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or "
            f"a (potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if not args:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
            "trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = _broadcast_to_and_flatten(in_dims, args_spec)
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if flat_in_dims is None:
        raise ValueError(
            f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has "
            f"structure {tree_flatten(in_dims)[1]} but inputs has structure {args_spec}."
        )
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims, strict=True)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(
                f"{where}: Got in_dim={in_dim} for an input but in_dim must be either an "
                "integer dimension or None."
            )
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"{where}: Got in_dim={in_dim} for an input but the input is of type "
                f"{type(arg)}. We cannot vmap over non-Tensor arguments, please use None as "
                "the respective in_dim"
            )
        if in_dim is not None and not -arg.dim() <= in_dim < arg.dim():
            raise ValueError(
                f"{where}: Got in_dim={in_dim} for some input, but that input is a Tensor of "
                f"dimensionality {arg.dim()} so expected in_dim to satisfy "
                f"-{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args, strict=True) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0], flat_in_dims, flat_args, args_spec


def _check_out_dims(func, out_dims) -> None:
    if isinstance(out_dims, int):
        return
    for leaf in tree_flatten(out_dims)[0]:
        if leaf is not None and not isinstance(leaf, int):
            raise ValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                "None or a python collection of ints representing where in the outputs the "
                "vmapped dimension should appear."
            )


def _stacked(func, outputs: list, out_dims):
    """The per-sample outputs joined as torch's vmap returns them."""
    from . import stack  # gradrpc's namespace is complete by the time of a call

    name = _name(func)
    flat_first, spec = tree_flatten(outputs[0])
    samples = [flat_first]
    for output in outputs[1:]:
        flat, other = tree_flatten(output)
        if other != spec:
            raise RuntimeError(
                f"gradrpc: vmap({name}) runs {name} once per sample, and its outputs' "
                f"structures differ: {spec} and {other}"
            )
        samples.append(flat)

    def incompatible():
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}."
        )

    if isinstance(outputs[0], Tensor):
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            flat_out_dims = list(out_dims)
        elif isinstance(out_dims, int) or out_dims is None:
            flat_out_dims = [out_dims]
        else:
            incompatible()
    else:
        flat_out_dims = _broadcast_to_and_flatten(out_dims, spec)
        if flat_out_dims is None:
            incompatible()
    joined = []
    for i, out_dim in enumerate(flat_out_dims):
        per_sample = [flat[i] for flat in samples]
        first = per_sample[0]
        if out_dim is None:
            if isinstance(first, Tensor) and any(v is not first for v in per_sample):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            joined.append(first)
        elif not isinstance(first, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(first)}. "
                "Did you mean to set out_dims= to None for output?"
            )
        else:
            joined.append(stack(per_sample, dim=out_dim))
    return tree_unflatten(joined, spec)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.vmap, as a loop: func runs once per index of the mapped dims (in_dims: an int,
    None, or a pytree prefix of the arguments) and each output is stacked at its out_dim.
    This is torch's result for functions without side effects; a tensor returned for an
    out_dim of None must be the same object for every sample (torch: independent of the
    batch). Random ops draw afresh per sample for every `randomness`."""
    _check_randomness(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        batch_size, flat_in_dims, flat_args, args_spec = _batched_inputs(func, in_dims, args)
        if batch_size == 0:
            raise RuntimeError(
                f"gradrpc: vmap runs {_name(func)} once per sample, and the mapped dimension "
                "has none"
            )
        outputs = []
        for index in range(batch_size):
            sample = [
                arg if d is None else arg.select(d, index)
                for arg, d in zip(flat_args, flat_in_dims, strict=True)
            ]
            outputs.append(func(*tree_unflatten(sample, args_spec), **kwargs))
        return _stacked(func, outputs, out_dims)

    return wrapped


# ---------------------------------------------------------------- functional_call


def _merged_dicts(parameter_and_buffer_dicts) -> dict:
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if not isinstance(parameter_and_buffer_dicts, list | tuple):
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
            f"got {type(parameter_and_buffer_dicts)}"
        )
    if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    counts = collections.Counter(k for d in parameter_and_buffer_dicts for k in d)
    repeated = [k for k, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(
            f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous"
        )
    return {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}


def _named_tensors(module) -> dict:
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untied(module, given: dict) -> dict:
    """`given` plus, for each name of a tied tensor, the value given for one of its names."""
    names_by_tensor: dict[int, set[str]] = {}
    for name, tensor in _named_tensors(module).items():
        names_by_tensor.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_by_tensor.values() if len(names) > 1 for name in names}
    given_tied = [name for name in given if name in tied]
    untied = dict(given)
    for name in given_tied:
        names = tied[name]
        values = {id(given[n]) for n in names if n in given}
        if len(names.intersection(given_tied)) > 1 and len(values) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are "
                "tied. Consider using tie_weights=False"
            )
        for other in names:
            untied[other] = given[name]
    return untied


_MISSING = object()


def _swap(module, path: str, value):
    """Put `value` at the dotted `path` (a parameter, buffer or attribute; _MISSING removes
    it) and return what was there."""
    prefix, _, name = path.rpartition(".")
    owner = module
    for part in prefix.split(".") if prefix else ():
        if part not in owner._modules:
            raise AttributeError(f"{owner._get_name()} has no attribute `{part}`")
        owner = owner._modules[part]
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of torch.Tensor")
    for table in (owner._parameters, owner._buffers):
        if name in table:
            previous = table[name]
            if value is _MISSING:
                del table[name]
            else:
                table[name] = value
            return previous
    previous = getattr(owner, name, _MISSING)
    if value is _MISSING:
        if previous is not _MISSING:
            delattr(owner, name)
    else:
        setattr(owner, name, value)
    return previous


def functional_call(
    module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """torch.func.functional_call: module(*args, **kwargs) with its parameters and buffers
    replaced by those named in the dict(s) for the call, restored afterwards (even when the
    call raises). With tie_weights, a value given for one name of a tied tensor serves all
    its names; with strict, the names must be exactly the module's."""
    given = _merged_dicts(parameter_and_buffer_dicts)
    values = _untied(module, given) if tie_weights else given
    if strict:
        valid = set(_named_tensors(module))
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        messages = []
        if unexpected:
            messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if messages:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(messages)
            )
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    originals: dict = {}
    try:
        for name, value in values.items():
            originals[name] = _swap(module, name, value)
        return module(*args, **kwargs)
    finally:
        current = {name: _swap(module, name, value) for name, value in originals.items()}
        given.update({k: current[k] for k in given if k in current})
