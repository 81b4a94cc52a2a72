"""parsweep's UniformSample computed again in Python, for the recursive
sweep tests, which check the values kept against the design: sample i of
parameter NAME comes from a GSL taus2 stream of its own, seeded from
(seed, NAME, i) through SplitMix64 and a keyed Feistel bijection of
[0, 2^32) (the algorithm that src/sweep/design_random.h describes), its
first two 32-bit draws made into a 53-bit uniform u, the value
lower + (upper - lower) * u. Written from that description and GSL's
taus2, not from parsweep's code path: a change to how samples are drawn
fails these tests."""
import numpy as np

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def mix64(x):
    """SplitMix64's finalizer."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def param_key(seed, name):
    h = 0xCBF29CE484222325  # FNV-1a of the name
    for c in name.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    return mix64(mix64(seed ^ 0x5053575F53454544) ^ mix64(h))


def feistel32(key, x):
    """The keyed bijection of [0, 2^32) (6 balanced Feistel rounds)."""
    rk = [mix64((key + 0x632BE59BD9B4E019 * (r + 1)) & M64) for r in range(6)]
    mask = 0xFFFF
    left, right = (x >> 16) & mask, x & mask
    for k in range(6):
        f = mix64(right ^ rk[k]) & mask
        left, right = right, left ^ f
    return (left << 16) | right


class Taus2:
    """GSL's gsl_rng_taus2 (set and get)."""

    def __init__(self, s):
        lcg = lambda n: (69069 * n) & M32
        if s == 0:
            s = 1
        self.s1 = lcg(s)
        if self.s1 < 2:
            self.s1 += 2
        self.s2 = lcg(self.s1)
        if self.s2 < 8:
            self.s2 += 8
        self.s3 = lcg(self.s2)
        if self.s3 < 16:
            self.s3 += 16
        for _ in range(6):
            self.get()

    def get(self):
        def t(s, a, b, c, d):
            return (((s & c) << d) & M32) ^ ((((s << a) & M32) ^ s) >> b)

        self.s1 = t(self.s1, 13, 19, 4294967294, 12)
        self.s2 = t(self.s2, 2, 25, 4294967288, 4)
        self.s3 = t(self.s3, 3, 11, 4294967280, 17)
        return self.s1 ^ self.s2 ^ self.s3


def uniform(seed, name, lower, upper, n):
    """The first n samples of UniformSample NAME in [lower, upper)."""
    key = param_key(seed, name)
    out = np.empty(n)
    for i in range(n):
        r = Taus2(feistel32(mix64(key ^ mix64(i >> 32)), i & M32))
        a, b = r.get() >> 5, r.get() >> 6
        u = ((a << 26) | b) * 2.0**-53
        v = lower + (upper - lower) * u
        if v >= upper > lower:
            v = np.nextafter(upper, lower)
        out[i] = v
    return out
