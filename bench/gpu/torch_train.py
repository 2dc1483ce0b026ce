# The PyTorch peer of bench/bench_gpu_train.cpp: the same ResNet-18 (CIFAR stem),
# batch, loss and plain SGD step, in eager mode, fp32 with TF32 off, on the GPU.
# The last line is machine-readable: "RESULT torch images_per_s=... ms_per_step=... peak_mib=...".
import argparse
import math
import sys
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


class ResNet18(nn.Module):
    """CIFAR stem: 3x3 stride-1 conv, no max-pool; stages of 64/128/256/512 channels."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, inp = [], 64
        for stage, width in enumerate((64, 128, 256, 512)):
            for index in range(2):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(inp, width, stride))
                inp = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_in))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.blocks(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--tf32", action="store_true")
    parser.add_argument("--device", default="cuda", help="cuda, or cpu to check the script without a GPU")
    parser.add_argument("--no-cudnn-benchmark", action="store_true",
                        help="leave cuDNN's algorithm search off (PyTorch's default)")
    args = parser.parse_args()
    gpu = args.device == "cuda"
    if gpu and not torch.cuda.is_available():
        print("error: PyTorch sees no CUDA device", file=sys.stderr)
        return 1

    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = ResNet18().to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    images = torch.randn(args.batch, 3, 32, 32, device=device)
    labels = torch.tensor([(i * 7 + 3) % 10 for i in range(args.batch)], device=device)
    print(f"torch {torch.__version__} ResNet-18 (CIFAR stem, {sum(p.numel() for p in params)} parameters) "
          f"training step: batch {args.batch}, {torch.cuda.get_device_name() if gpu else 'cpu'}, tf32 {'on' if args.tf32 else 'off'}, "
          f"cudnn.benchmark {torch.backends.cudnn.benchmark}")

    def step():
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-args.lr)
                p.grad = None
        return loss

    def synchronize():
        if gpu:
            torch.cuda.synchronize()

    first = None
    for i in range(args.warmup):
        loss = step()
        if i == 0:
            first = loss.item()
    synchronize()
    if gpu:
        torch.cuda.reset_peak_memory_stats()

    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    synchronize()
    seconds = time.perf_counter() - start
    last = loss.item()

    ms_per_step = 1e3 * seconds / args.steps
    images_per_s = args.batch * args.steps / seconds
    peak_mib = torch.cuda.max_memory_allocated() / 1048576.0 if gpu else 0.0
    print(f"warm-up {args.warmup} steps, timed {args.steps} steps: {ms_per_step:.2f} ms/step, "
          f"{images_per_s:.1f} images/s; loss {first if first is not None else float('nan'):.4f} (first) "
          f"-> {last:.4f} (last)")
    if gpu:
        print(f"peak device memory allocated (timed steps): {peak_mib:.1f} MiB")
    if not math.isfinite(last):
        print(f"error: the loss is not finite ({last})", file=sys.stderr)
        return 1
    print(f"RESULT torch images_per_s={images_per_s:.1f} ms_per_step={ms_per_step:.3f} peak_mib={peak_mib:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
