"""Writes tests/fixtures/conv_pool.safetensors: PyTorch's forward outputs and gradients of
conv2d, max_pool2d and adaptive_avg_pool2d(1) on small inputs, for nn/ops/conv_parity_test.

For each case NAME the file holds NAME/x (input), NAME/w, NAME/b (conv weight, bias),
NAME/residual (fused-epilogue case), NAME/dy (output gradient), NAME/y (output) and the
gradients NAME/dx, NAME/dw, NAME/db. The conv parameters are repeated in the metadata;
the C++ test states them too and checks the shapes.

Run: /usr/bin/python3 tools/pytorch_ref/gen_conv_fixtures.py   (Debian's torch 1.13.1)
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: (input shape, weight shape, bias?, stride, padding, dilation, groups)
CONV_CASES = {
    "conv_plain": ((2, 3, 7, 7), (5, 3, 3, 3), True, 1, 1, 1, 1),
    "conv_stride2": ((2, 4, 9, 8), (6, 4, 3, 3), True, 2, 1, 1, 1),
    "conv_dilation2": ((1, 3, 10, 9), (4, 3, 3, 3), True, 1, 2, 2, 1),
    "conv_groups32": ((2, 128, 9, 9), (128, 4, 3, 3), False, 2, 1, 1, 32),
    "conv_1x1": ((2, 64, 6, 6), (32, 64, 1, 1), True, 1, 0, 1, 1),
    "conv_stem": ((1, 3, 23, 23), (8, 3, 7, 7), True, 2, 3, 1, 1),
}


def main():
    torch.manual_seed(20261125)
    torch.set_num_threads(1)
    tensors = {}
    metadata = {"torch": torch.__version__}

    for name, (xs, ws, has_bias, stride, pad, dil, groups) in CONV_CASES.items():
        x = torch.randn(xs, requires_grad=True)
        w = (torch.randn(ws) / (ws[1] * ws[2] * ws[3]) ** 0.5).requires_grad_()
        b = torch.randn(ws[0], requires_grad=True) if has_bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)
        dy = torch.randn_like(y)
        y.backward(dy)
        tensors.update({f"{name}/x": x, f"{name}/w": w, f"{name}/dy": dy, f"{name}/y": y,
                        f"{name}/dx": x.grad, f"{name}/dw": w.grad})
        if has_bias:
            tensors.update({f"{name}/b": b, f"{name}/db": b.grad})
        metadata[name] = json.dumps({"stride": stride, "padding": pad, "dilation": dil,
                                     "groups": groups})

    # Inference epilogue: relu(conv(x, w, b) + residual), 3x3 pad 1.
    x = torch.randn(2, 8, 6, 6)
    w = torch.randn(8, 8, 3, 3) / 72 ** 0.5
    b = torch.randn(8)
    residual = torch.randn(2, 8, 6, 6)
    y = torch.relu(F.conv2d(x, w, b, padding=1) + residual)
    tensors.update({"conv_epilogue/x": x, "conv_epilogue/w": w, "conv_epilogue/b": b,
                    "conv_epilogue/residual": residual, "conv_epilogue/y": y})

    # ResNet's max pool: kernel 3, stride 2, padding 1.
    x = torch.randn(2, 4, 11, 11, requires_grad=True)
    y = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    dy = torch.randn_like(y)
    y.backward(dy)
    tensors.update({"maxpool/x": x, "maxpool/dy": dy, "maxpool/y": y, "maxpool/dx": x.grad})

    # Global average pool.
    x = torch.randn(2, 5, 7, 7, requires_grad=True)
    y = F.adaptive_avg_pool2d(x, 1)
    dy = torch.randn_like(y)
    y.backward(dy)
    tensors.update({"avgpool/x": x, "avgpool/dy": dy, "avgpool/y": y, "avgpool/dx": x.grad})

    path = os.path.join(ROOT, "tests/fixtures/conv_pool.safetensors")
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
