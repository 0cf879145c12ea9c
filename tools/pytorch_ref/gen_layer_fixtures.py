"""Generates tests/fixtures/layers.safetensors: PyTorch reference values for the layer ops
(BatchNorm2d, ReLU/sigmoid/softmax/log-softmax, Linear, Dropout, BCEWithLogits,
CrossEntropy) checked by nn/ops/layers_parity_test.cc.

Run with Debian's PyTorch 1.13 (not a python3 from PATH that may lack it):
    /usr/bin/python3 tools/pytorch_ref/gen_layer_fixtures.py [output path]
Every op gets its inputs, parameters, an upstream gradient `dy` (or dloss = 1 for the
losses), outputs and all gradients from autograd; BatchNorm also its running statistics
after training steps. Integer class targets are stored as float32 (exact for small ints).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_DEFAULT_OUT = os.path.join(_REPO, "tests", "fixtures", "layers.safetensors")


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def batch_norm(out):
    """Training steps with momentum 0.1 and 0.3 (two steps), eval mode, and folding."""
    n, c, h, w = 4, 3, 5, 6
    x = torch.randn(n, c, h, w) * 2.0 + torch.tensor([1.0, -3.0, 0.5]).view(1, c, 1, 1)
    x2 = torch.randn(n, c, h, w) * 0.5 - 1.0
    weight = torch.rand(c) + 0.5
    bias = torch.randn(c)
    running_mean = torch.randn(c) * 0.1
    running_var = torch.rand(c) + 0.5
    dy = torch.randn(n, c, h, w)
    out.update({
        "bn.x": x, "bn.x2": x2, "bn.weight": weight, "bn.bias": bias,
        "bn.running_mean0": running_mean, "bn.running_var0": running_var, "bn.dy": dy,
    })

    for tag, momentum, inputs in (("train_m0.1", 0.1, [x]), ("train_m0.3", 0.3, [x, x2])):
        bn = torch.nn.BatchNorm2d(c, eps=1e-5, momentum=momentum)
        with torch.no_grad():
            bn.weight.copy_(weight)
            bn.bias.copy_(bias)
            bn.running_mean.copy_(running_mean)
            bn.running_var.copy_(running_var)
        bn.train()
        for step, inp in enumerate(inputs):
            xl = leaf(inp)
            bn.zero_grad()
            y = bn(xl)
            y.backward(dy)
            out[f"bn.{tag}.step{step}.y"] = y.detach()
            out[f"bn.{tag}.step{step}.dx"] = xl.grad
            out[f"bn.{tag}.step{step}.dweight"] = bn.weight.grad.clone()
            out[f"bn.{tag}.step{step}.dbias"] = bn.bias.grad.clone()
            out[f"bn.{tag}.step{step}.running_mean"] = bn.running_mean.clone()
            out[f"bn.{tag}.step{step}.running_var"] = bn.running_var.clone()

    bn = torch.nn.BatchNorm2d(c, eps=1e-3)
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
        bn.running_mean.copy_(running_mean)
        bn.running_var.copy_(running_var)
    bn.eval()
    xl = leaf(x)
    y = bn(xl)
    y.backward(dy)
    out["bn.eval_eps1e-3.y"] = y.detach()
    out["bn.eval_eps1e-3.dx"] = xl.grad
    out["bn.eval_eps1e-3.dweight"] = bn.weight.grad.clone()
    out["bn.eval_eps1e-3.dbias"] = bn.bias.grad.clone()

    # Folding into a grouped convolution [Cout, Cin/groups, KH, KW] with a bias.
    cout = 6
    conv_w = torch.randn(cout, 2, 3, 3)
    conv_b = torch.randn(cout)
    fold_gamma = torch.rand(cout) + 0.5
    fold_beta = torch.randn(cout)
    fold_mean = torch.randn(cout)
    fold_var = torch.rand(cout) + 0.1
    fw, fb = torch.nn.utils.fusion.fuse_conv_bn_weights(
        conv_w, conv_b, fold_mean, fold_var, 1e-5, fold_gamma, fold_beta)
    # The folded conv must reproduce conv + BN(eval) (checked here, in PyTorch).
    conv_in = torch.randn(2, 4, 7, 7)
    bn_ref = F.batch_norm(F.conv2d(conv_in, conv_w, conv_b, groups=2), fold_mean, fold_var,
                          fold_gamma, fold_beta, training=False, eps=1e-5)
    assert torch.allclose(F.conv2d(conv_in, fw, fb, groups=2), bn_ref, atol=1e-4)
    out.update({
        "fold.conv_weight": conv_w, "fold.conv_bias": conv_b, "fold.gamma": fold_gamma,
        "fold.beta": fold_beta, "fold.running_mean": fold_mean, "fold.running_var": fold_var,
        "fold.weight": fw.detach(), "fold.bias": fb.detach(),
    })


def activations(out):
    x = torch.randn(5, 7) * 3.0
    x[0, :3] = torch.tensor([60.0, -80.0, 0.5])  # large logits: stability
    relu_x = x.clone()
    relu_x[relu_x.abs() < 0.05] = 0.5  # away from the kink
    dy = torch.randn(5, 7)
    out.update({"act.x": x, "act.relu_x": relu_x, "act.dy": dy})
    for name, fn, inp in (
        ("relu", torch.relu, relu_x),
        ("sigmoid", torch.sigmoid, x),
        ("softmax", lambda t: torch.softmax(t, dim=-1), x),
        ("log_softmax", lambda t: torch.log_softmax(t, dim=-1), x),
    ):
        xl = leaf(inp)
        y = fn(xl)
        y.backward(dy)
        out[f"act.{name}.y"] = y.detach()
        out[f"act.{name}.dx"] = xl.grad


def linear(out):
    for tag, x_shape, bias in (("2d", (6, 9), True), ("3d_nobias", (2, 3, 9), False)):
        lin = torch.nn.Linear(9, 4, bias=bias)
        xl = leaf(torch.randn(*x_shape))
        y = lin(xl)
        dy = torch.randn(*y.shape)
        y.backward(dy)
        out[f"linear.{tag}.x"] = xl.detach()
        out[f"linear.{tag}.weight"] = lin.weight.detach().clone()
        out[f"linear.{tag}.dy"] = dy
        out[f"linear.{tag}.y"] = y.detach()
        out[f"linear.{tag}.dx"] = xl.grad
        out[f"linear.{tag}.dweight"] = lin.weight.grad.clone()
        if bias:
            out[f"linear.{tag}.bias"] = lin.bias.detach().clone()
            out[f"linear.{tag}.dbias"] = lin.bias.grad.clone()


def dropout(out):
    """PyTorch's RNG stream is not reproduced: what must agree is eval = identity and the
    scale 1/(1-p) of kept elements (and that y = x * mask / (1-p) for PyTorch's own mask)."""
    p = 0.3
    x = torch.randn(4, 50)
    y_train = F.dropout(x, p=p, training=True)
    kept = y_train != 0
    ones = F.dropout(torch.ones(1000), p=p, training=True)
    scale = ones[ones != 0]  # the value PyTorch gives kept elements of 1
    out.update({
        "dropout.x": x, "dropout.p": torch.tensor([p]),
        "dropout.eval_y": F.dropout(x, p=p, training=False),
        "dropout.train_scale": scale[:1].clone(),
        "dropout.torch_train_y": y_train, "dropout.torch_keep": kept.float(),
    })
    assert torch.equal(scale, torch.full_like(scale, scale[0].item()))
    assert torch.allclose(y_train[kept], x[kept] * scale[0])


def losses(out):
    logits = torch.randn(6, 4) * 2.0
    logits[0, 0], logits[1, 1] = 40.0, -40.0  # saturated sigmoids
    targets = (torch.rand(6, 4) > 0.5).float()
    targets[2] = torch.tensor([0.2, 0.7, 0.5, 0.95])  # soft targets
    pos_weight = torch.tensor([0.5, 1.0, 2.0, 4.0])
    out.update({"bce.logits": logits, "bce.targets": targets, "bce.pos_weight": pos_weight})
    for tag, pw in (("plain", None), ("pos_weight", pos_weight)):
        xl = leaf(logits)
        loss = F.binary_cross_entropy_with_logits(xl, targets, pos_weight=pw)
        loss.backward()
        out[f"bce.{tag}.loss"] = loss.detach().reshape(1)
        out[f"bce.{tag}.dlogits"] = xl.grad

    ce_logits = torch.randn(7, 5) * 2.0
    ce_logits[0, 2] = 30.0
    ce_targets = torch.tensor([2, 0, 4, 1, 1, 3, 0])
    ce_ignored = torch.tensor([2, -100, 4, 1, -100, 3, 0])
    weight = torch.rand(5) * 2.0 + 0.2
    out.update({
        "ce.logits": ce_logits, "ce.targets": ce_targets.float(),
        "ce.targets_ignored": ce_ignored.float(), "ce.weight": weight,
    })
    for tag, tgt, w, ls in (
        ("plain", ce_targets, None, 0.0),
        ("weight", ce_targets, weight, 0.0),
        ("smooth0.1", ce_targets, None, 0.1),
        ("weight_smooth0.2", ce_targets, weight, 0.2),
        ("ignored_smooth0.3", ce_ignored, None, 0.3),
        ("ignored_weight_smooth0.3", ce_ignored, weight, 0.3),
    ):
        xl = leaf(ce_logits)
        loss = F.cross_entropy(xl, tgt, weight=w, label_smoothing=ls)
        loss.backward()
        out[f"ce.{tag}.loss"] = loss.detach().reshape(1)
        out[f"ce.{tag}.dlogits"] = xl.grad


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else _DEFAULT_OUT
    torch.manual_seed(20240613)
    out = {}
    batch_norm(out)
    activations(out)
    linear(out)
    dropout(out)
    losses(out)
    out = {k: v.detach().contiguous().float() for k, v in out.items()}
    save_file(out, path, metadata={
        "generator": "tools/pytorch_ref/gen_layer_fixtures.py",
        "torch": torch.__version__,
    })
    print(f"wrote {len(out)} tensors to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
