"""e^x on the hardest float32 inputs: every float32 x whose e^x lies within 2^-47 (relative)
of a midpoint between float32 neighbours (from a scan of all 2^32 inputs; the closest,
-0x1.d2259ap+3, within 2^-52.6), and inputs that a shorter polynomial in
`kernels._exp_reduced` rounded wrong. The expected bits are e^x correctly rounded, computed
with mpmath at 200 bits. `_exp_reduced` (float64, behind sigmoid) rounds to them exactly; the
float32 `exp` (ufunc contiguous and strided, and the scalar) is within 1 ulp of them."""

from __future__ import annotations

import numpy as np
from gradrpc.engine import kernels as K

# (bits of x, bits of e^x rounded to float32)
HARD = [
    (0x337FFFFE, 0x3F800000),
    (0x337FFFFF, 0x3F800000),
    (0x33800000, 0x3F800001),
    (0x343FFFFF, 0x3F800002),
    (0x34DFFFFD, 0x3F800004),
    (0x356FFFF9, 0x3F800008),
    (0x35F7FFF1, 0x3F800010),
    (0x367BFFE1, 0x3F800020),
    (0x36FDFFC1, 0x3F800040),
    (0x377EFF81, 0x3F800080),
    (0x37FE7F03, 0x3F8000FF),
    (0x383A3EF1, 0x3F800175),
    (0x38643E69, 0x3F8001C9),
    (0x38AD9E29, 0x3F8002B6),
    (0x38E69CC1, 0x3F80039A),
    (0x39C6BE5B, 0x3F800C6D),
    (0x39E5BB1D, 0x3F800E5D),
    (0x3A7BCD08, 0x3F801F7E),
    (0x3B18F346, 0x3F804C90),
    (0x3B8C972E, 0x3F808CE5),
    (0x3C608A0E, 0x3F81C42B),
    (0x3C971AAA, 0x3F826206),
    (0x3CAFFE2E, 0x3F82C797),
    (0x3D1A274E, 0x3F84E8BA),
    (0x3D7010DE, 0x3F87B9EC),
    (0x3DFB09D6, 0x3F90B12A),
    (0x3E777FEC, 0x3FA2FF20),
    (0x3ED3D2A2, 0x3FC1973F),
    (0x3F5BC24C, 0x4017016B),
    (0x3FA1D683, 0x40629CD4),
    (0x3FE67199, 0x40C1A7A6),
    (0x4001B249, 0x40F2CD14),
    (0x4016BD40, 0x4128A92B),
    (0x401B6C99, 0x41357866),
    (0x40315B33, 0x417FA47D),
    (0x4034D02B, 0x4186EA51),
    (0x408B904B, 0x429CBA56),
    (0x40A470E2, 0x432A81F0),
    (0x40DD70CB, 0x447D15B0),
    (0x412B7BB4, 0x47305BFC),
    (0x4178966E, 0x4AAAA231),
    (0x41CBF87B, 0x51DC50BE),
    (0x41F77C01, 0x55C62A65),
    (0x4283070F, 0x6EB71738),
    (0x4288942B, 0x70B7A4C5),
    (0x428A94C5, 0x7179E419),
    (0xB2FFFFFD, 0x3F800000),
    (0xB2FFFFFE, 0x3F800000),
    (0xB2FFFFFF, 0x3F800000),
    (0xB3000000, 0x3F800000),
    (0xB3000001, 0x3F7FFFFF),
    (0xB3000002, 0x3F7FFFFF),
    (0xB3C00000, 0x3F7FFFFF),
    (0xB3C00001, 0x3F7FFFFE),
    (0xB4200001, 0x3F7FFFFD),
    (0xB4600002, 0x3F7FFFFC),
    (0xB4B00002, 0x3F7FFFFA),
    (0xB5480005, 0x3F7FFFF3),
    (0xB59C0006, 0x3F7FFFEC),
    (0xB5D4000B, 0x3F7FFFE5),
    (0xB616000B, 0x3F7FFFDA),
    (0xB6B50020, 0x3F7FFFA5),
    (0xB6D9002E, 0x3F7FFF93),
    (0xB7C9C09F, 0x3F7FFE6C),
    (0xB7F4C0EA, 0x3F7FFE16),
    (0xB9584DB6, 0x3F7FF27C),
    (0xBA525799, 0x3F7FCB70),
    (0xBA7242A6, 0x3F7FC376),
    (0xBADD0AB0, 0x3F7F9193),
    (0xBAE0E25C, 0x3F7F8FA7),
    (0xBB8D98F5, 0x3F7EE56B),
    (0xBB9AF86A, 0x3F7ECACB),
    (0xBB9CBB8E, 0x3F7EC749),
    (0xBBB70EE8, 0x3F7E92E8),
    (0xBBF0EDF1, 0x3F7E1FE9),
    (0xBC2A461A, 0x3F7D5A6E),
    (0xBCB8F40F, 0x3F7A48F4),
    (0xBCE017BB, 0x3F79178F),
    (0xBDB393EB, 0x3F6A823F),
    (0xBDF128EB, 0x3F638FED),
    (0xBE5F667D, 0x3F4DD281),
    (0xBE67B559, 0x3F4C28BC),
    (0xBEE0E6CD, 0x3F24FEC8),
    (0xBEED01AF, 0x3F2123DC),
    (0xBF76FD92, 0x3EC319E2),
    (0xBF81EADF, 0x3EB98DC1),
    (0xBFBFA14B, 0x3E652588),
    (0xC03359CB, 0x3D787DF3),
    (0xC0382E72, 0x3D666D27),
    (0xC0781533, 0x3CA9CCB8),
    (0xC13D6631, 0x36F28E33),
    (0xC159FA1E, 0x35A29E78),
    (0xC16912CD, 0x34FD331B),
    (0xC236E4B4, 0x1E832866),
    (0xC2B2E798, 0x000F6DCE),
]


def _inputs_and_expected():
    x = np.array([u for u, _ in HARD], np.uint32).view(np.float32)
    y = np.array([v for _, v in HARD], np.uint32)
    return x, y


def test_the_float64_exponential_rounds_correctly_on_the_hardest_inputs():
    x, expected = _inputs_and_expected()
    rounded = np.array([K._exp_reduced(float(v)) for v in x]).astype(np.float32)
    assert np.array_equal(rounded.view(np.uint32), expected)


def test_float32_exp_is_within_one_ulp_on_the_hardest_inputs():
    x, expected = _inputs_and_expected()
    scalar = np.array([K._expf(v) for v in x], np.float32)
    for result in (K.exp(x), K.exp(np.repeat(x, 2)[::2]), scalar):
        ulps = np.abs(result.view(np.uint32).astype(np.int64) - expected.astype(np.int64))
        assert ulps.max() <= 1, x[ulps > 1]
    assert np.array_equal(K.exp(np.repeat(x, 2)[::2]).view(np.uint32), K.exp(x).view(np.uint32))
    assert np.array_equal(scalar.view(np.uint32), K.exp(x).view(np.uint32))
