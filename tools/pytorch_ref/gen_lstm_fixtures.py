"""Writes tests/fixtures/lstm.safetensors: torch.nn.LSTM reference values for
nn/ops/lstm_parity_test.cc.

For each case: the weights (PyTorch's default init, float32), an input and a random R, the
output, h_n and c_n, and the gradients of sum(output * R) w.r.t. the input and every
parameter. The float32 weights and input are evaluated in float64 by torch, so the
reference is exact to float32 rounding and the C++ float32 kernels are compared with the
true values. Names: "<case>/<param>", "<case>/input", "<case>/R", "<case>/output",
"<case>/h_n", "<case>/c_n", "<case>/grad/input", "<case>/grad/<param>"; the metadata
holds each case's options as JSON.

Run with Debian's torch (python3-torch 1.13), not a python3 from PATH:
  /usr/bin/python3 tools/pytorch_ref/gen_lstm_fixtures.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests/fixtures/lstm.safetensors")

CASES = {
    # The detector's shape family (2-layer bidirectional, bias, time-major), small.
    "bi2": dict(input_size=5, hidden_size=4, num_layers=2, bias=True, batch_first=False,
                bidirectional=True, seq_len=6, batch=3),
    # The paper preset's family (1 layer, no bias), batch_first.
    "uni1_nobias_bf": dict(input_size=7, hidden_size=5, num_layers=1, bias=False,
                           batch_first=True, bidirectional=False, seq_len=4, batch=2),
    # Wider, so the kernels' vectorized paths and longer reductions are exercised.
    "bi2_wide": dict(input_size=48, hidden_size=32, num_layers=2, bias=True,
                     batch_first=False, bidirectional=True, seq_len=9, batch=2),
}


def make_case(name, opts, seed):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(opts["input_size"], opts["hidden_size"], num_layers=opts["num_layers"],
                         bias=opts["bias"], batch_first=opts["batch_first"],
                         bidirectional=opts["bidirectional"])
    T, B = opts["seq_len"], opts["batch"]
    shape = (B, T, opts["input_size"]) if opts["batch_first"] else (T, B, opts["input_size"])
    x32 = torch.randn(shape)
    params32 = {k: v.detach().clone() for k, v in lstm.state_dict().items()}

    lstm = lstm.double()
    x = x32.double().requires_grad_(True)
    output, (h_n, c_n) = lstm(x)
    r32 = torch.randn(output.shape)
    (output * r32.double()).sum().backward()

    tensors = {f"{name}/input": x32, f"{name}/R": r32,
               f"{name}/output": output.detach().float(), f"{name}/h_n": h_n.detach().float(),
               f"{name}/c_n": c_n.detach().float(), f"{name}/grad/input": x.grad.float()}
    for pname, p in lstm.named_parameters():
        tensors[f"{name}/{pname}"] = params32[pname]
        tensors[f"{name}/grad/{pname}"] = p.grad.float()
    return tensors


def main():
    tensors = {}
    for i, (name, opts) in enumerate(CASES.items()):
        tensors.update(make_case(name, opts, seed=1000 + i))
    metadata = {name: json.dumps(opts, sort_keys=True) for name, opts in CASES.items()}
    metadata["generator"] = f"tools/pytorch_ref/gen_lstm_fixtures.py, torch {torch.__version__}"
    save_file(tensors, OUT, metadata=metadata)
    print(f"wrote {OUT}: {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
