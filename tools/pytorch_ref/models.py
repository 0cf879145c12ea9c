"""PyTorch reference definitions of the project's models, for parity fixtures.

- `resnext(...)`: torchvision's ResNet/Bottleneck generalised to a base width other than 64
  (torchvision hard-codes 64); with base 64 it *is* torchvision's class, checked by
  `assert_matches_torchvision()`.
- `DefaultDetector`: the `default` preset (nn/models/presets.cc): ResNeXt trunk ->
  global average pool -> BiLSTM (batch_first) -> Linear per frame; video logit = mean of
  the frame logits (equal to Linear of the mean LSTM output).
- `Jadhav2020`: the published ResNeXt+LSTM paper model, verbatim, with its quirks:
  `nn.LSTM(2048, 2048, 1, False)` (the 4th positional argument is `bias`), batch_first
  False (so the LSTM walks the batch-of-videos axis), dropout 0.4 on the logits,
  prediction from `x_lstm[:, -1, :]` as in the paper's inference app.
"""
import torch
import torchvision
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet


class _ScaledResNet(ResNet):
    """torchvision ResNet whose stem/stage widths start at `base` instead of 64."""

    def __init__(self, layers, groups, width_per_group, base, num_classes=1000):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = base
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(Bottleneck, base, layers[0])
        self.layer2 = self._make_layer(Bottleneck, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(Bottleneck, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(Bottleneck, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * Bottleneck.expansion, num_classes)


def resnext(layers=(3, 4, 6, 3), groups=32, width_per_group=4, base=64, num_classes=1000):
    return _ScaledResNet(list(layers), groups, width_per_group, base, num_classes)


def assert_matches_torchvision():
    ours = resnext()
    theirs = torchvision.models.resnext50_32x4d()
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert a.shape == b.shape, k


class DefaultDetector(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), groups=32, width_per_group=4, base=64,
                 hidden=256, lstm_layers=2):
        super().__init__()
        trunk = resnext(layers, groups, width_per_group, base)
        self.model = nn.Sequential(*list(trunk.children())[:-2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        features = base * 8 * Bottleneck.expansion
        self.features = features
        self.lstm = nn.LSTM(features, hidden, lstm_layers, batch_first=True,
                            bidirectional=True)
        self.linear1 = nn.Linear(2 * hidden, 1)

    def forward(self, x):
        b, t, c, h, w = x.shape
        f = self.avgpool(self.model(x.view(b * t, c, h, w))).view(b, t, self.features)
        out, _ = self.lstm(f)
        frame_logits = self.linear1(out).squeeze(-1)  # [B, T]
        return frame_logits.mean(dim=1), frame_logits


class Jadhav2020(nn.Module):
    """The paper's `Model` (num_classes=2), with its defaults."""

    def __init__(self, num_classes=2, latent_dim=2048, lstm_layers=1, hidden_dim=2048,
                 bidirectional=False, layers=(3, 4, 6, 3), groups=32, width_per_group=4,
                 base=64, dropout=0.4):
        super().__init__()
        trunk = resnext(layers, groups, width_per_group, base)
        self.model = nn.Sequential(*list(trunk.children())[:-2])
        self.lstm = nn.LSTM(latent_dim, hidden_dim, lstm_layers, bidirectional)
        self.relu = nn.LeakyReLU()
        self.dp = nn.Dropout(dropout)
        self.linear1 = nn.Linear(2048 if hidden_dim == 2048 else hidden_dim, num_classes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.latent_dim = latent_dim

    def forward(self, x):
        batch_size, seq_length, c, h, w = x.shape
        x = x.view(batch_size * seq_length, c, h, w)
        fmap = self.model(x)
        x = self.avgpool(fmap)
        x = x.view(batch_size, seq_length, self.latent_dim)
        x_lstm, _ = self.lstm(x, None)
        return fmap, self.dp(self.linear1(x_lstm[:, -1, :]))
