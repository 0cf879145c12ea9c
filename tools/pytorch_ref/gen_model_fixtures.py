"""Golden parity fixtures for whole models: tests/fixtures/models.safetensors.

Weights and inputs come from tools/pytorch_ref/deterministic.py (C++ regenerates them by
name), so the fixture holds only outputs, losses and gradient summaries (a few KB):
  resnext50.*   torchvision resnext50_32x4d, batch 2 at 64x64: logits in eval mode and in
                train mode, and every batch-norm buffer after that training forward.
  default.*     the `default` detector (dropouts 0), 2 videos x 3 frames x 64x64, train
                mode: video/frame logits, BCE-with-logits loss (targets 1, 0), a summary
                of every parameter's gradient, computed in float64; `*_error` entries
                hold PyTorch float32's distance from those (see run() below).
  jadhav2020.*  the paper model (dropout 0), same input: logits, cross-entropy loss
                (targets 0=FAKE, 1=REAL), gradient summaries, likewise.
Metadata lists each model's state_dict names in order.

Run: /usr/bin/python3 tools/pytorch_ref/gen_model_fixtures.py   (about a minute)
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic  # noqa: E402
import models  # noqa: E402
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)


def summaries(prefix, named, out):
    for name, tensor in named:
        out[f"{prefix}.{name}"] = deterministic.gradient_summary(name, tensor).float()


def main():
    out = {}
    metadata = {}

    models.assert_matches_torchvision()
    net = torchvision.models.resnext50_32x4d()
    deterministic.fill_module(net)
    metadata["resnext50.state_names"] = ",".join(net.state_dict().keys())
    image = deterministic.symmetric("input.image", [2, 3, 64, 64], 1.0)
    net.eval()
    with torch.no_grad():
        out["resnext50.eval_logits"] = net(image)
        net.train()
        out["resnext50.train_logits"] = net(image)
    summaries("resnext50.state_after_train", [
        (k, v) for k, v in net.state_dict().items() if "running" in k], out)

    # One bottleneck block (stride 2, downsample, 4 groups), full tensors in float64: the
    # block's forward and every gradient must match to float32 rounding.
    block = models.resnext(layers=(1, 1, 1, 1), groups=4, width_per_group=32, base=8).layer2[0]
    deterministic.fill_module(block, prefix="block.")
    block = block.double().train()
    x = deterministic.symmetric("block.input", [6, 32, 6, 6], 1.0).double().requires_grad_()
    y = block(x)
    probe = deterministic.symmetric("block.probe", list(y.shape), 1.0).double()
    (y * probe).sum().backward()
    out["block.output"] = y.detach().float()
    out["block.input_grad"] = x.grad.float()
    for name, p in block.named_parameters():
        out[f"block.grad.{name}"] = p.grad.float()

    video = deterministic.symmetric("input.video", [2, 3, 3, 64, 64], 1.0)

    # Deep nets in training mode are ill-conditioned in float32 (batch norm over a few
    # samples per channel in the last stages): PyTorch's own float32 gradients differ from
    # float64 by up to ~2% here. So the reference is float64 ("truth"), and each entry
    # carries PyTorch float32's distance from it, which the C++ test uses as its scale.
    def run(make, loss_fn, prefix, state_summaries):
        results = {}
        for dtype in (torch.float64, torch.float32):
            model = make()
            deterministic.fill_module(model)
            model = model.to(dtype)
            model.train()
            outputs = model(video.to(dtype))
            loss = loss_fn(outputs)
            loss.backward()
            results[dtype] = (model, outputs, loss)
        truth, truth_outputs, truth_loss = results[torch.float64]
        single, single_outputs, single_loss = results[torch.float32]
        metadata[f"{prefix}.state_names"] = ",".join(truth.state_dict().keys())
        out[f"{prefix}.loss"] = truth_loss.detach().float().reshape(1)
        out[f"{prefix}.loss_error"] = (single_loss.double() - truth_loss).abs().float().reshape(1)
        for name, p in truth.named_parameters():
            q = dict(single.named_parameters())[name]
            out[f"{prefix}.grad.{name}"] = deterministic.gradient_summary(name, p.grad).float()
            error = (q.grad.double() - p.grad).norm() / p.grad.norm().clamp(min=1e-30)
            out[f"{prefix}.grad_error.{name}"] = error.float().reshape(1)
        if state_summaries:
            summaries(f"{prefix}.state_after_train", [
                (k, v) for k, v in truth.state_dict().items() if "running" in k], out)
        return truth_outputs, single_outputs

    (video_logits, frame_logits), (single_video, _) = run(
        models.DefaultDetector,
        lambda o: torch.nn.functional.binary_cross_entropy_with_logits(
            o[0], torch.tensor([1.0, 0.0], dtype=o[0].dtype)),
        "default", True)
    out["default.video_logits"] = video_logits.detach().float().reshape(2, 1)
    out["default.frame_logits"] = frame_logits.detach().float().reshape(2, 3, 1)
    out["default.logits_error"] = (single_video.double() - video_logits).abs().max().float().reshape(1)

    (_, logits), (_, single_logits) = run(
        lambda: models.Jadhav2020(dropout=0.0),
        lambda o: torch.nn.functional.cross_entropy(o[1], torch.tensor([0, 1])),
        "jadhav2020", False)
    out["jadhav2020.logits"] = logits.detach().float()
    out["jadhav2020.logits_error"] = (single_logits.double() - logits).abs().max().float().reshape(1)

    path = os.path.join(ROOT, "tests/fixtures/models.safetensors")
    save_file(out, path, metadata)
    print(f"wrote {path}: {len(out)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
