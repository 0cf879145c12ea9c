"""Deterministic pseudo-random tensors that the C++ tests regenerate bit for bit.

Full-size models (ResNeXt-50 has 25M parameters) cannot be committed as fixtures, so the
reference scripts fill weights and inputs from a counter-based hash that C++ reimplements
(nn/testing/deterministic.h): element i of a tensor named `name` is

    seed = fnv1a32(name)
    u_i  = (fmix32(seed + i * 0x9E3779B9 mod 2^32) >> 8) * 2^-24      in [0, 1)

with fmix32 the MurmurHash3 finalizer. Gradients are compared through summaries
(sum, sum of squares, projection on a deterministic probe, and a few sampled elements).
"""
import torch

MASK32 = 0xFFFFFFFF


def fnv1a32(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & MASK32
    return h


def _fmix32(x):
    # x: int64 tensor holding uint32 values; products wrap in int64 but keep the low bits.
    x = x ^ (x >> 16)
    x = (x * 0x85EBCA6B) & MASK32
    x = x ^ (x >> 13)
    x = (x * 0xC2B2AE35) & MASK32
    x = x ^ (x >> 16)
    return x


def uniform01(name, numel):
    """float32 tensor [numel] of u_i in [0, 1), exactly as the C++ side computes them."""
    i = torch.arange(numel, dtype=torch.int64)
    x = (fnv1a32(name) + i * 0x9E3779B9) & MASK32
    return (_fmix32(x) >> 8).to(torch.float32) * (2.0 ** -24)


def symmetric(name, shape, scale):
    """Values in [-scale, scale): (2u - 1) * scale, computed in float32."""
    n = 1
    for d in shape:
        n *= d
    u = uniform01(name, n)
    return ((u * 2.0 - 1.0) * torch.tensor(scale, dtype=torch.float32)).reshape(shape)


def fill_module(module, prefix=""):
    """Fills every parameter and BatchNorm buffer of `module` deterministically by name."""
    with torch.no_grad():
        for name, tensor in module.state_dict(keep_vars=True).items():
            full = prefix + name
            if name.endswith("num_batches_tracked"):
                tensor.fill_(0)
            elif name.endswith("running_mean"):
                tensor.copy_(symmetric(full, tensor.shape, 0.1))
            elif name.endswith("running_var"):
                tensor.copy_(1.0 + symmetric(full, tensor.shape, 0.25))
            elif _is_batch_norm_affine(module, name):
                base = 1.0 if name.endswith("weight") else 0.0
                tensor.copy_(base + symmetric(full, tensor.shape, 0.1))
            else:
                fan_in = tensor.shape[1] if tensor.dim() > 1 else tensor.shape[0]
                for d in tensor.shape[2:]:
                    fan_in *= d
                tensor.copy_(symmetric(full, tensor.shape, fan_in ** -0.5))


def _is_batch_norm_affine(module, name):
    owner = module
    for part in name.split(".")[:-1]:
        owner = getattr(owner, part)
    return isinstance(owner, torch.nn.modules.batchnorm._BatchNorm)


def gradient_summary(name, grad, samples=4):
    """[sum, sum of squares, dot with probe, sampled elements...] in float64."""
    g = grad.detach().reshape(-1).double()
    probe = symmetric(name + "#probe", [g.numel()], 1.0).double()
    seeds = uniform01(name + "#samples", samples)
    index = (seeds.double() * g.numel()).long().clamp(max=g.numel() - 1)
    head = torch.stack([g.sum(), (g * g).sum(), (g * probe).sum()])
    return torch.cat([head, g[index]])
