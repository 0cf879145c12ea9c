"""Writes tests/fixtures/safetensors_python.safetensors: tensors of every dtype the C++
reader converts, plus metadata, written by the Python implementation, so the C++ reader
is tested against an independent writer.

Run: /usr/bin/python3 tools/pytorch_ref/gen_safetensors_fixture.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

values = torch.tensor([[0.5, -1.25, 3.0], [1e-3, 65504.0, -0.0]], dtype=torch.float64)
save_file(
    {
        "f32": values.float(),
        "f16": values.half(),
        "bf16": torch.tensor([1.5, -2.0, 0.15625, 3.0e38]).bfloat16(),
        "f64": values,
        "i64": torch.tensor([0, -3, 16777216]),
        "scalar": torch.tensor(7.0),
        "empty": torch.zeros(0, 4),
    },
    os.path.join(ROOT, "tests/fixtures/safetensors_python.safetensors"),
    metadata={"preset": "default", "step": 12},
)
