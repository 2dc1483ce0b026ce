#!/usr/bin/python3
"""PyTorch peer of bench/bench_train_step.cpp: the same ResNet (torchvision layout,
CIFAR stem: 3x3 stride-1 conv, no max-pool; base width W) on random images, on the
CPU with the given thread count, doing the same step:
  --task supervised: cross-entropy, backward, SGD Nesterov with weight decay (BN
                     and biases excluded);
  --task simclr:     two views as one batch of 2N through encoder and projection
                     head (Linear-BN-ReLU-Linear-BN, 128-d, last BN without beta),
                     NT-Xent (tau 0.5), backward, LARS (written here: torch has none).
Run it with /usr/bin/python3 (Debian's python3-torch) and LD_PRELOAD=libjemalloc.so.2,
its faster configuration here. Images/s counts source images. The last line is
machine-readable: "RESULT torch images_per_s=... ms_per_step=...".

  peer_torch_train.py [--task supervised|simclr] [--depth 18] [--width 16] [--channels 3]
                      [--batch 128] [--warmup 3] [--steps 10] [--threads 2]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, 0, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    """ResNet-18/34 (BasicBlock) with the CIFAR stem and base width `width`."""

    def __init__(self, depth, width, channels, classes=10):
        super().__init__()
        blocks_per_stage = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}[depth]
        self.conv1 = nn.Conv2d(channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks, inp = [], width
        for stage, count in enumerate(blocks_per_stage):
            out = width * 2**stage
            for index in range(count):
                blocks.append(BasicBlock(inp, out, 2 if stage > 0 and index == 0 else 1))
                inp = out
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = inp
        self.fc = nn.Linear(inp, classes) if classes else None

    def features(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.adaptive_avg_pool2d(self.blocks(x), 1).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


class Simclr(nn.Module):
    """Encoder without fc, then the projection head."""

    def __init__(self, depth, width, channels, dim=128):
        super().__init__()
        self.encoder = ResNet(depth, width, channels, classes=0)
        f = self.encoder.feature_dim
        last_bn = nn.BatchNorm1d(dim)
        last_bn.bias.requires_grad_(False)  # no beta: the bias stays zero
        self.head = nn.Sequential(nn.Linear(f, f, bias=False), nn.BatchNorm1d(f), nn.ReLU(),
                                  nn.Linear(f, dim, bias=False), last_bn)

    def forward(self, x):
        return self.head(self.encoder.features(x))


def nt_xent(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(-1e9)
    n = z1.shape[0]
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


class Lars:
    """SimCLR's LARS: decay and trust ratio on weights (ndim > 1), momentum on all."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eta=0.001):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.momentum, self.weight_decay, self.eta = lr, momentum, weight_decay, eta
        self.velocity = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, v in zip(self.params, self.velocity):
            g = p.grad
            if p.ndim > 1:
                g = g + self.weight_decay * p
                w_norm, g_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(g)
                trust = torch.where((w_norm > 0) & (g_norm > 0), self.eta * w_norm / g_norm, torch.ones_like(w_norm))
                g = g * trust
            v.mul_(self.momentum).add_(g, alpha=self.lr)
            p.sub_(v)

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None


def param_groups(model, weight_decay):
    """Weight decay on conv and linear weights only, as nanossl's optimizer_params."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("supervised", "simclr"), default="supervised")
    parser.add_argument("--depth", type=int, default=18)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    images = torch.rand(args.batch, args.channels, 32, 32)
    images2 = torch.rand(args.batch, args.channels, 32, 32)
    labels = torch.arange(args.batch) % 10
    if args.task == "supervised":
        model = ResNet(args.depth, args.width, args.channels)
        optimizer = torch.optim.SGD(param_groups(model, 5e-4), lr=0.05, momentum=0.9, nesterov=True)
    else:
        model = Simclr(args.depth, args.width, args.channels)
        optimizer = Lars(model.parameters(), lr=1.2)

    def loss_of_step():
        if args.task == "supervised":
            return F.cross_entropy(model(images), labels)
        z = model(torch.cat([images, images2]))
        return nt_xent(z[: args.batch], z[args.batch :], 0.5)

    def step():
        loss = loss_of_step()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        first = step()
    start = time.perf_counter()
    for _ in range(args.steps):
        last = step()
    seconds = time.perf_counter() - start
    ms, images_per_s = 1e3 * seconds / args.steps, args.batch * args.steps / seconds
    print(f"torch {torch.__version__} {args.task} ResNet-{args.depth} CIFAR stem width {args.width}, {args.channels}x32x32, "
          f"batch {args.batch}, {args.threads} threads: {ms:.1f} ms/step, {images_per_s:.1f} images/s; "
          f"loss {first:.4f} -> {last:.4f}")
    print(f"RESULT torch images_per_s={images_per_s:.2f} ms_per_step={ms:.3f}")


if __name__ == "__main__":
    main()
