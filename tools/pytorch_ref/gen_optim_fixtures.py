"""Writes tests/fixtures/optim.safetensors: torch.optim reference trajectories and
learning-rate sequences for nn/optim/optim_parity_test.cc.

For each optimizer configuration: the initial parameters, the gradient used at each of 10
steps (of a fixed nonlinear loss, evaluated at the torch trajectory and recorded, so the
C++ side replays exactly these gradients) and the parameters after the 10 steps. Also
clip_grad_norm_ cases and ReduceLROnPlateau / StepLR / CosineAnnealingLR learning-rate
sequences. Options travel as JSON in the metadata; lr sequences and metrics as repr()'d
doubles (exact).

Run: /usr/bin/python3 tools/pytorch_ref/gen_optim_fixtures.py   (Debian's torch 1.13.1)
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 10

OPTIMIZERS = {
    "sgd": {"type": "SGD", "lr": 0.1},
    "sgd_momentum": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "dampening": 0.1,
                     "weight_decay": 0.01},
    "sgd_nesterov": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": True,
                     "weight_decay": 0.001},
    "adam": {"type": "Adam", "lr": 0.01},
    "adam_wd": {"type": "Adam", "lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                "weight_decay": 0.1},
    "adamw": {"type": "AdamW", "lr": 0.01, "weight_decay": 0.01},
}


def make_optimizer(options, params):
    kind = options["type"]
    if kind == "SGD":
        return torch.optim.SGD(params, lr=options["lr"], momentum=options.get("momentum", 0),
                               dampening=options.get("dampening", 0),
                               weight_decay=options.get("weight_decay", 0),
                               nesterov=options.get("nesterov", False))
    betas = (options.get("beta1", 0.9), options.get("beta2", 0.999))
    cls = torch.optim.Adam if kind == "Adam" else torch.optim.AdamW
    default_wd = 0 if kind == "Adam" else 1e-2
    return cls(params, lr=options["lr"], betas=betas, eps=options.get("eps", 1e-8),
               weight_decay=options.get("weight_decay", default_wd))


def loss_fn(w, b):
    return ((torch.sin(3 * w) * w**2).sum() + (0.1 * (b - 0.5) ** 4 + 0.5 * b**2).sum()
            + 0.1 * (w[:, :5] @ b).pow(2).sum())


def optimizer_cases(tensors, metadata):
    for name, options in OPTIMIZERS.items():
        torch.manual_seed(0)
        w = torch.randn(3, 7).requires_grad_()
        b = torch.randn(5).requires_grad_()
        tensors[f"{name}.init.w"] = w.detach().clone()
        tensors[f"{name}.init.b"] = b.detach().clone()
        opt = make_optimizer(options, [w, b])
        for k in range(STEPS):
            opt.zero_grad()
            loss_fn(w, b).backward()
            tensors[f"{name}.grad.{k}.w"] = w.grad.detach().clone()
            tensors[f"{name}.grad.{k}.b"] = b.grad.detach().clone()
            opt.step()
        tensors[f"{name}.final.w"] = w.detach().clone()
        tensors[f"{name}.final.b"] = b.detach().clone()
        metadata[f"optimizer.{name}"] = json.dumps(options)


def clip_cases(tensors, metadata):
    torch.manual_seed(1)
    grads = [3 * torch.randn(4, 5), torch.randn(7), 0.5 * torch.randn(2, 3, 2)]
    cases = {"clip": (1.0, 2.0), "clip_noop": (100.0, 2.0), "clip_inf": (0.5, math.inf)}
    for name, (max_norm, norm_type) in cases.items():
        params = []
        for i, g in enumerate(grads):
            p = torch.zeros_like(g, requires_grad=True)
            p.grad = g.clone()
            params.append(p)
            tensors[f"{name}.grad.{i}"] = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        for i, p in enumerate(params):
            tensors[f"{name}.clipped.{i}"] = p.grad.clone()
        tensors[f"{name}.total"] = total.reshape([]).float().clone()
        metadata[f"clip.{name}"] = json.dumps(
            {"count": len(grads), "max_norm": max_norm,
             "norm_type": "inf" if math.isinf(norm_type) else norm_type})


def dummy_optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def join(values):
    return ",".join(repr(float(v)) for v in values)


def plateau_cases(metadata):
    # A validation metric that improves, stalls, gets worse and improves again.
    metrics = [1.0, 0.9, 0.85, 0.85, 0.86, 0.849, 0.8499, 0.84, 0.84, 0.84, 0.84, 0.83,
               0.9, 0.9, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6999, 0.69, 0.7,
               0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
               0.55, 0.6, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.4, 0.4]
    metadata["plateau.metrics"] = join(metrics)
    cases = {
        "min_rel": {"lr": 1.0, "mode": "min", "factor": 0.5, "patience": 2},
        "max_abs_cooldown": {"lr": 0.1, "mode": "max", "factor": 0.5, "patience": 1,
                             "threshold": 0.01, "threshold_mode": "abs", "cooldown": 2},
        "min_abs_min_lr": {"lr": 1.0, "mode": "min", "factor": 0.3, "patience": 0,
                           "threshold": 0.005, "threshold_mode": "abs", "cooldown": 3,
                           "min_lr": 0.01},
        "max_rel_eps": {"lr": 0.1, "mode": "max", "factor": 0.9, "patience": 1,
                        "threshold": 0.001, "min_lr": 0.05, "eps": 0.005},
        "min_rel_zero_threshold": {"lr": 0.5, "mode": "min", "factor": 0.1, "patience": 3,
                                   "threshold": 0.0, "cooldown": 1, "min_lr": 1e-4},
    }
    for name, options in cases.items():
        opt = dummy_optimizer(options["lr"])
        kwargs = {k: v for k, v in options.items() if k != "lr"}
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = [opt.param_groups[0]["lr"]]
        for m in metrics:
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        metadata[f"plateau.{name}"] = json.dumps(options)
        metadata[f"plateau.{name}.lr"] = join(lrs)


def epoch_schedule_cases(metadata):
    cases = {
        "step_lr.a": ("StepLR", {"lr": 0.1, "step_size": 3, "gamma": 0.1, "steps": 20}),
        "step_lr.b": ("StepLR", {"lr": 0.05, "step_size": 1, "gamma": 0.7, "steps": 15}),
        "cosine.a": ("CosineAnnealingLR", {"lr": 0.1, "T_max": 10, "eta_min": 0.001,
                                            "steps": 35}),
        "cosine.b": ("CosineAnnealingLR", {"lr": 1.0, "T_max": 7, "eta_min": 0.0,
                                            "steps": 30}),
    }
    for name, (kind, options) in cases.items():
        opt = dummy_optimizer(options["lr"])
        if kind == "StepLR":
            sched = torch.optim.lr_scheduler.StepLR(opt, options["step_size"], options["gamma"])
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, options["T_max"],
                                                               options["eta_min"])
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(options["steps"]):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        metadata[name] = json.dumps(options)
        metadata[name + ".lr"] = join(lrs)


def main():
    tensors, metadata = {}, {"torch": torch.__version__}
    optimizer_cases(tensors, metadata)
    clip_cases(tensors, metadata)
    plateau_cases(metadata)
    epoch_schedule_cases(metadata)
    path = os.path.join(ROOT, "tests/fixtures/optim.safetensors")
    save_file(tensors, path, metadata=metadata)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
