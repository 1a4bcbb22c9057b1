"""PyTorch reference for `./build.sh bench`: the same Gatys step (VGG19 to relu5_1 from the same weights file,
content MSE at relu4_2, Gram MSE at relu1_1..relu5_1, total variation, Adam on the pixels clamped to [0, 1]) at the
same sizes, in fp32 and TF32, printing ms per step and peak GPU memory as a table and JSON.

Usage: python3 src/bin/bench_pytorch.py [--sizes 256,512,1024,2048] [--steps 20] [--weights data/vgg19/...]
       python3 src/bin/bench_pytorch.py --fidelity 100 --inputs DIR --sizes 512
The second form prints the losses of the first step and of step 100 (fp32, Adam) on the photo and painting that
`bench --fidelity 100 --inputs-out DIR` wrote, exactly as Artsy saw them, for comparing the two implementations.
Needs only torch (and a CUDA GPU for meaningful numbers; it runs on the CPU otherwise); --fidelity also Pillow.
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


def loss_terms_fn(layers, content_target, style_targets, cw=5.0, sw=500.0, tvw=1000.0):
    """x -> (content, style, tv) as Artsy defines them with its default settings."""
    def terms(x):
        feats = features(x, layers)
        content = sum(cw * F.mse_loss(feats[i], t) for i, t in zip(CONTENT, content_target))
        style = sum(sw * F.mse_loss(gram(feats[i]), t) for i, t in zip(STYLE, style_targets))
        d = x * 255.0
        tv = ((d[:, :, :, 1:] - d[:, :, :, :-1]) ** 2).sum() + ((d[:, :, 1:, :] - d[:, :, :-1, :]) ** 2).sum()
        return content, style, tvw * tv / (x.shape[2] * x.shape[3])
    return terms


def step_fn(layers, content_target, style_targets):
    terms = loss_terms_fn(layers, content_target, style_targets)
    return lambda x: sum(terms(x))


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


def load_picture(path, device):
    from PIL import Image
    img = Image.open(path).convert("RGB")
    t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).float() / 255.0
    return t.reshape(img.size[1], img.size[0], 3).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def fidelity(size, steps, inputs, layers, device):
    """Losses at the first step and at step `steps`: Adam (lr 0.02) from the photo, pixels clamped to [0, 1]."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    photo = load_picture(f"{inputs}/photo_{size}.png", device)
    painting = load_picture(f"{inputs}/painting_{size}.png", device)
    with torch.no_grad():
        content_target = [features(photo, layers)[i] for i in CONTENT]
        sf = features(painting, layers)
        style_targets = [gram(sf[i]) for i in STYLE]
    terms = loss_terms_fn(layers, content_target, style_targets)
    x = photo.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.02)
    rows = []
    for k in range(1, steps + 1):
        opt.zero_grad(set_to_none=True)
        c, s, tv = terms(x)
        (c + s + tv).backward()
        if k in (1, steps):
            row = {"size": size, "step": k, "content": c.item(), "style": s.item(), "tv": tv.item(),
                   "total": (c + s + tv).item()}
            print(f"{size} px step {k}: content {row['content']:.6e} style {row['style']:.6e} "
                  f"tv {row['tv']:.6e} total {row['total']:.6e}")
            rows.append(row)
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,1024,2048")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--weights", default="data/vgg19/vgg19-conv-u8.safetensors")
    ap.add_argument("--fidelity", type=int, metavar="N", help="losses at step 1 and step N instead of timing")
    ap.add_argument("--inputs", default="out/fidelity", help="with --fidelity: photo_SIZE.png, painting_SIZE.png")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"PyTorch {torch.__version__} on {name}")
    layers = load_weights(args.weights, device)
    if args.fidelity:
        rows = [r for size in args.sizes.split(",") for r in fidelity(int(size), args.fidelity, args.inputs,
                                                                       layers, device)]
        print("\n" + json.dumps({"framework": "pytorch", "device": name, "fidelity": rows}))
        return
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
