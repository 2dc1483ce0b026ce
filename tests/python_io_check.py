#!/usr/bin/python3
# The Python side of cli_python_io.sh: python/nanossl_io.py against what the nanossl
# binary wrote and computed.
#   python_io_check.py data DIR                  a small CIFAR-10-format dataset (320 train, 96 test)
#   python_io_check.py numpy RUN DATA LOGITS LOG  readers + a numpy ResNet forward vs predict's logits
#   python_io_check.py torch RUN DATA LOGITS PRE  torchvision_resnet vs predict's logits (exit 77
#                                                 without torch/torchvision)
# The images are written here as CIFAR binaries so that both sides see the same bytes.
import math
import os
import re
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "fixtures"))
import nanossl_io as nio  # noqa: E402
import read_safetensors  # noqa: E402  (the independent reader of tests/fixtures)

SKIP = 77


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


# ---------------------------------------------------------------------------- data

def make_data(directory):
    """Ten classes, each a coloured square at a class-dependent place, over noise."""
    rng = np.random.default_rng(18)
    os.makedirs(directory, exist_ok=True)

    def records(count):
        labels = np.arange(count) % 10
        images = rng.integers(0, 80, size=(count, 3, 32, 32), dtype=np.uint8)
        for i, c in enumerate(labels):
            y, x = 4 + (c % 3) * 8 + rng.integers(0, 3), 4 + (c // 3) * 6 + rng.integers(0, 3)
            colour = np.array([(c * 70) % 256, (c * 150) % 256, 255 - c * 20], dtype=np.uint8)
            images[i, :, y:y + 8, x:x + 8] = colour[:, None, None]
        return np.concatenate([labels[:, None].astype(np.uint8), images.reshape(count, -1)], axis=1)

    for b in range(1, 6):
        records(64).tofile(os.path.join(directory, f"data_batch_{b}.bin"))
    records(96).tofile(os.path.join(directory, "test_batch.bin"))


def test_images(directory):
    """test_batch.bin as predict feeds it: (N, 3, 32, 32) float32 bytes * (1/255), no
    mean/std normalisation (data/augment.cpp's table: float(i) * (1.0f / 255.0f))."""
    raw = np.fromfile(os.path.join(directory, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)
    scale = np.float32(1.0) / np.float32(255.0)
    return (raw[:, 1:].astype(np.float32) * scale).reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)


def relative_error(a, b):
    """max |a - b| / max |b|: one scale for the whole array, so near-zero logits do not blow it up."""
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))) / np.max(np.abs(b)))


# ---------------------------------------------------------------------------- numpy ResNet

def conv(x, w, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def batch_norm(x, s, name, eps=1e-5):
    scale = s[name + ".weight"] / np.sqrt(s[name + ".running_var"] + eps)
    shift = s[name + ".bias"] - s[name + ".running_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


def resnet18_cifar(x, state):
    """Eval-mode torchvision ResNet-18 with the CIFAR stem, in float64, from the state dict."""
    s = {k: v.astype(np.float64) for k, v in state.items()}
    relu = lambda t: np.maximum(t, 0)  # noqa: E731
    out = relu(batch_norm(conv(x.astype(np.float64), s["conv1.weight"], 1, 1), s, "bn1"))
    for stage in range(1, 5):
        for block in range(2):
            p = f"layer{stage}.{block}."
            stride = 2 if stage > 1 and block == 0 else 1
            y = relu(batch_norm(conv(out, s[p + "conv1.weight"], stride, 1), s, p + "bn1"))
            y = batch_norm(conv(y, s[p + "conv2.weight"], 1, 1), s, p + "bn2")
            shortcut = out
            if p + "downsample.0.weight" in s:
                shortcut = batch_norm(conv(out, s[p + "downsample.0.weight"], stride, 0), s, p + "downsample.1")
            out = relu(y + shortcut)
    features = out.mean(axis=(2, 3))
    if "fc.weight" not in s:
        return features
    return features @ s["fc.weight"].T + s["fc.bias"]


def resnet18_names(width, classes):
    """torchvision's state-dict names of a ResNet-18, written out independently of nanossl_io."""
    def bn(p):
        return [p + n for n in (".weight", ".bias", ".running_mean", ".running_var", ".num_batches_tracked")]
    names = ["conv1.weight"] + bn("bn1")
    for stage in range(1, 5):
        for block in range(2):
            p = f"layer{stage}.{block}."
            names += [p + "conv1.weight", *bn(p + "bn1"), p + "conv2.weight", *bn(p + "bn2")]
            if stage > 1 and block == 0:
                names += [p + "downsample.0.weight", *bn(p + "downsample.1")]
    return set(names + (["fc.weight", "fc.bias"] if classes else []))


# ---------------------------------------------------------------------------- checks

def expect_error(kind, needle, call):
    try:
        call()
    except kind as e:
        check(needle in str(e), f"expected {needle!r} in the message, got: {e}")
        print(f"  {kind.__name__}: {str(e)[:150]}")
        return
    fail(f"expected {kind.__name__} containing {needle!r}, nothing was raised")


def check_numpy(run, data, logits_path, log_path):
    config = nio.read_config(run)
    check(config["dataset"] == "cifar10:" + data and config["model"]["width"] == 4, f"config.json: {config}")

    # metrics.csv against the progress lines the binary printed ("step S/T  loss L").
    metrics = nio.read_metrics(run)
    printed = [(int(s), float(l)) for s, l in re.findall(r"step (\d+)/\d+  loss ([0-9.]+)", open(log_path).read())]
    check(list(metrics["step"]) == [s for s, _ in printed], f"steps {metrics['step']} vs printed {printed}")
    loss_gap = max(abs(a - l) for a, (_, l) in zip(metrics["loss"], printed))
    check(loss_gap <= 5e-5 + 1e-9, f"metrics.csv loss differs from the printed (%.4f) loss by {loss_gap}")
    # Test accuracy at each epoch end but the last, whose evaluation is result.json's.
    evaluated = ~np.isnan(metrics["test_acc"])
    check(list(metrics["step"][evaluated]) == [10], f"test accuracy at steps {metrics['step'][evaluated]}")
    result = nio.read_result(run)
    check(result["steps"] == metrics["step"][-1] == 20, f"result.json steps {result['steps']}")
    _, labels = test_images(data)
    logits = np.load(logits_path)
    top1 = 100.0 * np.mean(np.argmax(logits, axis=1) == labels)
    check(abs(result["test_top1"] - top1) <= 1e-9, f"result.json test_top1 {result['test_top1']}, predict's {top1}")
    print(f"metrics.csv: {len(metrics['step'])} rows, columns {list(metrics)}; loss = printed to {loss_gap:.1e}; "
          f"test top-1 {result['test_top1']}")

    # The checkpoint: the newest step, every key and value as the independent reader gives them.
    latest = os.path.join(run, "checkpoints", "step-000000020", "model.safetensors")
    check(nio.checkpoint_file(run) == latest, f"latest checkpoint {nio.checkpoint_file(run)}")
    state = nio.read_checkpoint(run)
    reference, meta = read_safetensors.read(latest)
    check(set(state) == set(reference) == resnet18_names(4, 10), f"keys {sorted(state)}")
    for name, array in state.items():
        check(array.dtype == reference[name].dtype and np.array_equal(array, reference[name]), f"{name} differs")
    check(state["conv1.weight"].shape == (4, 3, 3, 3) and state["fc.weight"].shape == (10, 32), "shapes")
    check(all(v.item() == 20 for k, v in state.items() if k.endswith("num_batches_tracked")), "num_batches_tracked")
    check("divided by 255" in meta["preprocessing"], meta["preprocessing"])
    for path in (os.path.dirname(latest), latest):
        check(all(np.array_equal(a, state[k]) for k, a in nio.read_checkpoint(path).items()), path)
    print(f"checkpoint: {len(state)} tensors, bit-identical to tests/fixtures/read_safetensors.py's reading")

    # Logits: a float64 numpy ResNet-18 over the test images vs `nanossl predict`'s.
    images, _ = test_images(data)
    check(logits.shape == (len(images), 10), f"predict's logits have shape {logits.shape}")
    error = relative_error(resnet18_cifar(images, state), logits)
    print(f"numpy ResNet-18 vs predict: max relative error {error:.2e} (max |a-b| / max |b|)")
    check(error <= 1e-5, f"relative error {error} above 1e-5")

    check_errors(run, latest)


def check_errors(run, latest):
    print("errors:")
    scratch = tempfile.mkdtemp(prefix="nanossl_io-")
    try:
        blob = open(latest, "rb").read()
        path = os.path.join(scratch, "model.safetensors")

        def write(data):
            with open(path, "wb") as f:
                f.write(data)

        write(blob[:len(blob) - 7])
        expect_error(nio.FormatError, "truncated", lambda: nio.read_checkpoint(path))
        expect_error(nio.FormatError, path, lambda: nio.read_checkpoint(path))
        write(blob[:5])
        expect_error(nio.FormatError, "shorter than the 8-byte header length", lambda: nio.read_checkpoint(path))
        write(blob[:8] + b"{not json" + blob[17:])
        expect_error(nio.FormatError, "bad header: invalid JSON", lambda: nio.read_checkpoint(path))
        write(blob[:-1] + bytes([blob[-1] ^ 1]))
        expect_error(nio.FormatError, "crc32 mismatch", lambda: nio.read_checkpoint(path))
        missing = os.path.join(scratch, "no-such-run")
        expect_error(FileNotFoundError, missing + " does not exist", lambda: nio.read_checkpoint(missing))
        expect_error(FileNotFoundError, missing + " does not exist", lambda: nio.read_metrics(missing))
        empty = os.path.join(scratch, "empty")
        os.makedirs(empty)
        expect_error(FileNotFoundError, "has no checkpoints/", lambda: nio.read_checkpoint(empty))

        # A damaged newer checkpoint is skipped (as load_latest_checkpoint does); an
        # unfinished save's .tmp- directory is never read.
        copy = os.path.join(scratch, "run")
        shutil.copytree(run, copy)
        newer = os.path.join(copy, "checkpoints", "step-000000099")
        shutil.copytree(os.path.dirname(latest).replace(run, copy), newer)
        open(os.path.join(newer, "model.safetensors"), "r+b").truncate(1000)
        os.makedirs(os.path.join(copy, "checkpoints", ".tmp-step-000000100"))
        chosen = nio.checkpoint_file(copy)
        check(chosen.endswith("step-000000020/model.safetensors"), f"chose {chosen}")
        print(f"  damaged step-000000099 skipped, read {os.path.relpath(chosen, copy)}")

        # A partial last row (a run killed mid-write) is dropped; empty cells are NaN.
        with open(os.path.join(copy, "metrics.csv"), "a") as f:
            f.write("21,2,0.01")
        metrics = nio.read_metrics(copy)
        check(len(metrics["step"]) == 20 and math.isnan(metrics["test_acc"][0]), "partial row")
    finally:
        shutil.rmtree(scratch)


def check_torch(run, data, logits_path, pretrain_run):
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (Debian: apt-get install python3-torch python3-torchvision)")
        sys.exit(SKIP)
    torch.set_num_threads(1)
    images, _ = test_images(data)
    logits = np.load(logits_path)
    model = nio.torchvision_resnet(run)
    check(not model.training and isinstance(model.maxpool, torch.nn.Identity), "eval mode, CIFAR stem")
    with torch.no_grad():
        out = model(torch.from_numpy(images)).numpy()
    check(out.dtype == np.float32 and out.shape == logits.shape, f"torchvision output {out.dtype} {out.shape}")
    error = relative_error(out, logits)
    print(f"torchvision {torchvision.__version__} ResNet-18 (width 4, CIFAR stem) vs predict: "
          f"max relative error {error:.2e} (max |a-b| / max |b|)")
    check(error <= 1e-5, f"relative error {error} above 1e-5")

    # A pretraining run: its encoder.* only, fc = Identity, features as numpy computes them.
    encoder = nio.torchvision_resnet(pretrain_run)
    check(isinstance(encoder.fc, torch.nn.Identity), "a pretraining run's model has fc = Identity")
    with torch.no_grad():
        features = encoder(torch.from_numpy(images)).numpy()
    state = {k[len("encoder."):]: v for k, v in nio.read_checkpoint(pretrain_run).items() if k.startswith("encoder.")}
    error = relative_error(features, resnet18_cifar(images, state))
    print(f"pretraining encoder: features {features.shape}, vs numpy: max relative error {error:.2e}")
    check(features.shape == (len(images), 32) and error <= 1e-5, "pretraining encoder features")

    # A mismatched state is refused by name.
    scratch = tempfile.mkdtemp(prefix="nanossl_io-")
    try:
        blob = open(nio.checkpoint_file(run), "rb").read()
        # Same length, so the header length stays right.
        renamed = blob.replace(b'"fc.bias"', b'"fc.biaz"', 1).replace(b"crc32.fc.bias", b"crc32.fc.biaz", 1)
        path = os.path.join(scratch, "model.safetensors")
        open(path, "wb").write(renamed)
        expect_error(nio.FormatError, "missing fc.bias; unexpected fc.biaz", lambda: nio.torchvision_resnet(path))
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "data":
        make_data(*args)
        print(f"wrote a CIFAR-10-format dataset to {args[0]}")
        sys.exit(0)
    elif mode == "numpy":
        check_numpy(*args)
    elif mode == "torch":
        check_torch(*args)
    else:
        fail(f"unknown mode {mode}")
    print("ok")
