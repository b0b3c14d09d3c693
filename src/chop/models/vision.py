"""Small image classifiers for digits (8x8), MNIST and Fashion-MNIST (28x28).

Both size themselves from the dataset's `input_shape` (C, H, W) and class count.
"""

from __future__ import annotations

from torch import nn

from chop.dataset.info import DatasetInfo
from chop.models.registry import register_model


class MLP(nn.Module):
    """Flatten, then Linear-ReLU blocks, then a Linear classifier."""

    def __init__(self, in_features: int, hidden: tuple[int, ...], num_classes: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.seq_blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.seq_blocks(x)


class CNN(nn.Module):
    """Two Conv-BN-ReLU-MaxPool stages, then a Linear classifier (LeNet-like)."""

    def __init__(self, in_channels: int, height: int, width: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * (height // 4) * (width // 4), num_classes)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def _image_shape(info: DatasetInfo) -> tuple[int, int, int]:
    shape = tuple(info.input_shape)
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) != 3:
        from chop.errors import ConfigError

        raise ConfigError(
            f"Dataset '{info.name}' has input shape {shape}; vision models need (C, H, W) images."
        )
    return shape  # type: ignore[return-value]


@register_model("mlp", source="vision", default_dataset="fashion-mnist", description="256-128 ReLU MLP")
def mlp(info: DatasetInfo) -> nn.Module:
    return MLP(info.num_features, (256, 128), info.num_classes)


@register_model("mlp-s", source="vision", default_dataset="digits", description="one hidden layer of 64")
def mlp_s(info: DatasetInfo) -> nn.Module:
    return MLP(info.num_features, (64,), info.num_classes)


@register_model("cnn", source="vision", default_dataset="fashion-mnist", description="2 Conv-BN-ReLU-Pool + Linear")
def cnn(info: DatasetInfo) -> nn.Module:
    c, h, w = _image_shape(info)
    return CNN(c, h, w, info.num_classes)
