"""Checkpoint files for the PyTorch weight reader and tools/convert_weights.

Without arguments: the small committed fixtures in tests/fixtures/checkpoints/ (a few KB):
  dtypes.pt               OrderedDict of float32/float16/bfloat16/float64/int64 tensors,
                          a transposed (strided) view, a view at a storage offset, a scalar
  dtypes_legacy.pt        the same, in the pre-1.6 (non-zip) format
  dtypes.expected.safetensors  the same tensors, contiguous float32: what the reader must give
  wrapped.pt              {"state_dict": dtypes.pt's dict with DataParallel's "module." prefix,
                          "epoch", "optimizer"}
  tiny_detector.pt        the `tiny` preset detector (models.DefaultDetector at tiny sizes),
                          in float16 (kept small; the converter turns it into float32)
  tiny_torchvision.pth    a torchvision-layout ResNeXt with an fc and the `tiny` trunk, bfloat16
  wrong_shape.pt          tiny_detector with model.0.weight of the wrong shape
  exploit.pt              a pickle that calls os.system (the classic torch.load exploit)
  exploit_legacy.pt       the same in the legacy format
  opcode.pt               a data.pkl using the INST opcode (protocol 0)
  truncated.pt            dtypes.pt cut short
  short_storage.pt        an archive whose data/0 is shorter than the storage it declares
  extent.pt               a tensor whose shape/strides reach past its storage
  overflow.pt             the same, with a shape whose extent overflows 64 bits
  broadcast.pt            an expanded (stride 0) view: more elements than its storage
  compressed.pt           dtypes.pt re-zipped with deflate
  not_a_checkpoint.pt     plain text
With --parity DIR: full-size models with pseudo-random weights (deterministic.fill_module
under the prefix "convert.") saved as the issue's users have them, plus reference
inputs/outputs (make_conversion_reference.py) for `convert_weights --verify`:
  resnext50.pth (torchvision resnext50_32x4d, ~100 MB), resnext50.ref.safetensors
      (pooled features), resnext50.logits.safetensors (ImageNet logits incl. fc)
  jadhav2020.pt (the paper's Model, state_dict as published), jadhav2020_dataparallel.pt
      ("module." prefix), jadhav2020.ref.safetensors
  default_wrapped.pt ({"state_dict": ..., "epoch": ...}), default.ref.safetensors
With --parity DIR --only resnext50: just the first group.

Run: /usr/bin/python3 tools/pytorch_ref/gen_checkpoint_fixtures.py [--parity DIR [--only M]]
"""
import argparse
import collections
import io
import os
import pickle
import sys
import warnings
import zipfile

import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deterministic  # noqa: E402
import make_conversion_reference as reference  # noqa: E402
import models  # noqa: E402
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "checkpoints")


class Model(nn.Module):
    """The paper's model class (Jadhav et al. 2020), written out as published, with
    pretrained=False (nothing can be downloaded) and the inference app's readout
    x_lstm[:, -1, :] that the `jadhav2020` preset implements (nn/models/detector.h)."""

    def __init__(self, num_classes, latent_dim=2048, lstm_layers=1, hidden_dim=2048,
                 bidirectional=False):
        super(Model, self).__init__()
        warnings.filterwarnings("ignore", category=UserWarning)  # pretrained= is deprecated
        model = torchvision.models.resnext50_32x4d(pretrained=False)
        self.model = nn.Sequential(*list(model.children())[:-2])
        self.lstm = nn.LSTM(latent_dim, hidden_dim, lstm_layers, bidirectional)
        self.relu = nn.LeakyReLU()
        self.dp = nn.Dropout(0.4)
        self.linear1 = nn.Linear(2048, num_classes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        batch_size, seq_length, c, h, w = x.shape
        x = x.view(batch_size * seq_length, c, h, w)
        fmap = self.model(x)
        x = self.avgpool(fmap)
        x = x.view(batch_size, seq_length, 2048)
        x_lstm, _ = self.lstm(x, None)
        return fmap, self.dp(self.linear1(x_lstm[:, -1, :]))


def dtypes_state_dict():
    sd = collections.OrderedDict()
    sd["f32"] = deterministic.symmetric("ckpt.f32", [2, 3], 2.0)
    sd["f16"] = deterministic.symmetric("ckpt.f16", [3, 2], 1.0).half()
    sd["bf16"] = deterministic.symmetric("ckpt.bf16", [4], 3.0).bfloat16()
    sd["f64"] = deterministic.symmetric("ckpt.f64", [2, 2], 1.0).double()
    sd["i64"] = torch.tensor([0, -7, 1 << 20], dtype=torch.int64)
    sd["scalar"] = torch.tensor(42, dtype=torch.int64)
    base = deterministic.symmetric("ckpt.base", [4, 5], 1.0)
    sd["transposed"] = base.t()              # strides (1, 5)
    sd["row_view"] = base[2]                 # storage offset 10, shares base's storage
    sd["base"] = base
    sd["empty"] = torch.zeros(0, 3)
    return sd


def contiguous_float(sd):
    return collections.OrderedDict((k, v.float().contiguous()) for k, v in sd.items())


def tiny_detector():
    net = models.DefaultDetector(layers=(1, 1, 1, 1), groups=4, width_per_group=16, base=8,
                                 hidden=8, lstm_layers=2)
    deterministic.fill_module(net, prefix="tiny.")
    return net


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/deepfake_exploit_ran",))


def fixed_time(name, compression=zipfile.ZIP_STORED):
    """A ZipInfo with a fixed timestamp, so regenerated fixtures are byte-identical."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compression
    return info


def rewrite_zip(src, dst, replace=None, compression=zipfile.ZIP_STORED):
    """Copies archive `src` to `dst`, replacing entries by name suffix."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for suffix, new in (replace or {}).items():
                if info.filename.endswith(suffix):
                    data = new
            zout.writestr(fixed_time(info.filename, compression), data)


def pickle_with_storages(obj, storages):
    """data.pkl bytes for `obj` whose _StorageStub leaves become torch persistent ids."""
    buffer = io.BytesIO()

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, _StorageStub):
                return ("storage", torch.FloatStorage, o.key, "cpu", o.numel)
            return None

    Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


class _StorageStub:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _TensorStub:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def write_archive(path, pkl, storages):
    """A torch.save-style archive: archive/data.pkl, archive/data/<key>, archive/version."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(fixed_time("archive/data.pkl"), pkl)
        for key, data in storages.items():
            z.writestr(fixed_time(f"archive/data/{key}"), data)
        z.writestr(fixed_time("archive/version"), "3\n")


def small_fixtures():
    os.makedirs(OUT, exist_ok=True)
    out = lambda name: os.path.join(OUT, name)  # noqa: E731
    sd = dtypes_state_dict()
    torch.save(sd, out("dtypes.pt"))
    torch.save(sd, out("dtypes_legacy.pt"), _use_new_zipfile_serialization=False)
    save_file(contiguous_float(sd), out("dtypes.expected.safetensors"))

    wrapped = {"state_dict": collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
               "epoch": 3,
               "optimizer": {"state": {}, "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999)}]}}
    torch.save(wrapped, out("wrapped.pt"))

    def half(state):
        return collections.OrderedDict(
            (k, v.half() if v.is_floating_point() else v) for k, v in state.items())
    net = half(tiny_detector().state_dict())
    torch.save(net, out("tiny_detector.pt"))
    net["model.0.weight"] = torch.zeros(8, 3, 3, 3, dtype=torch.float16)
    torch.save(net, out("wrong_shape.pt"))

    trunk = models.resnext(layers=(1, 1, 1, 1), groups=4, width_per_group=16, base=8,
                           num_classes=10)
    deterministic.fill_module(trunk, prefix="tiny_tv.")
    torch.save(collections.OrderedDict(
        (k, v.bfloat16() if v.is_floating_point() else v) for k, v in trunk.state_dict().items()),
        out("tiny_torchvision.pth"))

    torch.save({"weights": Exploit()}, out("exploit.pt"))
    torch.save({"weights": Exploit()}, out("exploit_legacy.pt"),
               _use_new_zipfile_serialization=False)
    write_archive(out("opcode.pt"), b"\x80\x02(i__builtin__\nobject\n.", {})

    data = open(out("dtypes.pt"), "rb").read()
    open(out("truncated.pt"), "wb").write(data[: len(data) * 2 // 3])
    rewrite_zip(out("dtypes.pt"), out("short_storage.pt"), {"/data/0": b"\0" * 8})
    rewrite_zip(out("dtypes.pt"), out("compressed.pt"), compression=zipfile.ZIP_DEFLATED)

    storage = _StorageStub("0", 4)
    pkl = pickle_with_storages(
        collections.OrderedDict(weight=_TensorStub(storage, 0, (10, 10), (10, 1))), None)
    write_archive(out("extent.pt"), pkl, {"0": b"\0" * 16})
    pkl = pickle_with_storages(collections.OrderedDict(
        weight=_TensorStub(storage, 0, (1 << 40, 1 << 40), (1 << 40, 1))), None)
    write_archive(out("overflow.pt"), pkl, {"0": b"\0" * 16})
    torch.save({"weight": torch.arange(3.0).expand(1000, 3)}, out("broadcast.pt"))

    open(out("not_a_checkpoint.pt"), "w").write("This is a README, not a checkpoint.\n" * 4)


def parity_fixtures(directory, only):
    os.makedirs(directory, exist_ok=True)
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    torch.set_num_threads(2)

    net = torchvision.models.resnext50_32x4d()
    deterministic.fill_module(net, prefix="convert.")
    torch.save(net.state_dict(), path("resnext50.pth"))
    save_file(reference.reference_outputs("resnext50", net, 2, 0, 64),
              path("resnext50.ref.safetensors"))
    image = deterministic.symmetric("convert.input", [2, 3, 64, 64], 1.0)
    with torch.no_grad():
        save_file({"input": image, "logits": net.eval()(image)},
                  path("resnext50.logits.safetensors"))
    if only == "resnext50":
        return

    paper = Model(2)
    deterministic.fill_module(paper, prefix="convert.")
    torch.save(paper.state_dict(), path("jadhav2020.pt"))
    torch.save(nn.DataParallel(paper).state_dict(), path("jadhav2020_dataparallel.pt"))
    save_file(reference.reference_outputs("jadhav2020", paper, 2, 3, 112),
              path("jadhav2020.ref.safetensors"))
    del paper

    default = models.DefaultDetector()
    deterministic.fill_module(default, prefix="convert.")
    torch.save({"state_dict": default.state_dict(), "epoch": 7, "best_auc": 0.5},
               path("default_wrapped.pt"))
    save_file(reference.reference_outputs("default", default, 2, 3, 64),
              path("default.ref.safetensors"))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parity", help="write full-size models and references here")
    parser.add_argument("--only", choices=["resnext50"])
    args = parser.parse_args()
    if args.parity:
        parity_fixtures(args.parity, args.only)
    else:
        small_fixtures()


if __name__ == "__main__":
    main()
