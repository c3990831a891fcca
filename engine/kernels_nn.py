"""Numba kernels of the neural-network ops and of the optimizers: plain loops, each stating
its math.

As in `kernels`: elementwise kernels are `kernels.elementwise` ufuncs; the others have
explicit float32/float64 signatures (`kernels.lazy_njit`: built at the first call, from Numba's
on-disk cache where it holds them), `cache=True`, `nogil=True`, no fastmath. Softmax-type
kernels see their input as (outer, n, inner), the reduced dimension in the middle, and are
fused: one kernel computes a whole forward or backward, stably (the row maximum is
subtracted before exponentiating). Optimizer kernels update a parameter and its state in
place in one pass, with torch.optim's single-tensor arithmetic in torch's order; their
scalars arrive already rounded to the parameter's dtype, as torch's CPU kernels round them.
"""

import math

import numpy as np
from numba import njit

from .kernels import elementwise, fma, lazy_njit

_WITH_INTS = ("float32", "float64", "int64")


def _sigs(template: str, types=("float32", "float64")) -> list[str]:
    return [template.replace("T", t) for t in types]


# ---------------------------------------------------------------- addmm


@elementwise(4, ("float32", "float64", "int64"))
def addmm_combine(product, input, beta, alpha):
    """beta input + alpha product, as torch's addmm: beta = 0 ignores input (nan included),
    beta = 1 and alpha = 1 add without multiplying."""
    if beta == 0:
        return alpha * product if alpha != 1 else product
    scaled = input if beta == 1 else beta * input
    return scaled + (product if alpha == 1 else alpha * product)


@elementwise(2, ("float32", "float64", "int64"))
def scale(g, factor):
    """factor g"""
    return factor * g


# ---------------------------------------------------------------- layer_norm
# Rows of n elements, normalized each on its own. stats[r] holds the row's mean μ and
# ρ = 1/√(σ² + eps), σ² the biased variance, in the row's dtype: μ and σ² are summed in
# float64 and rounded once, ρ is computed in float64 from the rounded σ² and rounded, as
# torch computes it from its float statistics.

_ROWS = "T[:, ::1]"


@njit(cache=True, nogil=True)
def _row_stats(x, r, eps, stats):
    """stats[r] = (μ, ρ) of row r of x (n > 0)."""
    n = x.shape[1]
    total = 0.0
    for j in range(n):
        total += x[r, j]
    mean = total / n
    squares = 0.0
    for j in range(n):
        d = x[r, j] - mean
        squares += d * d
    stats[r, 0] = mean
    stats[r, 1] = squares / n
    stats[r, 1] = 1.0 / math.sqrt(stats[r, 1] + eps)


@lazy_njit(_sigs(f"void({_ROWS}, float64, {_ROWS})"))
def layer_norm_stats(x, eps, stats):
    """stats of every row of x (the backward recomputes what the forward found)."""
    if x.shape[1] == 0:
        return
    for r in range(x.shape[0]):
        _row_stats(x, r, eps, stats)


@lazy_njit(_sigs(f"void({_ROWS}, T[::1], T[::1], float64, {_ROWS}, {_ROWS})"))
def layer_norm(x, weight, bias, eps, stats, out):
    """out = (x - μ) ρ w + b per row, in x's dtype in torch's order; fills stats."""
    n_rows, n = x.shape
    if n == 0:
        return
    for r in range(n_rows):
        _row_stats(x, r, eps, stats)
        mean, rstd = stats[r, 0], stats[r, 1]
        for j in range(n):
            out[r, j] = (x[r, j] - mean) * rstd * weight[j] + bias[j]


@lazy_njit(
    _sigs(f"void({_ROWS}, {_ROWS}, T[::1], {_ROWS}, {_ROWS}, float64[::1], float64[::1])"),
)
def layer_norm_backward(g, x, weight, stats, dx, dw, db):
    """torch's layer-norm backward, summed in float64 and rounded once: per row, with
    s = Σ g w x and t = Σ g w, dx = ρ g w + b x + c where b = (t μ - s) ρ³ / n and
    c = -b μ - t ρ / n; over the rows, dw += g (x - μ) ρ and db += g (dw and db are float64
    accumulators; dx is skipped when it has no rows)."""
    n_rows, n = x.shape
    if n == 0:
        return
    for r in range(n_rows):
        mean, rstd = float(stats[r, 0]), float(stats[r, 1])
        s = 0.0
        t = 0.0
        for j in range(n):
            gw = float(g[r, j]) * weight[j]
            s += gw * x[r, j]
            t += gw
            dw[j] += g[r, j] * (x[r, j] - mean) * rstd
            db[j] += g[r, j]
        if dx.shape[0] == 0:
            continue
        b = (t * mean - s) * rstd * rstd * rstd / n
        c = -b * mean - t * rstd / n
        for j in range(n):
            dx[r, j] = rstd * float(g[r, j]) * weight[j] + b * x[r, j] + c


# ---------------------------------------------------------------- batch_norm
# An (N, C, *) input seen as (N, C, L): channel c normalizes its M = N L elements x[:, c, :].
# The per-channel sums run in float64 and visit the rows x[i, c, :] in memory order, each
# row in several partial sums (independent additions, so a long row is not bound by one
# addition's latency); rows of one element (an (N, C) input) run along the channels.

_NCL = "T[:, :, ::1]"


@njit(inline="always")
def _row_sum(x, i, c):
    """Σ_j x[i, c, j] in float64."""
    length = x.shape[2]
    s0 = s1 = s2 = s3 = 0.0
    j = 0
    while j + 4 <= length:
        s0 += x[i, c, j]
        s1 += x[i, c, j + 1]
        s2 += x[i, c, j + 2]
        s3 += x[i, c, j + 3]
        j += 4
    while j < length:
        s0 += x[i, c, j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@njit(inline="always")
def _row_squares(x, i, c, mu):
    """Σ_j (x[i, c, j] - μ)², each square formed in x's dtype, summed in float64."""
    length = x.shape[2]
    s0 = s1 = s2 = s3 = 0.0
    j = 0
    while j + 4 <= length:
        d0, d1 = x[i, c, j] - mu, x[i, c, j + 1] - mu
        d2, d3 = x[i, c, j + 2] - mu, x[i, c, j + 3] - mu
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        j += 4
    while j < length:
        d = x[i, c, j] - mu
        s0 += d * d
        j += 1
    return (s0 + s1) + (s2 + s3)


@njit(inline="always")
def _row_gradient_sums(g, x, i, c, mu):
    """(Σ_j g[i, c, j], Σ_j (x[i, c, j] - μ) g[i, c, j]) in float64 (μ a float64)."""
    length = x.shape[2]
    s0 = s1 = d0 = d1 = 0.0
    j = 0
    while j + 2 <= length:
        g0, g1 = g[i, c, j], g[i, c, j + 1]
        s0 += g0
        s1 += g1
        d0 += (x[i, c, j] - mu) * g0
        d1 += (x[i, c, j + 1] - mu) * g1
        j += 2
    if j < length:
        s0 += g[i, c, j]
        d0 += (x[i, c, j] - mu) * g[i, c, j]
    return s0 + s1, d0 + d1


@lazy_njit(_sigs(f"void({_NCL}, T[::1], T[::1])"))
def batch_norm_stats(x, mean, var_sum):
    """Per channel, as torch's CPU kernel: μ = Σ x / M summed in float64 and rounded to x's
    dtype, then Σ (x - μ)², each square formed in x's dtype, summed in float64 and rounded."""
    n, channels, length = x.shape
    count = n * length
    total = np.zeros(channels)
    for i in range(n):
        for c in range(channels):
            total[c] += x[i, c, 0] if length == 1 else _row_sum(x, i, c)
    for c in range(channels):
        mean[c] = total[c] / count
        total[c] = 0.0
    for i in range(n):
        for c in range(channels):
            if length == 1:
                d = x[i, c, 0] - mean[c]
                total[c] += d * d
            else:
                total[c] += _row_squares(x, i, c, mean[c])
    for c in range(channels):
        var_sum[c] = total[c]


@lazy_njit(_sigs(f"void({_NCL}, T[::1], T[::1], T[::1], T[::1], {_NCL})"))
def batch_norm(x, mean, rstd, weight, bias, out):
    """out = x α + β per channel, α = ρ w and β = b - μ α, all in x's dtype (torch's order)."""
    n, channels, length = x.shape
    alpha = rstd * weight
    beta = bias - mean * alpha
    for i in range(n):
        if length == 1:  # (N, C): along the channels
            for c in range(channels):
                out[i, c, 0] = x[i, c, 0] * alpha[c] + beta[c]
            continue
        for c in range(channels):
            a, b = alpha[c], beta[c]
            for j in range(length):
                out[i, c, j] = x[i, c, j] * a + b


@lazy_njit(
    _sigs(f"void({_NCL}, {_NCL}, T[::1], T[::1], T[::1], boolean, {_NCL}, T[::1], T[::1])"),
)
def batch_norm_backward(g, x, mean, rstd, weight, training, dx, dw, db):
    """torch's batch-norm backward per channel, in float64 rounded once: with S = Σ g and
    D = Σ (x - μ) g, dw = D ρ and db = S; dx = (g - S / M - (x - μ) D ρ² / M) ρ w in
    training (μ and ρ the batch's), g ρ w in evaluation (the running ones). dx is skipped
    when it has no rows."""
    n, channels, length = x.shape
    count = n * length
    s = np.zeros(channels)
    d = np.zeros(channels)
    for i in range(n):
        for c in range(channels):
            if length == 1:
                s[c] += g[i, c, 0]
                d[c] += (x[i, c, 0] - float(mean[c])) * g[i, c, 0]
            else:
                row_s, row_d = _row_gradient_sums(g, x, i, c, float(mean[c]))
                s[c] += row_s
                d[c] += row_d
    for c in range(channels):
        dw[c] = d[c] * rstd[c]
        db[c] = s[c]
    if dx.shape[0] == 0:
        return
    # per channel, in training dx = (g - S / M - (x - μ) k) ρ w with k = D ρ² / M
    scale, shift, k = np.empty(channels), s / count, np.empty(channels)
    for c in range(channels):
        r = float(rstd[c])
        scale[c] = r * float(weight[c])
        k[c] = d[c] * r * r / count
    for i in range(n):
        if not training:
            for c in range(channels):
                for j in range(length):
                    dx[i, c, j] = g[i, c, j] * scale[c]
        elif length == 1:  # (N, C): along the channels
            for c in range(channels):
                centred = x[i, c, 0] - float(mean[c])
                dx[i, c, 0] = (g[i, c, 0] - shift[c] - centred * k[c]) * scale[c]
        else:
            for c in range(channels):
                mu, sc, sh, kc = float(mean[c]), scale[c], shift[c], k[c]
                for j in range(length):
                    dx[i, c, j] = (g[i, c, j] - sh - (x[i, c, j] - mu) * kc) * sc


# ---------------------------------------------------------------- group_norm
# An (N, C, *) input seen as (N, G, D, L): G groups of D = C / G channels of L elements.
# stats[n, g] holds the group's mean μ and ρ = 1/√(σ² + eps), in x's dtype, as torch keeps
# them: μ and σ² (biased) summed in float64 and rounded once, ρ computed in float64 from the
# rounded σ² and rounded (a group without elements: μ = 0 and ρ = nan, as torch's).

_NGDL = "T[:, :, :, ::1]"
_NG2 = "T[:, :, ::1]"


@njit(cache=True, nogil=True, error_model="numpy")
def _group_stats(x, n, g, eps, stats):
    """stats[n, g] = (μ, ρ) of group g of sample n (ρ = ∞ for σ² + eps = 0)."""
    channels, length = x.shape[2], x.shape[3]
    count = channels * length
    if count == 0:
        stats[n, g, 0] = 0.0
        stats[n, g, 1] = np.nan
        return
    total = 0.0
    for d in range(channels):
        for j in range(length):
            total += x[n, g, d, j]
    mean = total / count
    squares = 0.0
    for d in range(channels):
        for j in range(length):
            centred = x[n, g, d, j] - mean
            squares += centred * centred
    stats[n, g, 0] = mean
    stats[n, g, 1] = squares / count
    stats[n, g, 1] = 1.0 / math.sqrt(stats[n, g, 1] + eps)


@lazy_njit(_sigs(f"void({_NGDL}, float64, {_NG2})"))
def group_norm_stats(x, eps, stats):
    """stats of every group of every sample (the backward recomputes what the forward found)."""
    for n in range(x.shape[0]):
        for g in range(x.shape[1]):
            _group_stats(x, n, g, eps, stats)


@lazy_njit(
    _sigs(f"void({_NGDL}, T[:, ::1], T[:, ::1], boolean, float64, {_NG2}, {_NGDL})"),
)
def group_norm(x, weight, bias, affine, eps, stats, out):
    """Per group, in x's dtype in torch's order: out = x s + (b - s μ) per channel with
    s = ρ w when `affine` (a weight or a bias given), else (x - μ) ρ; fills stats. weight
    and bias are (G, D)."""
    samples, groups, channels, length = x.shape
    for n in range(samples):
        for g in range(groups):
            _group_stats(x, n, g, eps, stats)
            mean, rstd = stats[n, g, 0], stats[n, g, 1]
            for d in range(channels):
                if affine:
                    scale = rstd * weight[g, d]
                    shift = -scale * mean + bias[g, d]
                    for j in range(length):
                        out[n, g, d, j] = scale * x[n, g, d, j] + shift
                else:
                    for j in range(length):
                        out[n, g, d, j] = (x[n, g, d, j] - mean) * rstd


@lazy_njit(
    _sigs(f"void({_NGDL}, {_NGDL}, T[:, ::1], {_NG2}, {_NGDL}, float64[:, ::1], float64[:, ::1])"),
)
def group_norm_backward(g, x, weight, stats, dx, dw, db):
    """torch's group-norm backward, summed in float64 and rounded once: per channel c of
    sample n, S_c = Σ g x and B_c = Σ g; per group, with s = Σ_c S_c w_c and t = Σ_c B_c w_c,
    dx = ρ w g + b x + c where b = (t μ - s) ρ³ / M and c = -b μ - t ρ / M (M = D L);
    dw_c += (S_c - B_c μ) ρ and db_c += B_c over the samples (dw and db are (G, D) float64
    accumulators; dx is skipped when it has no samples)."""
    samples, groups, channels, length = x.shape
    count = channels * length
    for n in range(samples):
        for grp in range(groups):
            mean, rstd = float(stats[n, grp, 0]), float(stats[n, grp, 1])
            s = 0.0
            t = 0.0
            for d in range(channels):
                gx = 0.0
                gs = 0.0
                for j in range(length):
                    gx += g[n, grp, d, j] * float(x[n, grp, d, j])
                    gs += g[n, grp, d, j]
                s += gx * weight[grp, d]
                t += gs * weight[grp, d]
                dw[grp, d] += (gx - gs * mean) * rstd
                db[grp, d] += gs
            if dx.shape[0] == 0 or count == 0:
                continue
            b = (t * mean - s) * rstd * rstd * rstd / count
            c = -b * mean - t * rstd / count
            for d in range(channels):
                scale = rstd * weight[grp, d]
                for j in range(length):
                    dx[n, grp, d, j] = scale * float(g[n, grp, d, j]) + b * x[n, grp, d, j] + c


# ---------------------------------------------------------------- softmax and log_softmax

_3D = "T[:, :, ::1]"


@njit(cache=True, nogil=True)
def _line_max(x, a, b):
    """max x[a, :, b], nan if any is nan (so the result is nan, as torch's)."""
    m = -np.inf
    for i in range(x.shape[1]):
        if x[a, i, b] > m or math.isnan(x[a, i, b]):
            m = x[a, i, b]
    return m


@lazy_njit(_sigs(f"void({_3D}, {_3D})"))
def softmax(x, out):
    """out[a, :, b] = e^(x - m) / Σ e^(x - m), m = max x[a, :, b]; accumulated in float64."""
    n_a, n, n_b = x.shape
    for a in range(n_a):
        for b in range(n_b):
            m = _line_max(x, a, b)
            total = 0.0
            for i in range(n):
                e = math.exp(x[a, i, b] - m)
                out[a, i, b] = e
                total += e
            for i in range(n):
                out[a, i, b] = out[a, i, b] / total


@lazy_njit(_sigs(f"void({_3D}, {_3D})"))
def log_softmax(x, out):
    """out[a, :, b] = (x - m) - ln Σ e^(x - m), m = max x[a, :, b]; accumulated in float64."""
    n_a, n, n_b = x.shape
    for a in range(n_a):
        for b in range(n_b):
            m = _line_max(x, a, b)
            if math.isinf(m):  # all -inf (or +inf): torch's result is x - m
                for i in range(n):
                    out[a, i, b] = x[a, i, b] - m
                continue
            total = 0.0
            for i in range(n):
                total += math.exp(x[a, i, b] - m)
            log_total = math.log(total)
            for i in range(n):
                out[a, i, b] = (x[a, i, b] - m) - log_total


@lazy_njit(_sigs(f"void({_3D}, {_3D}, {_3D})"))
def softmax_backward(g, y, out):
    """out = y (g - Σ g y) over the middle axis (y the softmax)."""
    n_a, n, n_b = y.shape
    for a in range(n_a):
        for b in range(n_b):
            dot = 0.0
            for i in range(n):
                dot += g[a, i, b] * y[a, i, b]
            for i in range(n):
                out[a, i, b] = y[a, i, b] * (g[a, i, b] - dot)


@lazy_njit(_sigs(f"void({_3D}, {_3D}, {_3D})"))
def log_softmax_backward(g, y, out):
    """out = g - e^y Σ g over the middle axis (y the log-softmax)."""
    n_a, n, n_b = y.shape
    for a in range(n_a):
        for b in range(n_b):
            total = 0.0
            for i in range(n):
                total += g[a, i, b]
            for i in range(n):
                out[a, i, b] = g[a, i, b] - math.exp(y[a, i, b]) * total


# ---------------------------------------------------------------- nll_loss


@lazy_njit(_sigs("int64(T[:, ::1], int64[::1], T[::1], int64, T[::1])"))
def nll_loss(x, target, weight, ignore_index, losses):
    """losses[n] = -weight[target[n]] x[n, target[n]] (0 where target[n] = ignore_index).
    Returns the index of the first target outside [0, C), or -1 when all are valid."""
    n_rows, n_classes = x.shape
    for n in range(n_rows):
        t = target[n]
        if t == ignore_index:
            losses[n] = 0
            continue
        if t < 0 or t >= n_classes:
            return n
        losses[n] = -weight[t] * x[n, t]
    return -1


@lazy_njit(_sigs("void(T[::1], int64[::1], T[::1], int64, T[:, ::1])"))
def nll_loss_backward(g, target, weight, ignore_index, out):
    """out[n, target[n]] = -weight[target[n]] g[n] (out zero elsewhere and on ignored rows);
    `g` holds one upstream gradient per row, already scaled by the reduction."""
    for n in range(target.size):
        t = target[n]
        if t != ignore_index:
            out[n, t] = -weight[t] * g[n]


# ---------------------------------------------------------------- ctc_loss


@njit(cache=True, nogil=True)
def _prime(targets, start, s, blank):
    """The s-th label of the blank-interleaved target: blank at even s."""
    return blank if s % 2 == 0 else targets[start + s // 2]


@njit(cache=True, nogil=True)
def _log_add3(a, b, c, neginf, zero):
    """log(e^a + e^b + e^c) as torch's CPU ctc kernel computes it (the maximum, or 0 when
    all are -inf, subtracted)."""
    m = a
    if b > m:
        m = b
    if c > m:
        m = c
    if m == neginf:
        m = zero
    return math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m)) + m


@njit(cache=True, nogil=True)
def _ctc_alpha(lp, n, targets, start, length, steps, blank, alpha):
    """torch's log-alpha recursion for sample n over its first `steps` steps."""
    neginf = lp.dtype.type(-np.inf)
    alpha[0, :] = neginf
    alpha[0, 0] = lp[0, n, blank]
    if length > 0:
        alpha[0, 1] = lp[0, n, targets[start]]
    for t in range(1, steps):
        for s in range(2 * length + 1):
            label = _prime(targets, start, s, blank)
            a1 = alpha[t - 1, s]
            a2 = alpha[t - 1, s - 1] if s > 0 else neginf
            a3 = neginf
            if s > 1 and _prime(targets, start, s - 2, blank) != label:
                a3 = alpha[t - 1, s - 2]
            alpha[t, s] = _log_add3(a1, a2, a3, neginf, lp.dtype.type(0)) + lp[t, n, label]


@lazy_njit(
    _sigs("void(T[:, :, ::1], int64[::1], int64[::1], int64[::1], int64[::1], int64, T[::1])")
)
def ctc_loss(lp, targets, starts, input_lengths, target_lengths, blank, nll):
    """nll[n] = -log p(target n | its first input_lengths[n] steps), torch's CPU forward:
    the log-alpha recursion, then the log-sum of the last two alphas."""
    neginf = lp.dtype.type(-np.inf)
    longest = 0
    for n in range(target_lengths.size):
        longest = max(longest, target_lengths[n])
    alpha = np.empty((lp.shape[0], 2 * longest + 1), lp.dtype)
    for n in range(nll.size):
        steps, length = input_lengths[n], target_lengths[n]
        if steps == 0:  # no alignment; -0 for an empty target, as torch gives
            nll[n] = -lp.dtype.type(0) if length == 0 else lp.dtype.type(np.inf)
            continue
        _ctc_alpha(lp, n, targets, starts[n], length, steps, blank, alpha)
        if length == 0:
            nll[n] = -alpha[steps - 1, 0]
            continue
        l1, l2 = alpha[steps - 1, 2 * length], alpha[steps - 1, 2 * length - 1]
        m = max(l1, l2)
        if m == neginf:
            m = lp.dtype.type(0)
        nll[n] = -(math.log(math.exp(l1 - m) + math.exp(l2 - m)) + m)


@lazy_njit(
    _sigs(
        "void(T[:, :, ::1], int64[::1], int64[::1], int64[::1], int64[::1], int64, T[::1], "
        "T[::1], boolean, T[:, :, ::1])"
    )
)
def ctc_loss_backward(
    lp, targets, starts, input_lengths, target_lengths, blank, nll, g, zero_infinity, out
):
    """torch's CPU ctc_loss backward into `out` (zeros): per sample, log-alpha and log-beta,
    Σ αβ per label in log space, then (exp(lp) - exp(Σ + nll - lp)) g[n] over its steps."""
    neginf = lp.dtype.type(-np.inf)
    longest = 0
    for n in range(target_lengths.size):
        longest = max(longest, target_lengths[n])
    alpha = np.empty((lp.shape[0], 2 * longest + 1), lp.dtype)
    beta = np.empty((lp.shape[0], 2 * longest + 1), lp.dtype)
    collected = np.empty((lp.shape[0], lp.shape[2]), lp.dtype)
    for n in range(nll.size):
        steps, length, start = input_lengths[n], target_lengths[n], starts[n]
        if (zero_infinity and nll[n] == np.inf) or steps == 0:
            continue
        _ctc_alpha(lp, n, targets, start, length, steps, blank, alpha)
        beta[:, :] = neginf
        collected[:, :] = neginf
        last = steps - 1
        beta[last, 2 * length] = lp[last, n, blank]
        collected[last, blank] = alpha[last, 2 * length] + beta[last, 2 * length]
        if length > 0:
            label = _prime(targets, start, 2 * length - 1, blank)
            beta[last, 2 * length - 1] = lp[last, n, label]
            collected[last, label] = alpha[last, 2 * length - 1] + beta[last, 2 * length - 1]
        for t in range(steps - 2, -1, -1):
            for s in range(2 * length, -1, -1):
                label = _prime(targets, start, s, blank)
                b1 = beta[t + 1, s]
                b2 = beta[t + 1, s + 1] if s < 2 * length else neginf
                b3 = neginf
                if s < 2 * length - 1 and _prime(targets, start, s + 2, blank) != label:
                    b3 = beta[t + 1, s + 2]
                beta[t, s] = _log_add3(b1, b2, b3, neginf, lp.dtype.type(0)) + lp[t, n, label]
                both = alpha[t, s] + beta[t, s]
                total = collected[t, label]
                if total == neginf:
                    collected[t, label] = both
                else:
                    m = max(total, both)
                    collected[t, label] = math.log(math.exp(total - m) + math.exp(both - m)) + m
        for t in range(steps):
            for c in range(lp.shape[2]):
                x = lp[t, n, c]
                out[t, n, c] = (math.exp(x) - math.exp(collected[t, c] + nll[n] - x)) * g[n]


# ---------------------------------------------------------------- multilabel_margin_loss


@njit(cache=True, nogil=True)
def _mark_targets(target_row, is_target):
    """is_target[c] true for each class c of the row before its first negative value."""
    is_target[:] = False
    for k in range(target_row.size):
        if target_row[k] < 0:
            break
        is_target[target_row[k]] = True


@lazy_njit(_sigs("float64(T[:, ::1], int64[:, ::1], T[::1])"))
def multilabel_margin_loss(x, target, sums):
    """sums[n] = Σ_j Σ_{d not a target} max(0, 1 - x[n, j] + x[n, d]) over the targets j of
    row n (those before its first negative value), each term in the dtype, summed in
    float64 and rounded to the dtype, as torch's loop sums. Returns Σ_n sums[n] in float64
    (torch's reduced sum, in order)."""
    n_rows, dim = x.shape
    one = x.dtype.type(1)
    is_target = np.zeros(dim, np.bool_)
    total = 0.0
    for n in range(n_rows):
        _mark_targets(target[n], is_target)
        row = 0.0
        for k in range(dim):
            j = target[n, k]
            if j < 0:
                break
            for d in range(dim):
                if not is_target[d]:
                    z = one - x[n, j] + x[n, d]
                    if z > 0:
                        row += z
        sums[n] = row
        total += sums[n]
    return total


@lazy_njit(_sigs("void(T[:, ::1], int64[:, ::1], T, T[:, ::1])"))
def multilabel_margin_loss_backward(x, target, step, out):
    """torch's multilabel_margin_loss_backward into a zeroed `out`: for each target j and
    non-target d of a row (in torch's order) with 1 - x[j] + x[d] > 0, out[j] -= step and
    out[d] += step."""
    n_rows, dim = x.shape
    one = x.dtype.type(1)
    is_target = np.zeros(dim, np.bool_)
    for n in range(n_rows):
        _mark_targets(target[n], is_target)
        for k in range(dim):
            j = target[n, k]
            if j < 0:
                break
            for d in range(dim):
                if not is_target[d] and one - x[n, j] + x[n, d] > 0:
                    out[n, j] -= step
                    out[n, d] += step


# ---------------------------------------------------------------- embedding


@lazy_njit(
    _sigs("int64(T[:, ::1], int64[::1], T[:, ::1])", ("float32", "float64", "int64", "boolean")),
)
def embedding(weight, indices, out):
    """out[i, :] = weight[indices[i], :]. Returns the position of the first index outside
    [0, num_embeddings), or -1 when all are valid."""
    n_rows = weight.shape[0]
    for i in range(indices.size):
        k = indices[i]
        if k < 0 or k >= n_rows:
            return i
        out[i, :] = weight[k, :]
    return -1


@lazy_njit(
    _sigs(
        "void(T[:, ::1], int64[::1], int64[::1], int64[::1], T[::1], boolean, boolean, int64, "
        "int64, T[:, ::1], int64[:, ::1])"
    )
)
def embedding_bag(
    weight, indices, starts, ends, sample_weights, weighted, fused, mode, padding_idx, out, arg
):
    """Into a zeroed `out` and an `arg` of -1s: per bag b, the rows weight[indices[k]] for k
    in [starts[b], ends[b]) whose index is not padding_idx, summed in order (times
    sample_weights[k] when weighted, fused into one rounding when `fused`), then for mode 1
    divided by their count; for mode 2 their elementwise max instead (the first of equal
    values; a later value replaces it only when greater), its row index in arg[b, d]."""
    dim = weight.shape[1]
    for b in range(starts.size):
        count = 0
        for k in range(starts[b], ends[b]):
            j = indices[k]
            if j == padding_idx:
                continue
            if mode == 2:
                for d in range(dim):
                    if count == 0 or weight[j, d] > out[b, d]:
                        out[b, d] = weight[j, d]
                        arg[b, d] = j
            elif weighted and fused:
                for d in range(dim):
                    out[b, d] = fma(sample_weights[k], weight[j, d], out[b, d])
            elif weighted:
                for d in range(dim):
                    out[b, d] = out[b, d] + sample_weights[k] * weight[j, d]
            else:
                for d in range(dim):
                    out[b, d] += weight[j, d]
            count += 1
        if mode == 1 and count > 0:
            size = out.dtype.type(count)
            for d in range(dim):
                out[b, d] /= size


@lazy_njit(
    _sigs(
        "void(T[:, ::1], int64[::1], int64[::1], int64[::1], T[::1], boolean, boolean, int64, "
        "boolean, int64[::1], T[:, ::1])"
    )
)
def embedding_bag_backward(
    g, indices, starts, ends, sample_weights, weighted, mean, padding_idx, by_freq, freq, out
):
    """torch's _embedding_bag_dense_backward (sum and mean) into a zeroed `out`: for each k
    of bag b in order whose index j is not padding_idx, out[j] += s g[b], s = 1 (or
    sample_weights[k]), divided by freq[j] with `by_freq`, by the bag's count of rows for a
    mean."""
    one = out.dtype.type(1)
    for b in range(starts.size):
        size = 0
        for k in range(starts[b], ends[b]):
            size += indices[k] != padding_idx
        for k in range(starts[b], ends[b]):
            j = indices[k]
            if j == padding_idx:
                continue
            scale = sample_weights[k] if weighted else one
            if by_freq:
                scale = scale / out.dtype.type(freq[j])
            if mean:
                scale = scale / out.dtype.type(size)
            for d in range(out.shape[1]):
                out[j, d] += scale * g[b, d]


@lazy_njit(_sigs("void(T[:, ::1], T[:, ::1], int64[::1], int64[::1], int64[::1], int64, T[::1])"))
def embedding_bag_sample_weights_backward(g, weight, indices, starts, ends, padding_idx, out):
    """Into a zeroed `out`: out[k] = g[b] · weight[indices[k]] for each k of bag b whose index
    is not padding_idx."""
    for b in range(starts.size):
        for k in range(starts[b], ends[b]):
            j = indices[k]
            if j == padding_idx:
                continue
            total = out.dtype.type(0)
            for d in range(weight.shape[1]):
                total += g[b, d] * weight[j, d]
            out[k] = total


@lazy_njit(_sigs("void(T[:, ::1], int64[::1], int64, boolean, T[:, ::1])"))
def embedding_backward(g, indices, padding_idx, scale_grad_by_freq, out):
    """torch's embedding_dense_backward into a zeroed `out`: for each i in order whose
    index k = indices[i] is not padding_idx, out[k] = fma(g[i], s, out[k]) with s = 1, or
    1 / (the count of k in indices) rounded to the dtype with scale_grad_by_freq."""
    counts = np.zeros(out.shape[0], np.int64)
    if scale_grad_by_freq:
        for i in range(indices.size):
            counts[indices[i]] += 1
    for i in range(indices.size):
        k = indices[i]
        if k == padding_idx:
            continue
        if scale_grad_by_freq:
            s = out.dtype.type(1.0 / counts[k])
            for j in range(out.shape[1]):
                out[k, j] = fma(g[i, j], s, out[k, j])
        else:
            for j in range(out.shape[1]):
                out[k, j] += g[i, j]


# ---------------------------------------------------------------- convolution
# im2col and its adjoint col2im over three spatial dims (D, H, W): 1-d and 2-d convolutions
# arrive with leading spatial dims of 1 (kernel 1, stride 1, no padding, dilation 1). The
# columns are laid out (N, groups, rows, positions): row (c, a, b, e) of channel c within its
# group and kernel tap (a, b, e), position (i, j, k) of the output, so that the products with
# each group's (O/groups, rows) weight, one BLAS call per sample and group, land in the
# output's own (N, O, positions) layout.

_X5 = "T[:, :, :, :, ::1]"
_COLS = "T[:, :, :, ::1]"
_GEOMETRY = "int64[::1], int64[::1], int64[::1], int64[::1], int64[::1]"


_u = np.uintp  # an index Numba knows is not negative: no wraparound check, so loops vectorize


@njit(cache=True, nogil=True)
def _valid_range(size, length, step, offset):
    """The k in [0, length) whose k·step + offset falls in [0, size): [lo, hi)."""
    lo = 0 if offset >= 0 else (step - 1 - offset) // step
    hi = (size - offset + step - 1) // step if size > offset else 0
    hi = min(hi, length)
    return min(lo, hi), hi


@lazy_njit(
    _sigs(f"void({_X5}, {_GEOMETRY}, {_COLS})", ("float32", "float64", "int64")),
)
def im2col(x, kernel, out_size, stride, padding, dilation, cols):
    """cols[n, g, (c, a, b, e), (i, j, k)] = x[n, g·Cg + c, i·sd - pd + a·dd, j·sh - ph + b·dh,
    k·sw - pw + e·dw], 0 where that falls outside x (Cg = channels per group). Flat indices,
    so that each output row is a plain loop (a copy where sw = 1)."""
    n_batch, channels, depth, height, width = x.shape
    groups, rows = cols.shape[1], cols.shape[2]
    per_group = channels // groups
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    od, oh, ow = out_size[0], out_size[1], out_size[2]
    sw = stride[2]
    positions = od * oh * ow
    xf, cf = x.ravel(), cols.ravel()
    zero = cols.dtype.type(0)
    for n in range(n_batch):
        for c in range(channels):
            g = c // per_group
            plane = (n * channels + c) * depth * height * width
            for a in range(kd):
                for b in range(kh):
                    for e in range(kw):
                        row = (((c - g * per_group) * kd + a) * kh + b) * kw + e
                        start = ((n * groups + g) * rows + row) * positions
                        offset = e * dilation[2] - padding[2]
                        lo, hi = _valid_range(width, ow, sw, offset)
                        for i in range(od):
                            z = i * stride[0] - padding[0] + a * dilation[0]
                            for j in range(oh):
                                y = j * stride[1] - padding[1] + b * dilation[1]
                                d = start + (i * oh + j) * ow
                                if z < 0 or z >= depth or y < 0 or y >= height:
                                    for k in range(ow):
                                        cf[_u(d + k)] = zero
                                    continue
                                src = plane + (z * height + y) * width + offset
                                for k in range(lo):
                                    cf[_u(d + k)] = zero
                                if sw == 1:
                                    for k in range(lo, hi):
                                        cf[_u(d + k)] = xf[_u(src + k)]
                                else:
                                    for k in range(lo, hi):
                                        cf[_u(d + k)] = xf[_u(src + k * sw)]
                                for k in range(hi, ow):
                                    cf[_u(d + k)] = zero


@lazy_njit(
    _sigs(f"void({_COLS}, {_GEOMETRY}, {_X5})", ("float32", "float64", "int64")),
)
def col2im(cols, kernel, out_size, stride, padding, dilation, dx):
    """The adjoint of im2col into a zeroed dx: each column element added to the input
    element it was read from (none for the padding), in im2col's order."""
    n_batch, channels, depth, height, width = dx.shape
    groups, rows = cols.shape[1], cols.shape[2]
    per_group = channels // groups
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    od, oh, ow = out_size[0], out_size[1], out_size[2]
    sw = stride[2]
    positions = od * oh * ow
    df, cf = dx.ravel(), cols.ravel()
    for n in range(n_batch):
        for c in range(channels):
            g = c // per_group
            plane = (n * channels + c) * depth * height * width
            for a in range(kd):
                for b in range(kh):
                    for e in range(kw):
                        row = (((c - g * per_group) * kd + a) * kh + b) * kw + e
                        start = ((n * groups + g) * rows + row) * positions
                        offset = e * dilation[2] - padding[2]
                        lo, hi = _valid_range(width, ow, sw, offset)
                        for i in range(od):
                            z = i * stride[0] - padding[0] + a * dilation[0]
                            if z < 0 or z >= depth:
                                continue
                            for j in range(oh):
                                y = j * stride[1] - padding[1] + b * dilation[1]
                                if y < 0 or y >= height:
                                    continue
                                d = start + (i * oh + j) * ow
                                dst = plane + (z * height + y) * width + offset
                                if sw == 1:
                                    for k in range(lo, hi):
                                        df[_u(dst + k)] += cf[_u(d + k)]
                                else:
                                    for k in range(lo, hi):
                                        df[_u(dst + k * sw)] += cf[_u(d + k)]


@lazy_njit(_sigs("void(T[:, :, ::1], float64[::1])"))
def conv_bias_grad(g, out):
    """out[o] += Σ g[n, o, l] over the batch and the positions, in float64 (four running
    sums a row, so that the additions overlap)."""
    n_batch, channels, positions = g.shape
    gf = g.ravel()
    quads = positions // 4 * 4
    for n in range(n_batch):
        for o in range(channels):
            start = (n * channels + o) * positions
            s0 = s1 = s2 = s3 = 0.0
            for k in range(0, quads, 4):
                s0 += gf[_u(start + k)]
                s1 += gf[_u(start + k + 1)]
                s2 += gf[_u(start + k + 2)]
                s3 += gf[_u(start + k + 3)]
            for k in range(quads, positions):
                s0 += gf[_u(start + k)]
            out[o] += (s0 + s1) + (s2 + s3)


# ---------------------------------------------------------------- max and average pooling
# Volumes (P, D, H, W), P = N·C, C-contiguous (a 2-d pooling's have D = 1); `kernel`, `stride`,
# `padding` and `dilation` hold their (D, H, W) values. Each output element from its window,
# in torch's CPU kernels' order (cpu_max_pool, cpu_avg_pool, avg_pool3d_out_frame and their
# backward).

_PLANES = "T[:, :, ::1]"
_VOLUMES = "T[:, :, :, ::1]"
_TRIPLE = "int64[::1]"


@njit(inline="always")
def _dilated_window(o, kernel, stride, pad, dilation, size):
    """cpu_max_pool's window along one dim: [start, stop) by dilation, its start moved past
    the padding."""
    start = o * stride - pad
    stop = min(start + (kernel - 1) * dilation + 1, size)
    while start < 0:
        start += dilation
    return start, stop


@lazy_njit(
    _sigs(
        f"void({_VOLUMES}, {_TRIPLE}, {_TRIPLE}, {_TRIPLE}, {_TRIPLE}, {_VOLUMES}, "
        "int64[:, :, :, ::1])",
        _WITH_INTS,
    ),
)
def max_pool(x, kernel, stride, padding, dilation, out, indices):
    """out = the largest element of each window (nan wins, the last nan), indices its
    (d·H + h)·W + w (the first of ties). Windows are never empty (torch's padding check)."""
    planes, depth, height, width = x.shape
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    sd, sh, sw = stride[0], stride[1], stride[2]
    pd, ph, pw = padding[0], padding[1], padding[2]
    ld, lh, lw = dilation[0], dilation[1], dilation[2]
    xf = x.ravel()
    for p in range(planes):
        base = p * depth * height * width
        for i in range(out.shape[1]):
            d0, d1 = _dilated_window(i, kd, sd, pd, ld, depth)
            for j in range(out.shape[2]):
                h0, h1 = _dilated_window(j, kh, sh, ph, lh, height)
                for k in range(out.shape[3]):
                    w0, w1 = _dilated_window(k, kw, sw, pw, lw, width)
                    where = (d0 * height + h0) * width + w0
                    best = xf[_u(base + where)]  # what beats torch's -inf first (or nan)
                    for d in range(d0, d1, ld):
                        for h in range(h0, h1, lh):
                            row = (d * height + h) * width
                            for w in range(w0, w1, lw):
                                v = xf[_u(base + row + w)]
                                if v > best or v != v:
                                    best = v
                                    where = row + w
                    out[p, i, j, k] = best
                    indices[p, i, j, k] = where


@lazy_njit(_sigs("void(T[:, ::1], int64[:, ::1], T[:, ::1])"))
def max_pool_backward(g, indices, dx):
    """dx[p, indices[p, m]] += g[p, m] into a zeroed dx, outputs in order: the backward of
    every max pooling (each plane's outputs and inputs flattened)."""
    for p in range(g.shape[0]):
        for m in range(g.shape[1]):
            dx[p, indices[p, m]] += g[p, m]


@lazy_njit(_sigs("int64(T[:, ::1], int64[:, ::1], T[:, ::1])"))
def max_unpool(x, indices, out):
    """out[p, indices[p, m]] = x[p, m] into a zeroed out, in order (the last of repeated
    indices wins): max_pool_backward's placement without the sum. Returns -1, or the flat
    position p·M + m of the first index outside its plane (torch's error, nothing placed
    after it)."""
    size = out.shape[1]
    for p in range(x.shape[0]):
        for m in range(x.shape[1]):
            k = indices[p, m]
            if k < 0 or k >= size:
                return p * x.shape[1] + m
            out[p, k] = x[p, m]
    return -1


@njit(inline="always")
def _avg_span(o, kernel, stride, pad, size):
    """cpu_avg_pool's window along one dim: [start, stop) within the input, and its length
    counting the padding."""
    start = o * stride - pad
    stop = min(start + kernel, size + pad)
    return max(start, 0), min(stop, size), stop - start


@njit(inline="always")
def _avg_factor(d0, d1, padded_d, h0, h1, padded_h, w0, w1, padded_w, include_pad, divisor):
    """cpu_avg_pool's divide factor of a window (0: the window is empty)."""
    if d0 >= d1 or h0 >= h1 or w0 >= w1:
        return 0
    if divisor != 0:
        return divisor
    if include_pad:
        return padded_d * padded_h * padded_w
    return (d1 - d0) * (h1 - h0) * (w1 - w0)


@lazy_njit(
    _sigs(
        f"void({_VOLUMES}, {_TRIPLE}, {_TRIPLE}, {_TRIPLE}, boolean, int64, boolean, {_VOLUMES})",
        _WITH_INTS,
    ),
)
def avg_pool(x, kernel, stride, padding, include_pad, divisor, integral, out):
    """out = each window's sum, in x's dtype in the window's order, divided by its factor
    (divisor when not 0); an integer sum divided truncating, as C++ divides."""
    zero = x.dtype.type(0)
    planes, depth, height, width = x.shape
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    sd, sh, sw = stride[0], stride[1], stride[2]
    pd, ph, pw = padding[0], padding[1], padding[2]
    xf = x.ravel()
    for p in range(planes):
        base = p * depth * height * width
        for i in range(out.shape[1]):
            d0, d1, padded_d = _avg_span(i, kd, sd, pd, depth)
            for j in range(out.shape[2]):
                h0, h1, padded_h = _avg_span(j, kh, sh, ph, height)
                for k in range(out.shape[3]):
                    w0, w1, padded_w = _avg_span(k, kw, sw, pw, width)
                    factor = _avg_factor(
                        d0, d1, padded_d, h0, h1, padded_h, w0, w1, padded_w, include_pad, divisor
                    )
                    if factor == 0:
                        out[p, i, j, k] = zero
                        continue
                    total = zero
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            row = base + (d * height + h) * width
                            for w in range(w0, w1):
                                total += xf[_u(row + w)]
                    if integral:
                        q = abs(total) // abs(factor)
                        out[p, i, j, k] = q if (total < 0) == (factor < 0) else -q
                    else:  # added to torch's zeroed output: a -0 quotient is +0
                        out[p, i, j, k] = zero + total / x.dtype.type(factor)


@lazy_njit(
    _sigs(f"void({_VOLUMES}, {_TRIPLE}, {_TRIPLE}, {_TRIPLE}, boolean, int64, {_VOLUMES})"),
)
def avg_pool_backward(g, kernel, stride, padding, include_pad, divisor, dx):
    """Each output gradient divided by its window's factor, added to the window's elements
    (dx zeroed)."""
    planes, depth, height, width = dx.shape
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    sd, sh, sw = stride[0], stride[1], stride[2]
    pd, ph, pw = padding[0], padding[1], padding[2]
    dxf = dx.ravel()
    for p in range(planes):
        base = p * depth * height * width
        for i in range(g.shape[1]):
            d0, d1, padded_d = _avg_span(i, kd, sd, pd, depth)
            for j in range(g.shape[2]):
                h0, h1, padded_h = _avg_span(j, kh, sh, ph, height)
                for k in range(g.shape[3]):
                    w0, w1, padded_w = _avg_span(k, kw, sw, pw, width)
                    factor = _avg_factor(
                        d0, d1, padded_d, h0, h1, padded_h, w0, w1, padded_w, include_pad, divisor
                    )
                    if factor == 0:
                        continue
                    delta = g[p, i, j, k] / g.dtype.type(factor)
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            row = base + (d * height + h) * width
                            for w in range(w0, w1):
                                dxf[_u(row + w)] += delta


# ---------------------------------------------------------------- upsampling

_INDEX = "int64[::1]"


@lazy_njit(_sigs(f"void({_VOLUMES}, {_INDEX}, {_INDEX}, {_INDEX}, {_VOLUMES})"))
def upsample_nearest(x, d, h, w, out):
    """out[p, i, j, k] = x[p, d[i], h[j], w[k]]."""
    for p in range(out.shape[0]):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                for k in range(out.shape[3]):
                    out[p, i, j, k] = x[p, d[i], h[j], w[k]]


@lazy_njit(_sigs(f"void({_VOLUMES}, {_INDEX}, {_INDEX}, {_INDEX}, {_VOLUMES})"))
def upsample_nearest_backward(g, d, h, w, dx):
    """dx (zeroed)[p, d[i], h[j], w[k]] += g[p, i, j, k], outputs in order."""
    for p in range(g.shape[0]):
        for i in range(g.shape[1]):
            for j in range(g.shape[2]):
                for k in range(g.shape[3]):
                    dx[p, d[i], h[j], w[k]] += g[p, i, j, k]


_BLEND = "int64[::1], int64[::1], T[::1], T[::1]"


@lazy_njit(_sigs("void(T, T[::1])"))
def half_pixel_sources(step, source):
    """source[i] = max(fma(step, i + 0.5, -0.5), 0): torch's area_pixel_compute_source_index
    without align_corners, as its compiler fuses it."""
    half, zero = source.dtype.type(0.5), source.dtype.type(0)
    for i in range(source.shape[0]):
        source[i] = max(fma(step, source.dtype.type(i) + half, -half), zero)


@lazy_njit(_sigs(f"void(T, int64, boolean, {_BLEND})"))
def linear_neighbours(step, in_size, align_corners, first, second, near, far):
    """Output i's two source indices and weights: torch's area_pixel_compute_source_index and
    guard_index_and_lambda as its compiler fuses them. The source is fma(step, i + 0.5, -0.5)
    clamped at 0 (align_corners: step i); first = min(floorf(source), size - 1), second the
    next unless first is the last; far = clamp(source - first, 0, 1), near = 1 - far."""
    one, half = near.dtype.type(1), near.dtype.type(0.5)
    for i in range(first.shape[0]):
        if align_corners:
            source = step * near.dtype.type(i)
        else:
            source = max(fma(step, near.dtype.type(i) + half, -half), near.dtype.type(0))
        index = min(math.floor(np.float32(source)), in_size - 1)
        lam = min(max(source - near.dtype.type(index), near.dtype.type(0)), one)
        first[i], second[i] = index, index + (1 if index < in_size - 1 else 0)
        near[i], far[i] = one - lam, lam


@lazy_njit(_sigs(f"void(T[:, ::1], {_BLEND}, T[:, ::1])"))
def upsample_linear1d(x, w0, w1, wl0, wl1, out):
    """out[p, j] = fma(x[p, w0[j]], wl0[j], x[p, w1[j]]·wl1[j]), torch's generic kernel."""
    for p in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[p, j] = fma(x[p, w0[j]], wl0[j], x[p, w1[j]] * wl1[j])


@lazy_njit(_sigs(f"void(T[:, ::1], {_BLEND}, T[:, ::1])"))
def upsample_linear1d_backward(g, w0, w1, wl0, wl1, dx):
    """dx (zeroed) += wl·g[p, j] at both neighbours, fused, outputs in order."""
    for p in range(g.shape[0]):
        for j in range(g.shape[1]):
            dx[p, w0[j]] = fma(wl0[j], g[p, j], dx[p, w0[j]])
            dx[p, w1[j]] = fma(wl1[j], g[p, j], dx[p, w1[j]])


@lazy_njit(
    _sigs(f"void({_PLANES}, {_BLEND}, {_BLEND}, boolean, int64, int64, {_PLANES})"),
)
def upsample_bilinear2d(x, h0, h1, hl0, hl1, w0, w1, wl0, wl1, summed, channels, lanes, out):
    """out[p, i, j] blends x[p] at rows h0[i], h1[i] (weights hl0, hl1) and columns w0[j],
    w1[j] (wl0, wl1) with torch's fused multiply-adds. Summed (its channels-last kernel):
    the four products x_rc·(hl_r·wl_c) of w_rc = hl_r·wl_c; the channels its vectors of
    `lanes` cover (all but channels % lanes) as fma(x00, w00, fma(x01, w01, fma(x11, w11,
    x10·w10))), the rest as fma(x11, w11, fma(x10, w10, fma(x00, w00, x01·w01))). Else (its
    generic kernel) the column blends of the two rows, fma(x_r0, wl0, x_r1·wl1), blended by
    fma(top, hl0, bottom·hl1)."""
    vectorized = channels - channels % lanes
    for p in range(out.shape[0]):
        for i in range(out.shape[1]):
            a, b = h0[i], h1[i]
            for j in range(out.shape[2]):
                c, e = w0[j], w1[j]
                if summed:
                    w00, w01 = hl0[i] * wl0[j], hl0[i] * wl1[j]
                    w10, w11 = hl1[i] * wl0[j], hl1[i] * wl1[j]
                    if p % channels < vectorized:
                        total = fma(x[p, b, e], w11, x[p, b, c] * w10)
                        out[p, i, j] = fma(x[p, a, c], w00, fma(x[p, a, e], w01, total))
                    else:
                        total = fma(x[p, b, c], w10, fma(x[p, a, c], w00, x[p, a, e] * w01))
                        out[p, i, j] = fma(x[p, b, e], w11, total)
                else:
                    top = fma(x[p, a, c], wl0[j], x[p, a, e] * wl1[j])
                    bottom = fma(x[p, b, c], wl0[j], x[p, b, e] * wl1[j])
                    out[p, i, j] = fma(top, hl0[i], bottom * hl1[i])


@lazy_njit(_sigs(f"void({_PLANES}, {_BLEND}, {_BLEND}, {_PLANES})"))
def upsample_bilinear2d_backward(g, h0, h1, hl0, hl1, w0, w1, wl0, wl1, dx):
    """dx (zeroed) += (hl·wl)·g[p, i, j] at each of the four neighbours, fused, outputs in
    order."""
    for p in range(g.shape[0]):
        for i in range(g.shape[1]):
            a, b = h0[i], h1[i]
            for j in range(g.shape[2]):
                c, e = w0[j], w1[j]
                v = g[p, i, j]
                dx[p, a, c] = fma(hl0[i] * wl0[j], v, dx[p, a, c])
                dx[p, a, e] = fma(hl0[i] * wl1[j], v, dx[p, a, e])
                dx[p, b, c] = fma(hl1[i] * wl0[j], v, dx[p, b, c])
                dx[p, b, e] = fma(hl1[i] * wl1[j], v, dx[p, b, e])


@lazy_njit(_sigs(f"void({_VOLUMES}, {_BLEND}, {_BLEND}, {_BLEND}, {_VOLUMES})"))
def upsample_trilinear3d(x, d0, d1, dl0, dl1, h0, h1, hl0, hl1, w0, w1, wl0, wl1, out):
    """out[p, i, j, k] blends x[p]'s two-by-two-by-two neighbours as torch's generic kernel:
    each row's column blend fma(x_c0, wl0, x_c1·wl1), the rows' fma(r0, hl0, r1·hl1), the
    planes' fma(s0, dl0, s1·dl1)."""
    for p in range(out.shape[0]):
        for i in range(out.shape[1]):
            a, b = d0[i], d1[i]
            for j in range(out.shape[2]):
                c, e = h0[j], h1[j]
                for k in range(out.shape[3]):
                    f, q = w0[k], w1[k]
                    r00 = fma(x[p, a, c, f], wl0[k], x[p, a, c, q] * wl1[k])
                    r01 = fma(x[p, a, e, f], wl0[k], x[p, a, e, q] * wl1[k])
                    r10 = fma(x[p, b, c, f], wl0[k], x[p, b, c, q] * wl1[k])
                    r11 = fma(x[p, b, e, f], wl0[k], x[p, b, e, q] * wl1[k])
                    s0 = fma(r00, hl0[j], r01 * hl1[j])
                    s1 = fma(r10, hl0[j], r11 * hl1[j])
                    out[p, i, j, k] = fma(s0, dl0[i], s1 * dl1[i])


@lazy_njit(_sigs(f"void({_VOLUMES}, {_BLEND}, {_BLEND}, {_BLEND}, {_VOLUMES})"))
def upsample_trilinear3d_backward(g, d0, d1, dl0, dl1, h0, h1, hl0, hl1, w0, w1, wl0, wl1, dx):
    """dx (zeroed) += (dl·hl·wl)·g[p, i, j, k] at each of the eight neighbours, fused, outputs
    in order (torch's cpu_upsample_linear_backward)."""
    for p in range(g.shape[0]):
        for i in range(g.shape[1]):
            a, b = d0[i], d1[i]
            for j in range(g.shape[2]):
                c, e = h0[j], h1[j]
                for k in range(g.shape[3]):
                    f, q = w0[k], w1[k]
                    v = g[p, i, j, k]
                    dx[p, a, c, f] = fma(dl0[i] * hl0[j] * wl0[k], v, dx[p, a, c, f])
                    dx[p, a, c, q] = fma(dl0[i] * hl0[j] * wl1[k], v, dx[p, a, c, q])
                    dx[p, a, e, f] = fma(dl0[i] * hl1[j] * wl0[k], v, dx[p, a, e, f])
                    dx[p, a, e, q] = fma(dl0[i] * hl1[j] * wl1[k], v, dx[p, a, e, q])
                    dx[p, b, c, f] = fma(dl1[i] * hl0[j] * wl0[k], v, dx[p, b, c, f])
                    dx[p, b, c, q] = fma(dl1[i] * hl0[j] * wl1[k], v, dx[p, b, c, q])
                    dx[p, b, e, f] = fma(dl1[i] * hl1[j] * wl0[k], v, dx[p, b, e, f])
                    dx[p, b, e, q] = fma(dl1[i] * hl1[j] * wl1[k], v, dx[p, b, e, q])


_TAPS = "int64[:, ::1], T[:, ::1]"


@lazy_njit(_sigs(f"void(T, int64, boolean, boolean, {_TAPS})"))
def cubic_neighbours(step, in_size, align_corners, fused, index, weight):
    """Output i's four source indices (clamped to the input) and cubic convolution weights
    (A = -0.75), as torch's compute_indices_weights_cubic: the source step (i + 0.5) - 0.5
    (align_corners: step i), not clamped; first = min(floorf(source), size - 1),
    t = clamp(source - first, 0, 1); the taps first - 1 .. first + 2 weigh
    ((A x - 5A) x + 8A) x - 4A at x = t + 1 and 2 - t, ((A + 2) x - (A + 3)) x x + 1 at
    x = t and 1 - t. Fused: with the multiply-adds its forward kernel's compiler fuses;
    else each step rounded, as its backward's."""
    kind = weight.dtype.type
    one, half, zero = kind(1), kind(0.5), kind(0)
    near = (kind(1.25), kind(-2.25))
    far = (kind(-0.75), kind(3.75), kind(-6), kind(3))
    for i in range(index.shape[0]):
        if align_corners:
            source = step * kind(i)
        elif fused:
            source = fma(step, kind(i) + half, -half)
        else:
            source = step * (kind(i) + half) - half
        first = min(math.floor(np.float32(source)), in_size - 1)
        t = min(max(source - kind(first), zero), one)
        weight[i, 0] = _cubic_far(t + one, far, fused)
        weight[i, 1] = _cubic_near(t, near, one, fused)
        weight[i, 2] = _cubic_near(one - t, near, one, fused)
        weight[i, 3] = _cubic_far(one - t + one, far, fused)
        for tap in range(4):
            index[i, tap] = max(min(first - 1 + tap, in_size - 1), 0)


@njit(inline="always")
def _cubic_near(x, near, one, fused):
    """torch's cubic_convolution1 for A = -0.75, (1.25 x - 2.25) x x + 1: fused, its first
    step is fma(1.25, x, -2.25)."""
    inner = fma(near[0], x, near[1]) if fused else near[0] * x + near[1]
    return inner * x * x + one


@njit(inline="always")
def _cubic_far(x, far, fused):
    """torch's cubic_convolution2 for A = -0.75, ((-0.75 x + 3.75) x - 6) x + 3: fused, its
    first two steps are fma(fma(-0.75, x, 3.75), x, -6)."""
    if fused:
        return fma(fma(far[0], x, far[1]), x, far[2]) * x + far[3]
    return ((far[0] * x + far[1]) * x + far[2]) * x + far[3]


@lazy_njit(_sigs(f"void({_PLANES}, {_TAPS}, {_TAPS}, {_PLANES})"))
def upsample_bicubic2d(x, rows, row_weight, cols, col_weight, out):
    """out[p, i, j] = the blend by row_weight[i] of the blends by col_weight[j] of x[p]'s rows
    rows[i] at columns cols[j], torch's generic kernel: each blend of four as its compiler
    fuses it, fma(v3, w3, fma(v2, w2, fma(v0, w0, v1·w1)))."""
    for p in range(out.shape[0]):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                r0 = _cubic_row(x, p, rows[i, 0], cols, col_weight, j)
                r1 = _cubic_row(x, p, rows[i, 1], cols, col_weight, j)
                r2 = _cubic_row(x, p, rows[i, 2], cols, col_weight, j)
                r3 = _cubic_row(x, p, rows[i, 3], cols, col_weight, j)
                out[p, i, j] = _cubic_blend(r0, r1, r2, r3, row_weight, i)


@njit(inline="always")
def _cubic_row(x, p, row, cols, col_weight, j):
    v0, v1 = x[p, row, cols[j, 0]], x[p, row, cols[j, 1]]
    v2, v3 = x[p, row, cols[j, 2]], x[p, row, cols[j, 3]]
    return _cubic_blend(v0, v1, v2, v3, col_weight, j)


@njit(inline="always")
def _cubic_blend(v0, v1, v2, v3, weight, i):
    """fma(v3, w3, fma(v2, w2, fma(v0, w0, v1·w1))) with w = weight[i]."""
    total = fma(v0, weight[i, 0], v1 * weight[i, 1])
    return fma(v3, weight[i, 3], fma(v2, weight[i, 2], total))


@lazy_njit(_sigs(f"void({_PLANES}, {_TAPS}, {_TAPS}, {_PLANES})"))
def upsample_bicubic2d_backward(g, rows, row_weight, cols, col_weight, dx):
    """dx (zeroed)[p, rows[i, r], cols[j, c]] += g[p, i, j]·row_weight[i, r]·col_weight[j, c],
    outputs in order, columns outer and rows inner, as torch's backward."""
    for p in range(g.shape[0]):
        for i in range(g.shape[1]):
            for j in range(g.shape[2]):
                v = g[p, i, j]
                for c in range(4):
                    for r in range(4):
                        dx[p, rows[i, r], cols[j, c]] += v * row_weight[i, r] * col_weight[j, c]


@njit(inline="always")
def _adaptive_window(o, out_size, in_size):
    """torch's adaptive window [floor(o in / out), ceil((o + 1) in / out))."""
    return (o * in_size) // out_size, -((-(o + 1) * in_size) // out_size)


@lazy_njit(_sigs(f"void({_VOLUMES}, {_VOLUMES})"))
def adaptive_avg_pool(x, out):
    """out[p, i, j, k] = Σ of x[p] over depth window i, row window j and column window k,
    summed in x's dtype in the window's order, / kd / kh / kw: torch's cpu_adaptive_avg_pool
    (a 2-d pooling's kd is 1)."""
    planes, depth, height, width = x.shape
    for p in range(planes):
        for i in range(out.shape[1]):
            d0, d1 = _adaptive_window(i, out.shape[1], depth)
            for j in range(out.shape[2]):
                h0, h1 = _adaptive_window(j, out.shape[2], height)
                for k in range(out.shape[3]):
                    w0, w1 = _adaptive_window(k, out.shape[3], width)
                    total = x.dtype.type(0)
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                total += x[p, d, h, w]
                    cast = x.dtype.type
                    out[p, i, j, k] = total / cast(d1 - d0) / cast(h1 - h0) / cast(w1 - w0)


@lazy_njit(_sigs(f"void({_VOLUMES}, {_VOLUMES})"))
def adaptive_avg_pool_backward(g, dx):
    """dx (zeroed) += g[p, i, j, k] / kd / kh / kw over each window, windows in output
    order."""
    planes, depth, height, width = dx.shape
    for p in range(planes):
        for i in range(g.shape[1]):
            d0, d1 = _adaptive_window(i, g.shape[1], depth)
            for j in range(g.shape[2]):
                h0, h1 = _adaptive_window(j, g.shape[2], height)
                for k in range(g.shape[3]):
                    w0, w1 = _adaptive_window(k, g.shape[3], width)
                    cast = g.dtype.type
                    delta = g[p, i, j, k] / cast(d1 - d0) / cast(h1 - h0) / cast(w1 - w0)
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                dx[p, d, h, w] += delta


@lazy_njit(_sigs(f"void({_VOLUMES}, {_VOLUMES}, int64[:, :, :, ::1])"))
def adaptive_max_pool(x, out, indices):
    """out[p, i, j, k] = the largest element of x[p] over its depth, row and column windows
    (nan wins, the last nan; the first of ties), indices its (d·H + h)·W + w: torch's
    cpu_adaptive_max_pool, which starts from -inf at the window's first element."""
    planes, depth, height, width = x.shape
    for p in range(planes):
        for i in range(out.shape[1]):
            d0, d1 = _adaptive_window(i, out.shape[1], depth)
            for j in range(out.shape[2]):
                h0, h1 = _adaptive_window(j, out.shape[2], height)
                for k in range(out.shape[3]):
                    w0, w1 = _adaptive_window(k, out.shape[3], width)
                    best = -np.inf
                    where = (d0 * height + h0) * width + w0
                    for d in range(d0, d1):
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                v = x[p, d, h, w]
                                if v > best or v != v:
                                    best = v
                                    where = (d * height + h) * width + w
                    out[p, i, j, k] = best
                    indices[p, i, j, k] = where


@lazy_njit(
    _sigs(
        f"void({_VOLUMES}, int64[:, ::1], int64[:, ::1], int64[:, ::1], {_TRIPLE}, {_VOLUMES}, "
        "int64[:, :, :, ::1])"
    )
)
def fractional_max_pool(x, starts_d, starts_h, starts_w, kernel, out, indices):
    """out[p, i, j, k] = the largest element of x[p]'s kernel-sized window at (starts_d[p, i],
    starts_h[p, j], starts_w[p, k]) (nan wins, the last nan; the first of ties), indices its
    (d·H + h)·W + w: torch's fractional_max_pool{2,3}d_out_single_batch_frame, which starts
    from -inf at the window's first element (an empty window, kernel <= 0, keeps both)."""
    planes, height, width = x.shape[0], x.shape[2], x.shape[3]
    kd, kh, kw = kernel[0], kernel[1], kernel[2]
    for p in range(planes):
        for i in range(out.shape[1]):
            d0 = starts_d[p, i]
            for j in range(out.shape[2]):
                h0 = starts_h[p, j]
                for k in range(out.shape[3]):
                    w0 = starts_w[p, k]
                    best = -np.inf
                    where = (d0 * height + h0) * width + w0
                    for d in range(d0, d0 + kd):
                        for h in range(h0, h0 + kh):
                            for w in range(w0, w0 + kw):
                                v = x[p, d, h, w]
                                if v > best or v != v:
                                    best = v
                                    where = (d * height + h) * width + w
                    out[p, i, j, k] = best
                    indices[p, i, j, k] = where


# ---------------------------------------------------------------- optimizers

_1D = "T[::1]"


@njit(inline="always")
def _direction(grad, param, weight_decay, maximize):
    """torch.optim's update direction: d = ±grad, + weight_decay param (L2 weight decay, an
    add with alpha: one fused multiply-add) when weight_decay is non-zero."""
    d = -grad if maximize else grad
    return fma(param, weight_decay, d) if weight_decay != 0 else d


@njit(inline="always")
def _second_moment(v, d, beta2, one_minus_beta2):
    """Adam's v beta2 + (1 - beta2) d d (mul_ then addcmul_: one fused multiply-add)."""
    return fma(one_minus_beta2 * d, d, v * beta2)


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, T, T, T, T, boolean, boolean, boolean)"),
)
def sgd_step(
    param, grad, buf, neg_lr, momentum, one_minus_dampening, weight_decay, nesterov, maximize, first
):
    """One torch.optim.SGD step, in place on param (and buf, the momentum buffer, when
    momentum is non-zero; `buf` is empty otherwise):
        d = ±grad (+ weight_decay param)
        buf = d on the first step, else momentum buf + (1 - dampening) d
        d = d + momentum buf (nesterov), else buf
        param = param + (-lr) d
    Each `x + c y` is torch's `add(y, alpha=c)`, one fused multiply-add: the same bits.
    """
    use_momentum = buf.size > 0
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        if use_momentum:
            b = d if first else fma(d, one_minus_dampening, buf[i] * momentum)
            buf[i] = b
            d = fma(b, momentum, d) if nesterov else b
        param[i] = fma(d, neg_lr, param[i])


@njit(inline="always")
def _lerp(start, end, weight, one_minus_weight):
    """torch's lerp(start, end, weight), a fused multiply-add either way: start + w (end -
    start) for |w| < 0.5, else end - (end - start)(1 - w)."""
    if abs(weight) < 0.5:
        return fma(weight, end - start, start)
    return fma(start - end, one_minus_weight, end)


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, T, T, T, T, boolean, boolean)"),
)
def adam_step(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    weight_decay,
    decay,
    weight,
    one_minus_weight,
    beta2,
    one_minus_beta2,
    neg_step_size,
    bias_correction2_sqrt,
    eps,
    maximize,
    amsgrad,
):
    """One torch.optim.Adam step, in place on param, exp_avg, exp_avg_sq and (with amsgrad)
    max_exp_avg_sq (empty without):
        param = decay param (decoupled weight decay, AdamW: decay = 1 - lr weight_decay)
        d = ±grad (+ weight_decay param: L2 weight decay, 0 when decoupled)
        m = lerp(m, d, w), w = 1 - beta1: m + w (d - m) for w < 0.5, else d - (d - m)(1 - w)
        v = v beta2 + (1 - beta2) d d
        u = v, or with amsgrad u = v_max = maximum(v_max, v) (nan if either is, as torch's)
        param = param + (-step_size) m / (sqrt(u) / sqrt(bias_correction2) + eps)
    with step_size = lr / bias_correction1.
    """
    for i in range(param.size):
        p = param[i] if decay == 1 else param[i] * decay
        d = _direction(grad[i], p, weight_decay, maximize)
        m = exp_avg[i] = _lerp(exp_avg[i], d, weight, one_minus_weight)
        v = exp_avg_sq[i] = _second_moment(exp_avg_sq[i], d, beta2, one_minus_beta2)
        if amsgrad:
            v_max = max_exp_avg_sq[i]
            v = v_max if v_max != v_max or v_max >= v else v
            max_exp_avg_sq[i] = v
        denom = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + neg_step_size * m / denom


@lazy_njit(_sigs(f"void({_1D}, {_1D}, {_1D}, T, T, T, T, boolean)"))
def muon_momentum(
    grad, buf, update, weight, one_minus_weight, momentum, one_minus_momentum, nesterov
):
    """torch.optim.Muon's momentum, in place on buf, its update into `update`:
        buf = lerp(buf, grad, w), w = 1 - momentum
        update = lerp(grad, buf, momentum) (nesterov), else buf
    each lerp a fused multiply-add, as torch's."""
    for i in range(buf.size):
        b = buf[i] = _lerp(buf[i], grad[i], weight, one_minus_weight)
        update[i] = _lerp(grad[i], b, momentum, one_minus_momentum) if nesterov else b


@lazy_njit(["void(float32[:, ::1], float32[:, ::1], float32[:, ::1])"])
def bfloat16_matmul(a, b, out):
    """out = a b for bfloat16 values held in float32, summed as torch's bfloat16 matmul on a
    CPU with AVX512-BF16 sums them (oneDNN's dot products of pairs): per element, in float32,
    the products of k = 1, 0, 3, 2, ... (each pair's odd one first) added in turn. A product
    of two bfloat16 values is exact in float32."""
    k = a.shape[1]
    for i in range(a.shape[0]):
        row = out[i]
        row[:] = 0
        for pair in range(0, k, 2):
            for index in (pair + 1, pair):
                if index < k:
                    w = a[i, index]
                    for j in range(b.shape[1]):
                        row[j] += w * b[index, j]


@lazy_njit(_sigs(f"void({_1D}, {_1D}, T, T)"))
def muon_apply(param, update, decay, neg_lr):
    """torch.optim.Muon's last step, in place on param: param = decay param (mul_, decay =
    1 - lr weight_decay), then param + (-adjusted_lr) update (add_ with alpha: one fused
    multiply-add)."""
    for i in range(param.size):
        param[i] = fma(update[i], neg_lr, param[i] * decay)


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, T, T, boolean)"),
)
def rmsprop_step(
    param,
    grad,
    square_avg,
    momentum_buffer,
    grad_avg,
    neg_lr,
    alpha,
    weight,
    one_minus_weight,
    eps,
    weight_decay,
    momentum,
    maximize,
):
    """One torch.optim.RMSprop step, in place on param, square_avg and, when not empty,
    momentum_buffer (momentum > 0) and grad_avg (centered):
        d = ±grad (+ weight_decay param)
        v = alpha v + w d d, w = 1 - alpha
        g = lerp(g, d, w) (as Adam's m), avg = sqrt(v - g g) + eps (centered), else sqrt(v) + eps
        buf = momentum buf + d / avg, param = param + (-lr) buf (momentum), else
        param = param + (-lr) d / avg
    in torch's order and roundings (add with alpha, addcmul and lerp are fused multiply-adds,
    addcdiv is not).
    """
    centered = grad_avg.size > 0
    use_momentum = momentum_buffer.size > 0
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        v = fma(weight * d, d, square_avg[i] * alpha)
        square_avg[i] = v
        if centered:
            g = _lerp(grad_avg[i], d, weight, one_minus_weight)
            grad_avg[i] = g
            avg = math.sqrt(fma(-g, g, v)) + eps
        else:
            avg = math.sqrt(v) + eps
        if use_momentum:
            b = momentum_buffer[i] * momentum + d / avg
            momentum_buffer[i] = b
            param[i] = fma(b, neg_lr, param[i])
        else:
            param[i] = param[i] + neg_lr * d / avg


@lazy_njit(_sigs(f"void({_1D}, {_1D}, {_1D}, T, T, T, boolean)"))
def adagrad_step(param, grad, state_sum, neg_clr, eps, weight_decay, maximize):
    """One torch.optim.Adagrad step, in place on param and state_sum:
        d = ±grad (+ weight_decay param)
        sum = sum + d d
        param = param + (-clr) d / (sqrt(sum) + eps), clr = lr / (1 + (step - 1) lr_decay)
    (addcmul a fused multiply-add, addcdiv not).
    """
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        s = fma(d, d, state_sum[i])
        state_sum[i] = s
        param[i] = param[i] + neg_clr * d / (math.sqrt(s) + eps)


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, T, boolean)"),
)
def adamax_step(
    param,
    grad,
    exp_avg,
    exp_inf,
    neg_clr,
    weight,
    one_minus_weight,
    beta2,
    eps,
    weight_decay,
    maximize,
):
    """One torch.optim.Adamax step, in place on param, exp_avg and exp_inf:
        d = ±grad (+ weight_decay param)
        m = lerp(m, d, w), w = 1 - beta1 (as Adam's)
        u = maximum(beta2 u, |d| + eps) (nan if either is, as torch.maximum)
        param = param + (-clr) m / u, clr = lr / (1 - beta1^step)
    Products, quotients and fused multiply-adds only: torch's bits.
    """
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        m = _lerp(exp_avg[i], d, weight, one_minus_weight)
        exp_avg[i] = m
        decayed = exp_inf[i] * beta2
        norm = abs(d) + eps
        u = decayed if decayed != decayed or decayed >= norm else norm
        exp_inf[i] = u
        param[i] = param[i] + neg_clr * m / u


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, T, T, T, T, T, boolean)"),
)
def nadam_step(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    weight_decay,
    decay,
    weight,
    one_minus_weight,
    beta2,
    one_minus_beta2,
    bias_correction2,
    eps,
    grad_coef,
    exp_avg_coef,
    maximize,
):
    """One torch.optim.NAdam step, in place on param, exp_avg and exp_avg_sq:
        param = decay param (decoupled weight decay: decay = 1 - lr weight_decay)
        d = ±grad (+ weight_decay param: L2 weight decay, 0 when decoupled)
        m = lerp(m, d, w), w = 1 - beta1 (as Adam's); v = v beta2 + (1 - beta2) d d
        denom = sqrt(v / bias_correction2) + eps
        param = param + grad_coef d / denom, then param = param + exp_avg_coef m / denom
    with grad_coef = -lr (1 - mu_t) / (1 - mu_product), exp_avg_coef = -lr mu_{t+1} /
    (1 - mu_product mu_{t+1}) (two addcdivs, each rounded).
    """
    for i in range(param.size):
        p = param[i] if decay == 1 else param[i] * decay
        d = _direction(grad[i], p, weight_decay, maximize)
        m = exp_avg[i] = _lerp(exp_avg[i], d, weight, one_minus_weight)
        v = exp_avg_sq[i] = _second_moment(exp_avg_sq[i], d, beta2, one_minus_beta2)
        denom = math.sqrt(v / bias_correction2) + eps
        p = p + grad_coef * d / denom
        param[i] = p + exp_avg_coef * m / denom


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, T, T, T, T, T, T, boolean, boolean)"),
)
def radam_step(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    weight_decay,
    decay,
    weight,
    one_minus_weight,
    beta2,
    one_minus_beta2,
    bias_correction1,
    lr,
    bias_correction2_sqrt,
    eps,
    rect,
    maximize,
    rectify,
):
    """One torch.optim.RAdam step, in place on param, exp_avg and exp_avg_sq:
        param = decay param (decoupled weight decay: decay = 1 - lr weight_decay)
        d = ±grad (+ weight_decay param: L2 weight decay, 0 when decoupled)
        m = lerp(m, d, w), w = 1 - beta1 (as Adam's); v = v beta2 + (1 - beta2) d d
        u = (m / bias_correction1) lr
        u = u ((1 / (sqrt(v) + eps)) sqrt(bias_correction2)) rect when rectifying (rho_t > 5)
        param = param - u
    in torch's order (its `sqrt(bias_correction2) / t` is t's reciprocal times the number).
    """
    one = param.dtype.type(1)
    for i in range(param.size):
        p = param[i] if decay == 1 else param[i] * decay
        d = _direction(grad[i], p, weight_decay, maximize)
        m = exp_avg[i] = _lerp(exp_avg[i], d, weight, one_minus_weight)
        v = exp_avg_sq[i] = _second_moment(exp_avg_sq[i], d, beta2, one_minus_beta2)
        u = m / bias_correction1 * lr
        if rectify:
            u = u * (one / (math.sqrt(v) + eps) * bias_correction2_sqrt) * rect
        param[i] = p - u


@lazy_njit(_sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, boolean)"))
def rprop_step(
    param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize
):
    """One torch.optim.Rprop step, in place on param, prev and step_size:
        d = ±grad, s = sign(d prev) (0 for nan, as torch's sign)
        s = etaplus where s > 0, then etaminus where s < 0, then 1 where s == 0
        step_size = clamp(step_size s, step_size_min, step_size_max)
        d = 0 where s == etaminus
        param = param - sign(d) step_size, prev = d
    in torch's order, each comparison in the parameter's dtype.
    """
    one = param.dtype.type(1)
    zero = param.dtype.type(0)
    for i in range(param.size):
        d = -grad[i] if maximize else grad[i]
        product = d * prev[i]
        s = one if product > 0 else (-one if product < 0 else zero)
        if s > 0:
            s = etaplus
        if s < 0:
            s = etaminus
        if s == 0:
            s = one
        size = step_size[i] * s
        size = step_size_min if size < step_size_min else size
        size = step_size_max if size > step_size_max else size
        step_size[i] = size
        if s == etaminus:
            d = zero
        direction = one if d > 0 else (-one if d < 0 else zero)
        param[i] = fma(-direction, size, param[i])
        prev[i] = d


@lazy_njit(_sigs(f"void({_1D}, {_1D}, {_1D}, T, T, T, T, boolean, boolean)"))
def asgd_step(param, grad, ax, decay, neg_eta, weight_decay, mu, average, maximize):
    """One torch.optim.ASGD step, in place on param and ax:
        d = ±grad (+ weight_decay param)
        param = param (1 - lambd eta), then param + (-eta) d
        ax = ax + (param - ax) mu when mu != 1 (`average`), else param
    (add with alpha a fused multiply-add).
    """
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        p = fma(d, neg_eta, param[i] * decay)
        param[i] = p
        ax[i] = ax[i] + (p - ax[i]) * mu if average else p


@lazy_njit(
    _sigs(f"void({_1D}, {_1D}, {_1D}, {_1D}, T, T, T, T, T, boolean)"),
)
def adadelta_step(
    param, grad, square_avg, acc_delta, neg_lr, rho, weight, eps, weight_decay, maximize
):
    """One torch.optim.Adadelta step, in place on param, square_avg and acc_delta:
        d = ±grad (+ weight_decay param)
        v = rho v + w d d, w = 1 - rho
        delta = sqrt(acc_delta + eps) / sqrt(v + eps) d
        acc_delta = rho acc_delta + w delta delta
        param = param + (-lr) delta
    (addcmul and add with alpha fused multiply-adds).
    """
    for i in range(param.size):
        d = _direction(grad[i], param[i], weight_decay, maximize)
        v = fma(weight * d, d, square_avg[i] * rho)
        square_avg[i] = v
        delta = math.sqrt(acc_delta[i] + eps) / math.sqrt(v + eps) * d
        acc_delta[i] = fma(weight * delta, delta, acc_delta[i] * rho)
        param[i] = fma(delta, neg_lr, param[i])
