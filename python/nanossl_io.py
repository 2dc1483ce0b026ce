"""Read a nanossl run directory from Python (docs/python.md).

    import nanossl_io as nio
    metrics = nio.read_metrics("runs/fashion")      # {"step": array, "loss": array, ...}
    result = nio.read_result("runs/fashion")        # result.json
    config = nio.read_config("runs/fashion")        # config.json
    state = nio.read_checkpoint("runs/fashion")     # {"conv1.weight": array, ...}
    model = nio.torchvision_resnet("runs/fashion")  # torchvision ResNet, weights loaded

Needs numpy only; torch and torchvision are imported by torchvision_resnet alone.
One file, no build step: copy it anywhere or put python/ on sys.path.
"""
import csv
import json
import math
import os
import re
import struct
import sys
import zlib

import numpy as np

__all__ = ["FormatError", "read_metrics", "read_result", "read_config", "read_checkpoint",
           "read_safetensors", "checkpoint_file", "torchvision_resnet"]


class FormatError(ValueError):
    """A file that exists but is not what nanossl writes (truncated, bad header, ...)."""


# Safetensors dtype -> numpy dtype (little-endian, as the format stores it). nanossl
# writes F32, F64, I64 and U8; the others are read so files from other tools load too.
# BF16 has no numpy type: it is widened to float32 (exact) after reading.
_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
           "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_MAX_HEADER = 100 * 1000 * 1000  # the C++ reader's limit too (nn/safetensors.cpp)
_STEP_DIR = re.compile(r"^step-(\d+)$")


def _require_dir(run_dir):
    run_dir = os.fspath(run_dir)
    if not os.path.isdir(run_dir):
        what = "is not a directory" if os.path.exists(run_dir) else "does not exist"
        raise FileNotFoundError(f"[nanossl_io] run directory {run_dir} {what}")
    return run_dir


def _run_file(run_dir, name, hint):
    path = os.path.join(_require_dir(run_dir), name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[nanossl_io] {path} is missing ({hint})")
    return path


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FormatError(f"[nanossl_io] {path}: invalid JSON: {e}") from None


# ---------------------------------------------------------------------------- run files

def read_metrics(run_dir):
    """metrics.csv as {column: numpy array}, in file order.

    Numbers become float64; an empty cell (e.g. test accuracy on a step without an
    evaluation) is NaN. A column holding any non-numeric text stays an array of str.
    A last line without its newline (a run killed while writing it) is dropped, as
    the run itself drops it on --resume."""
    path = _run_file(run_dir, "metrics.csv", "written by train, finetune, pretrain, linear and knn")
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if not text:
        raise FormatError(f"[nanossl_io] {path}: empty file (no header)")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    elif len(lines) > 1:
        lines.pop()  # a partial last row
    rows = list(csv.reader(lines))
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise FormatError(f"[nanossl_io] {path}: line {number} has {len(row)} cells, the header {len(header)}")
    columns = {}
    for i, name in enumerate(header):
        cells = [row[i] for row in body]
        try:
            columns[name] = np.array([float(c) if c.strip() else math.nan for c in cells], dtype=np.float64)
        except ValueError:
            columns[name] = np.array(cells, dtype=str)
    return columns


def read_result(run_dir):
    """result.json, parsed (it is written last: its absence means the run has not finished)."""
    return _read_json(_run_file(run_dir, "result.json", "the run has not finished, or it failed"))


def read_config(run_dir):
    """config.json: the run's resolved configuration."""
    return _read_json(_run_file(run_dir, "config.json", "not a nanossl run directory?"))


# ---------------------------------------------------------------------------- safetensors

def read_safetensors(path, verify_crc=True):
    """One safetensors file as ({name: numpy array}, {metadata key: str}).

    Checks what the C++ reader checks (nn/safetensors.cpp): the header's length and
    JSON, every entry's dtype, shape and offsets, and that the tensors tile the data
    section exactly; with verify_crc, every "crc32.NAME" the metadata holds. Each
    problem raises FormatError naming the file."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        blob = bytearray(f.read())  # bytearray: the arrays below are writable views of it

    def bad(message):
        return FormatError(f"[nanossl_io] {path}: {message}")

    if len(blob) < 8:
        raise bad(f"truncated: {len(blob)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > _MAX_HEADER:
        raise bad(f"header length {n} is above the {_MAX_HEADER}-byte limit (not a safetensors file?)")
    if 8 + n > len(blob):
        raise bad(f"truncated: the header claims {n} bytes, the file has {len(blob) - 8} after the length")
    try:
        header = json.loads(bytes(blob[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"bad header: invalid JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("bad header: not a JSON object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise bad("bad header: __metadata__ is not an object of strings")

    data = memoryview(blob)[8 + n:]
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or not all(k in info for k in ("dtype", "shape", "data_offsets")):
            raise bad(f"bad header: tensor '{name}' lacks dtype, shape or data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _DTYPES:
            raise bad(f"tensor '{name}' has unsupported dtype {dtype!r} (this reader knows {', '.join(_DTYPES)})")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad(f"tensor '{name}' has a bad shape {str(shape)[:100]}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise bad(f"tensor '{name}' has bad data_offsets {str(offsets)[:100]}")
        size = math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != size:
            raise bad(f"tensor '{name}': shape {shape} of {dtype} needs {size} bytes, "
                      f"its offsets span {offsets[1] - offsets[0]}")
        spans.append((offsets[0], offsets[1], name, dtype, shape))

    # The tensors must tile the data section: no overlap, no hole, nothing after.
    end = 0
    for begin, stop, name, _, _ in sorted(spans):
        if begin != end and stop != begin:  # empty tensors may sit anywhere
            raise bad(f"tensor '{name}' starts at byte {begin} of the data, the previous one ends at {end} "
                      f"({'overlap' if begin < end else 'hole'})")
        end = max(end, stop)
    if end != len(data):
        raise bad(f"truncated: the tensors end at data byte {end}, the file's data section has {len(data)}"
                  if end > len(data) else f"{len(data) - end} bytes after the last tensor")

    tensors, mismatches = {}, []
    for begin, stop, name, dtype, shape in sorted(spans, key=lambda s: s[2]):
        raw = data[begin:stop]
        crc = meta.get("crc32." + name)
        if verify_crc and crc is not None:
            if not re.fullmatch(r"[0-9a-fA-F]{1,8}", crc):
                raise bad(f"bad header: crc32.{name} is {crc[:100]!r}, not hexadecimal")
            if int(crc, 16) != zlib.crc32(raw):
                mismatches.append(f"'{name}' (stored {crc}, computed {zlib.crc32(raw):08x})")
        array = np.frombuffer(raw, dtype=_DTYPES[dtype]).reshape(shape)
        if not array.flags.aligned:  # tensors are packed: an i64 after an odd-sized f32 one
            array = array.copy()
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array
    if mismatches:
        raise bad("crc32 mismatch for tensor " + ", ".join(mismatches))
    return tensors, meta


def _complete_checkpoints(checkpoints):
    """step-N directories holding both files, newest (largest N) first."""
    found = []
    for entry in os.listdir(checkpoints):
        match = _STEP_DIR.match(entry)
        directory = os.path.join(checkpoints, entry)
        if match and all(os.path.isfile(os.path.join(directory, f)) for f in ("model.safetensors", "state.safetensors")):
            found.append((int(match.group(1)), directory))
    return [d for _, d in sorted(found, reverse=True)]


def checkpoint_file(path):
    """The model.safetensors that read_checkpoint(path) reads.

    path: a .safetensors file, a checkpoint directory (holding model.safetensors),
    or a run directory, whose newest checkpoint under checkpoints/step-N/ that reads
    and verifies is taken (as nanossl's load_latest_checkpoint: a damaged newer one
    is reported on stderr and skipped). The .tmp-* directories of unfinished saves
    are never looked at."""
    path = os.fspath(path)
    if os.path.isfile(path):
        return path
    _require_dir(path)
    if os.path.isfile(os.path.join(path, "model.safetensors")):
        return os.path.join(path, "model.safetensors")
    checkpoints = os.path.join(path, "checkpoints")
    if not os.path.isdir(checkpoints):
        raise FileNotFoundError(f"[nanossl_io] {path} has no checkpoints/ directory and no model.safetensors "
                                "(a linear or knn run keeps no checkpoint)")
    for directory in _complete_checkpoints(checkpoints):
        candidate = os.path.join(directory, "model.safetensors")
        try:
            read_safetensors(candidate)
            return candidate
        except FormatError as e:
            print(f"{e} (skipped: trying an older checkpoint)", file=sys.stderr)
    raise FileNotFoundError(f"[nanossl_io] {path}: no complete checkpoint in {checkpoints}")


def read_checkpoint(run_dir_or_file):
    """The model state {name: numpy array} of a run's newest complete checkpoint
    (or of the checkpoint directory or .safetensors file given): torchvision names,
    float32 weights and int64 num_batches_tracked. A pretraining run's keys carry
    its prefixes (encoder.*, head.*, ...: docs/checkpoints.md)."""
    return read_safetensors(checkpoint_file(run_dir_or_file))[0]


# ---------------------------------------------------------------------------- torchvision

# Each depth's block kind and blocks per stage (nn/resnet.cpp's stage_blocks), the
# one table both reading a checkpoint's depth and building its torchvision model use.
_STAGES = {10: ("basic", (1, 1, 1, 1)), 18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)),
           50: ("bottleneck", (3, 4, 6, 3))}
_DEPTHS = {stages: depth for depth, stages in _STAGES.items()}


def _architecture(state, source):
    """Depth, stem, width and input channels, read off the weights themselves."""
    if "conv1.weight" not in state or state["conv1.weight"].ndim != 4:
        raise FormatError(f"[nanossl_io] {source}: no 4-D conv1.weight: not a nanossl ResNet")
    width, channels, kernel, _ = state["conv1.weight"].shape
    stems = {3: "cifar", 7: "imagenet"}
    if kernel not in stems:
        raise FormatError(f"[nanossl_io] {source}: conv1 is {kernel}x{kernel}; nanossl's stems are 3x3 or 7x7")
    blocks = tuple(len({k.split(".")[1] for k in state if k.startswith(f"layer{i}.")}) for i in range(1, 5))
    block = "bottleneck" if "layer1.0.conv3.weight" in state else "basic"
    if (block, blocks) not in _DEPTHS:
        raise FormatError(f"[nanossl_io] {source}: {block} blocks per stage {blocks} match no ResNet-10/18/34/50")
    return _DEPTHS[(block, blocks)], stems[kernel], int(width), int(channels)


def _run_config(path):
    """The configuration a checkpoint was trained with: its state.safetensors holds it."""
    directory = os.path.dirname(os.path.abspath(path))
    state = os.path.join(directory, "state.safetensors")
    if os.path.isfile(state):
        return json.loads(read_safetensors(state, verify_crc=False)[1].get("config", "{}"))
    config = os.path.join(os.path.dirname(os.path.dirname(directory)), "config.json")
    return _read_json(config) if os.path.isfile(config) else {}


def torchvision_resnet(run_dir_or_file):
    """A torchvision ResNet holding the run's trained weights, in eval mode.

    Depth (10/18/34/50), stem, base width and input channels come from the checkpoint
    and are checked against the run's configuration. The CIFAR stem is a 3x3
    stride-1 conv1 with no max-pool (maxpool = Identity); a base width w gives stages
    of w, 2w, 4w, 8w channels (torchvision's 64, 128, 256, 512 at w = 64). A train or
    finetune checkpoint keeps its classifier fc; a pretraining checkpoint gives its
    encoder.* with fc = Identity (the forward returns the pooled features). Every
    weight is loaded strictly: a missing, unexpected or mis-shaped key is an error.

    Inputs are what nanossl feeds: (N, C, H, W) float32 bytes / 255, no mean/std
    normalisation (a checkpoint's metadata "preprocessing" says so in words)."""
    import torch
    import torchvision

    path = checkpoint_file(run_dir_or_file)
    state = read_safetensors(path)[0]
    if any(k.startswith("encoder.") for k in state):
        # A pretraining run: keep the encoder (which has no fc), drop head, momentum, ...
        state = {k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")}
    depth, stem, width, channels = _architecture(state, path)
    model_config = _run_config(path).get("model", {})
    for key, value in (("depth", depth), ("stem", stem), ("width", width)):
        if key in model_config and model_config[key] != value:
            raise FormatError(f"[nanossl_io] {path}: the weights are of model.{key}={value}, "
                              f"the run's configuration says {model_config[key]}")

    nn = torch.nn
    resnet = torchvision.models.resnet
    kind, blocks = _STAGES[depth]
    block = resnet.Bottleneck if kind == "bottleneck" else resnet.BasicBlock
    layers = list(blocks)
    model = resnet.ResNet(block, layers)
    # torchvision fixes the base width at 64; rebuild the stem and the stages at
    # `width` with its own _make_layer, which advances model.inplanes as it goes.
    model.inplanes = width
    if stem == "cifar":
        model.conv1 = nn.Conv2d(channels, width, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    else:
        model.conv1 = nn.Conv2d(channels, width, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(width)
    model.layer1 = model._make_layer(block, width, layers[0])
    model.layer2 = model._make_layer(block, width * 2, layers[1], stride=2)
    model.layer3 = model._make_layer(block, width * 4, layers[2], stride=2)
    model.layer4 = model._make_layer(block, width * 8, layers[3], stride=2)
    features = width * 8 * block.expansion
    if "fc.weight" in state:
        model.fc = nn.Linear(features, state["fc.weight"].shape[0])
    else:
        model.fc = nn.Identity()

    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = [f"{k} has shape {list(state[k].shape)}, expected {list(expected[k].shape)}"
                 for k in sorted(set(state) & set(expected)) if tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or misshaped:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(unexpected)}"] if unexpected else []) + misshaped
        raise FormatError(f"[nanossl_io] {path} does not match a torchvision ResNet-{depth} "
                          f"({stem} stem, width {width}): " + "; ".join(parts))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return model.eval()
