"""Reference input/output pairs for `convert_weights --verify`.

Loads a PyTorch checkpoint into the PyTorch reference model (tools/pytorch_ref/models.py),
runs it in eval mode on a deterministic input (tools/pytorch_ref/deterministic.py) and
writes a safetensors file the converter compares its own output with:
  --model jadhav2020 | default   "input" [B, T, 3, S, S] and "logits" (the video logits)
  --model resnext50              "input" [B, 3, S, S] and "features" (the globally pooled
                                 2048-d trunk features: the ImageNet fc is not converted)

  /usr/bin/python3 tools/pytorch_ref/make_conversion_reference.py \
      --checkpoint model_93_acc_100_frames_final_data.pt --model jadhav2020 --out ref.safetensors
  bazel run //tools:convert_weights -- --input=model_93_acc_100_frames_final_data.pt \
      --preset=jadhav2020 --output=jadhav2020.safetensors --verify=ref.safetensors

The checkpoint is read with torch.load(weights_only=True), which refuses pickled code too.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic  # noqa: E402
import models  # noqa: E402
from safetensors_io import save_file  # noqa: E402

DEFAULT_SIZES = {"jadhav2020": 112, "default": 64, "resnext50": 64}


def unwrap_state_dict(obj):
    """The dict of tensors inside {"state_dict": ...}/{"model": ...}, without "module."."""
    while isinstance(obj, dict) and not any(torch.is_tensor(v) for v in obj.values()):
        for key in ("state_dict", "model_state_dict", "model", "net", "network", "module",
                    "weights"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
        else:
            raise ValueError("no state_dict found in the checkpoint")
    state = {k: v for k, v in obj.items() if torch.is_tensor(v)}
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def build_model(name):
    if name == "jadhav2020":
        return models.Jadhav2020()
    if name == "default":
        return models.DefaultDetector()
    if name == "resnext50":
        return models.resnext()
    raise ValueError(f"unknown model {name}")


def reference_outputs(model_name, model, batch, frames, size):
    """{"input", "logits" | "features"} of `model` (eval mode) on the deterministic input."""
    model = model.float().eval()
    with torch.no_grad():
        if model_name == "resnext50":
            image = deterministic.symmetric("convert.input", [batch, 3, size, size], 1.0)
            trunk = torch.nn.Sequential(*list(model.children())[:-1])  # up to the avgpool
            return {"input": image, "features": trunk(image).flatten(1)}
        video = deterministic.symmetric("convert.input", [batch, frames, 3, size, size], 1.0)
        out = model(video)
        logits = out[1] if model_name == "jadhav2020" else out[0].unsqueeze(1)
        return {"input": video, "logits": logits}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--model", required=True, choices=sorted(DEFAULT_SIZES))
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--size", type=int, default=0, help="crop side (default per model)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = build_model(args.model)
    state = unwrap_state_dict(torch.load(args.checkpoint, map_location="cpu", weights_only=True))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in state.items()})
    save_file(reference_outputs(args.model, model, args.batch, args.frames,
                                args.size or DEFAULT_SIZES[args.model]), args.out)


if __name__ == "__main__":
    main()
