"""PyTorch reference for `./build.sh bench`: the same Gatys step (VGG19 to relu5_1 from the same weights file,
content MSE at relu4_2, Gram MSE at relu1_1..relu5_1, total variation, Adam on the pixels clamped to [0, 1]) at the
same sizes, in fp32 and TF32, printing ms per step and peak GPU memory as a table and JSON.

Usage: python3 src/bin/bench_pytorch.py [--sizes 256,512,1024,2048] [--steps 20] [--weights data/vgg19/...]
Needs only torch (and a CUDA GPU for meaningful numbers; it runs on the CPU otherwise).
"""

import argparse
import json
import struct
import time

import torch
import torch.nn.functional as F

LAYERS = [("conv1_1", False), ("conv1_2", False), ("conv2_1", True), ("conv2_2", False), ("conv3_1", True),
          ("conv3_2", False), ("conv3_3", False), ("conv3_4", False), ("conv4_1", True), ("conv4_2", False),
          ("conv4_3", False), ("conv4_4", False), ("conv5_1", True)]
CONTENT = [9]               # relu4_2
STYLE = [0, 2, 4, 8, 12]    # relu1_1, relu2_1, relu3_1, relu4_1, relu5_1
MEAN_BGR = torch.tensor([103.939, 116.779, 123.68])


def load_weights(path, device):
    """safetensors by hand (no extra package): U8 tensors dequantised with the header's scale and min."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        raw = bytearray(data[base + a:base + b])
        if info["dtype"] == "U8":
            t = torch.frombuffer(raw, dtype=torch.uint8).float() * float(meta[name + ".scale"]) + float(meta[name + ".min"])
        elif info["dtype"] == "F16":
            t = torch.frombuffer(raw, dtype=torch.float16).float()
        else:
            t = torch.frombuffer(raw, dtype=torch.float32).clone()
        out[name] = t.reshape(info["shape"]).to(device)
    # HWIO -> OIHW for conv2d
    return [(out[f"{n}.weight"].permute(3, 2, 0, 1).contiguous(), out[f"{n}.bias"], pool) for n, pool in LAYERS]


def features(x, layers):
    """x: [1, 3, H, W] RGB in 0..1 -> the 13 ReLU outputs (Caffe BGR 0..255 mean-subtracted input)."""
    h = x.flip(1) * 255.0 - MEAN_BGR.to(x.device).view(1, 3, 1, 1)
    feats = []
    for w, b, pool in layers:
        if pool:
            h = F.max_pool2d(h, 2)
        h = F.relu(F.conv2d(h, w, b, padding=1))
        feats.append(h)
    return feats


def gram(f):
    _, c, h, w = f.shape
    m = f.reshape(c, h * w)
    return m @ m.t() / (c * h * w)


def step_fn(layers, content_target, style_targets, cw=5.0, sw=500.0, tvw=1000.0):
    def loss_of(x):
        feats = features(x, layers)
        loss = sum(cw * F.mse_loss(feats[i], t) for i, t in zip(CONTENT, content_target))
        loss = loss + sum(sw * F.mse_loss(gram(feats[i]), t) for i, t in zip(STYLE, style_targets))
        d = x * 255.0
        tv = ((d[:, :, :, 1:] - d[:, :, :, :-1]) ** 2).sum() + ((d[:, :, 1:, :] - d[:, :, :-1, :]) ** 2).sum()
        return loss + tvw * tv / (x.shape[2] * x.shape[3])
    return loss_of


def bench(size, steps, layers, device, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    g = torch.Generator().manual_seed(0)
    photo = torch.rand(1, 3, size, size, generator=g).to(device)
    painting = torch.rand(1, 3, size, size, generator=g).to(device)
    with torch.no_grad():
        pf = features(photo, layers)
        sf = features(painting, layers)
        content_target = [pf[i] for i in CONTENT]
        style_targets = [gram(sf[i]) for i in STYLE]
        del pf, sf
    loss_of = step_fn(layers, content_target, style_targets)
    x = photo.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.02)

    def one():
        opt.zero_grad(set_to_none=True)
        loss = loss_of(x)
        loss.backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)

    for _ in range(3):
        one()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(steps):
        one()
    if device == "cuda":
        torch.cuda.synchronize()
    ms = (time.perf_counter() - t) * 1000 / steps
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else None
    return ms, peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,1024,2048")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--weights", default="data/vgg19/vgg19-conv-u8.safetensors")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"PyTorch {torch.__version__} on {name}")
    layers = load_weights(args.weights, device)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for tf32 in ([False, True] if device == "cuda" else [False]):
            try:
                ms, peak = bench(size, args.steps, layers, device, tf32)
            except torch.cuda.OutOfMemoryError:
                print(f"{size} px: out of memory")
                torch.cuda.empty_cache()
                continue
            mode = "tf32" if tf32 else "fp32"
            rows.append({"size": size, "mode": mode, "ms_per_step": round(ms, 3),
                         "peak_bytes": peak})
            print(f"{size} px {mode}: {ms:.1f} ms/step, peak {peak / 1e6 if peak else float('nan'):.0f} MB")
            if device == "cuda":
                torch.cuda.empty_cache()
    print("\n| size | mode | ms/step | steps/s | peak MB |\n|---|---|---|---|---|")
    for r in rows:
        peak = f"{r['peak_bytes'] / 1e6:.0f}" if r["peak_bytes"] else "-"
        print(f"| {r['size']} | {r['mode']} | {r['ms_per_step']:.1f} | {1000 / r['ms_per_step']:.1f} | {peak} |")
    print("\n" + json.dumps({"framework": "pytorch", "device": name, "steps": args.steps, "results": rows}))


if __name__ == "__main__":
    main()
