"""torch.einsum, composed of the client's ops as torch's CPU einsum composes them without
opt_einsum (operands contracted from left to right): diagonals for repeated labels, each
operand unsqueezed and permuted to one aligned layout (output dims, then summed ones), and
each pair reduced to one bmm. Values, gradients and grad_fn graphs are therefore torch's."""

from __future__ import annotations

from math import prod

from .tensor import Tensor

_LETTERS = 26
_ELLIPSIS = 2 * _LETTERS  # the subscript code of "..."; labels are 0-25 (A-Z), 26-51 (a-z)
_DOT, _COMMA, _SPACE = ord("."), ord(","), ord(" ")


def einsum(*args) -> Tensor:
    """torch.einsum(equation, *operands), the operands possibly one list; or the sublist
    format torch.einsum(op0, subscripts0, op1, subscripts1, ..., [output subscripts]), each
    subscript an int in [0, 52) or Ellipsis."""
    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, "
            "or at least one operand and its subscripts list"
        )
    if isinstance(args[0], Tensor):
        equation = ",".join("".join(_sublist_label(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_sublist_label(s) for s in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        return einsum(equation, *operands[0])
    if not isinstance(equation, str):
        raise TypeError(
            f"einsum(): argument 'equation' (position 1) must be str, not {type(equation).__name__}"
        )
    for i, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type(operand).__name__}"
            )
    return _einsum(equation.encode(), list(operands))


def _sublist_label(n) -> str:
    """The equation letter of a sublist subscript (torch's order of checks, so that what is
    not an int fails as it does there)."""
    if n == Ellipsis:
        return "..."
    if n >= 0 and n < _LETTERS:
        return chr(ord("A") + n)
    if n >= _LETTERS and n < 2 * _LETTERS:
        return chr(ord("a") + n - _LETTERS)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def _is_letter(byte: int) -> bool:
    return ord("a") <= byte <= ord("z") or ord("A") <= byte <= ord("Z")


def _code(byte: int) -> int:
    return byte - ord("A") if byte <= ord("Z") else byte - ord("a") + _LETTERS


def _letter(code: int) -> str:
    return chr(ord("A") + code) if code < _LETTERS else chr(ord("a") + code - _LETTERS)


def _invalid_subscript(index: int) -> RuntimeError:
    return RuntimeError(
        f"einsum(): invalid subscript given at index {index} in the equation string, "
        "subscripts must be in [a-zA-Z]"
    )


def _is_ellipsis(text: bytes, i: int) -> bool:
    """Whether the '.' at `i` starts "..." that ends before the end of `text` (torch's test)."""
    return i + 2 < len(text) and text[i + 1] == _DOT and text[i + 2] == _DOT


def _input_labels(lhs: bytes, num_ops: int) -> list[list[int]]:
    """Each operand's subscript codes (_ELLIPSIS for "..."), with torch's parse errors."""
    labels: list[list[int]] = [[] for _ in range(num_ops)]
    current, ellipsis_seen, i = 0, False, 0
    while i < len(lhs):
        byte = lhs[i]
        if byte == _DOT:
            if ellipsis_seen:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {current} for which an ellipsis was "
                    "already found"
                )
            if not _is_ellipsis(lhs, i):
                raise RuntimeError(
                    f"einsum(): found '.' for operand {current} that is not part of any ellipsis"
                )
            labels[current].append(_ELLIPSIS)
            ellipsis_seen, i = True, i + 2
        elif byte == _COMMA:
            current += 1
            if current >= num_ops:
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation"
                )
            ellipsis_seen = False
        elif byte != _SPACE:
            if not _is_letter(byte):
                raise _invalid_subscript(i)
            labels[current].append(_code(byte))
        i += 1
    if current != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _ellipsis_dims(labels: list[list[int]], operands: list[Tensor]) -> int:
    """The most dims any ellipsis covers, with torch's check of each operand's label count."""
    most = 0
    for i, (own, operand) in enumerate(zip(labels, operands, strict=True)):
        count = sum(1 for s in own if s != _ELLIPSIS)
        if _ELLIPSIS in own:
            most = max(most, operand.ndim - count)
            if count > operand.ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({count}) is more than "
                    f"the number of dimensions ({operand.ndim}) for operand {i}"
                )
        elif count != operand.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({count}) does not match "
                f"the number of dimensions ({operand.ndim}) for operand {i} and no ellipsis "
                "was given"
            )
    return most


class _Layout:
    """Where each label and the ellipsis dims go in the aligned layout: the output's dims
    first (`out_dims` of them), then those summed out (`dims` in all)."""

    def __init__(self, equation: bytes, arrow: int, counts: list[int], ellipsis_dims: int):
        self.position = [-1] * (2 * _LETTERS)
        self.ellipsis_at = 0
        index = 0
        ellipsis_in_output = False
        if arrow < 0:  # implicit output: the ellipsis, then the labels seen once, A-Z a-z
            index, ellipsis_in_output = ellipsis_dims, True
            for code, count in enumerate(counts):
                if count == 1:
                    self.position[code], index = index, index + 1
        else:
            rhs, start, i = equation[arrow + 2 :], arrow + 2, 0
            while i < len(rhs):
                byte = rhs[i]
                if byte == _DOT:
                    if ellipsis_in_output:
                        raise RuntimeError(
                            "einsum(): found '.' for output but an ellipsis (...) was already found"
                        )
                    if not _is_ellipsis(rhs, i):
                        raise RuntimeError(
                            "einsum(): found '.' for output that is not part of any ellipsis (...)"
                        )
                    self.ellipsis_at, index = index, index + ellipsis_dims
                    ellipsis_in_output, i = True, i + 2
                elif byte != _SPACE:
                    if not _is_letter(byte):
                        raise _invalid_subscript(start + i)
                    code = _code(byte)
                    if counts[code] == 0 or self.position[code] != -1:
                        problem = (
                            "appears more than once in the output"
                            if self.position[code] != -1
                            else "does not appear in the equation for any input operand"
                        )
                        raise RuntimeError(f"einsum(): output subscript {chr(byte)} {problem}")
                    self.position[code], index = index, index + 1
                i += 1
        self.out_dims = index
        if not ellipsis_in_output:
            self.ellipsis_at, index = index, index + ellipsis_dims
        for code, count in enumerate(counts):
            if count > 0 and self.position[code] == -1:
                self.position[code], index = index, index + 1
        self.dims = index


def _einsum(equation: bytes, operands: list[Tensor]) -> Tensor:
    arrow = equation.find(b"->")
    labels = _input_labels(equation if arrow < 0 else equation[:arrow], len(operands))
    ellipsis_dims = _ellipsis_dims(labels, operands)
    counts = [0] * (2 * _LETTERS)
    for own in labels:
        for code in own:
            if code != _ELLIPSIS:
                counts[code] += 1
    layout = _Layout(equation, arrow, counts, ellipsis_dims)
    # how many operands have each aligned dim with a size other than 1
    dim_counts = [0] * layout.dims
    aligned = _aligned(operands, labels, layout, ellipsis_dims, dim_counts)
    while len(aligned) > 1:
        a, b = aligned.pop(0), aligned.pop(0)
        aligned.insert(0, _contract(a, b, layout.out_dims, dim_counts))
    result = aligned[0]
    if layout.dims == layout.out_dims:
        return result
    if len(operands) > 1:  # the summed dims are all size 1 now
        return result.view(result.shape[: layout.out_dims])
    return result.sum(list(range(layout.out_dims, layout.dims)))


def _aligned(operands, labels, layout: _Layout, ellipsis_dims: int, dim_counts) -> list[Tensor]:
    """Each operand with diagonals taken for its repeated labels, then unsqueezed for the
    labels it lacks and permuted to the layout; torch's size checks in its order."""
    label_sizes = [1] * (2 * _LETTERS)
    ellipsis_sizes = [1] * ellipsis_dims
    aligned = []
    for i, (operand, own) in enumerate(zip(operands, labels, strict=True)):
        x = operand
        permutation = [-1] * layout.dims
        dim = 0
        for code in own:
            if code == _ELLIPSIS:
                covered = operand.ndim - (len(own) - 1)
                for j in range(ellipsis_dims - covered, ellipsis_dims):
                    size = x.shape[dim]
                    if size != 1:
                        if ellipsis_sizes[j] not in (1, size):
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}"
                                f"has size {size} which does not broadcast with previously seen "
                                f"ellipsis with size {ellipsis_sizes[j]} for the respective "
                                "dimension"
                            )
                        ellipsis_sizes[j] = size
                        dim_counts[layout.ellipsis_at + j] += 1
                    permutation[layout.ellipsis_at + j] = dim
                    dim += 1
            elif permutation[layout.position[code]] == -1:
                size = x.shape[dim]
                if size != 1:
                    if label_sizes[code] not in (1, size):
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(code)} has size {size} for operand "
                            f"{i} which does not broadcast with previously seen size "
                            f"{label_sizes[code]}"
                        )
                    label_sizes[code] = size
                    dim_counts[layout.position[code]] += 1
                permutation[layout.position[code]] = dim
                dim += 1
            else:  # a repeated label: its diagonal, where the label's first dim was
                first = permutation[layout.position[code]]
                if x.shape[dim] != x.shape[first]:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(code)} is repeated for operand {i} but "
                        f"the sizes don't match, {x.shape[dim]} != {x.shape[first]}"
                    )
                x = _move_last_to(x.diagonal(0, first, dim), first)
        for k, at in enumerate(permutation):
            if at == -1:
                x = x.unsqueeze(dim)
                permutation[k] = dim
                dim += 1
        aligned.append(x.permute(permutation))
    return aligned


def _move_last_to(x: Tensor, dim: int) -> Tensor:
    """x.movedim(-1, dim), a permute as torch's."""
    order = list(range(x.ndim - 1))
    order.insert(dim, x.ndim - 1)
    return x.permute(order)


def _contract(a: Tensor, b: Tensor, out_dims: int, dim_counts: list[int]) -> Tensor:
    """a and b multiplied, summing the dims no other operand still has (one that only one
    of them has is summed in it first)."""
    summed, a_summed, b_summed = [], [], []
    for dim in range(out_dims, len(dim_counts)):
        if a.shape[dim] != 1 and b.shape[dim] != 1:
            dim_counts[dim] -= 1
            if dim_counts[dim] == 1:
                summed.append(dim)
                dim_counts[dim] = 0
        elif dim_counts[dim] == 1:
            if a.shape[dim] != 1:
                a_summed.append(dim)
                dim_counts[dim] = 0
            elif b.shape[dim] != 1:
                b_summed.append(dim)
                dim_counts[dim] = 0
    if a_summed:
        a = a.sum(a_summed, keepdim=True)
    if b_summed:
        b = b.sum(b_summed, keepdim=True)
    return _sum_product(a, b, summed)


def _sum_product(left: Tensor, right: Tensor, summed: list[int]) -> Tensor:
    """(left * right).sum(summed, keepdim=True) of two aligned tensors, as one bmm: the dims
    both have (batch), only one has (rows; columns: the other's, and those neither has),
    and summed, each group flattened."""
    if not summed:
        return left * right
    both, left_only, right_only = [], [], []
    for dim in range(left.ndim):
        in_left, in_right = left.shape[dim] != 1, right.shape[dim] != 1
        if dim in summed:
            if in_left and not in_right:
                left = left.sum(dim, keepdim=True)
            elif in_right and not in_left:
                right = right.sum(dim, keepdim=True)
        elif in_left and in_right:
            both.append(dim)
        elif in_left:
            left_only.append(dim)
        else:
            right_only.append(dim)
    if left_only and right_only and right_only[-1] < left_only[0]:
        # torch puts first the operand whose own dims all come first
        left, right, left_only, right_only = right, left, right_only, left_only
    batch = prod(left.shape[d] for d in both)
    rows = prod(left.shape[d] for d in left_only)
    inner = prod(left.shape[d] for d in summed)
    columns = prod(right.shape[d] for d in right_only)
    order = both + left_only + summed + right_only
    first = left.permute(order).reshape(batch, rows, inner)
    second = right.permute(both + summed + right_only + left_only).reshape(batch, inner, columns)
    product = first.bmm(second)
    shape = [left.shape[d] for d in both + left_only] + [1] * len(summed)
    shape += [right.shape[d] for d in right_only]
    back = [0] * len(order)
    for position, dim in enumerate(order):
        back[dim] = position
    return product.view(shape).permute(back)
