"""Golden Grad-CAM fixtures: tests/fixtures/grad_cam.safetensors.

Grad-CAM (Selvaraju et al. 2017) computed the textbook way with autograd: the trunk's last
block output A (the input of the global average pool) keeps its gradient, the FAKE score y
is backpropagated, alpha_tc = mean_ij dy/dA_t[c,i,j], cam_t = ReLU(sum_c alpha_tc A_t[c]),
normalised by the maximum over the track. In float64 from float32 weights and inputs
(the reference "truth"); the models are in eval mode (running statistics, no dropout).

Weights and inputs come from tools/pytorch_ref/deterministic.py (the C++ test regenerates
them by name), so the fixture holds only the results (a few KB), per model:
  <model>.logits     [1, K] the video logits
  <model>.alpha      [T, C] the channel weights
  <model>.cam_raw    [T, h, w] before normalisation
  <model>.cam        [T, h, w] normalised to [0, 1]
Models (the `tiny` preset's trunk, 4 frames of 128x128, so the last grid is 4x4):
  tiny       the `tiny` preset (BiLSTM, mean of frame logits, one output: y = the logit)
  paper      the jadhav2020 wiring on that trunk (LSTM(256, 16, bias=False) walking the
             videos axis, last step, two outputs): y = logit 0 (FAKE)
Input: deterministic "grad_cam.input" [1, 4, 3, 128, 128] in [-1.5, 1.5).

Run: /usr/bin/python3 tools/pytorch_ref/gen_grad_cam_fixtures.py   (a few seconds)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic  # noqa: E402
import models  # noqa: E402
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)

TRUNK = dict(layers=(1, 1, 1, 1), groups=4, width_per_group=16, base=8)
FRAMES, SIZE = 4, 128


def grad_cam(model, video, head, fake_output):
    """head(pooled [B, T, C]) -> video logits [B, K]; returns logits, alpha, raw, cam."""
    b, t, c, h, w = video.shape
    fmap = model.model(video.view(b * t, c, h, w))  # A [T, C, h', w']
    fmap.retain_grad()
    pooled = model.avgpool(fmap).view(b, t, -1)
    logits = head(pooled)
    logits[0, fake_output].backward()
    alpha = fmap.grad.mean(dim=(2, 3))  # [T, C]
    raw = torch.relu((alpha[:, :, None, None] * fmap).sum(dim=1))  # [T, h', w']
    peak = raw.max()
    cam = raw / peak if peak > 0 else torch.zeros_like(raw)
    return logits.detach(), alpha.detach(), raw.detach(), cam.detach()


def main():
    out = {}
    metadata = {}
    video = deterministic.symmetric("grad_cam.input", [1, FRAMES, 3, SIZE, SIZE], 1.5)

    tiny = models.DefaultDetector(hidden=8, lstm_layers=2, **TRUNK)
    deterministic.fill_module(tiny)
    tiny = tiny.double().eval()
    metadata["tiny.state_names"] = ",".join(tiny.state_dict().keys())

    def tiny_head(pooled):
        sequence, _ = tiny.lstm(pooled)
        return tiny.linear1(sequence).mean(dim=1)  # [B, 1]: the mean of the frame logits

    paper = models.Jadhav2020(latent_dim=256, hidden_dim=16, dropout=0.0, **TRUNK)
    deterministic.fill_module(paper)
    paper = paper.double().eval()
    metadata["paper.state_names"] = ",".join(paper.state_dict().keys())

    def paper_head(pooled):
        sequence, _ = paper.lstm(pooled, None)
        return paper.dp(paper.linear1(sequence[:, -1, :]))

    for name, model, head, fake_output in (("tiny", tiny, tiny_head, 0),
                                           ("paper", paper, paper_head, 0)):
        logits, alpha, raw, cam = grad_cam(model, video.double(), head, fake_output)
        # The paper model's own forward gives the same logits (the head above is its tail).
        if name == "paper":
            with torch.no_grad():
                assert torch.allclose(model(video.double())[1], logits)
        else:
            with torch.no_grad():
                assert torch.allclose(model(video.double())[0].view(1, 1), logits)
        out[f"{name}.logits"] = logits.float()
        out[f"{name}.alpha"] = alpha.float()
        out[f"{name}.cam_raw"] = raw.float()
        out[f"{name}.cam"] = cam.float()
        nonzero = (raw > 0).double().mean().item()
        print(f"{name}: logits {logits.tolist()}, grid {list(raw.shape)}, max {raw.max():.3e}, "
              f"nonzero {nonzero:.2f}")

    path = os.path.join(ROOT, "tests/fixtures/grad_cam.safetensors")
    save_file(out, path, metadata)
    print(f"wrote {path}: {len(out)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
