"""The filter network's training recipe (src/training.rs) in PyTorch, for trying recipes in minutes on a CPU.

The same network (src/filter_net/: 9x9 conv, two stride-2 convs, five residual blocks, two nearest-upsample convs,
9x9 conv, sigmoid; instance norm, reflection padding, the same first weights' ranges), the same crops (random
position, scale and mirroring from photos kept with their shorter side between one and two crops), the same loss
as the engine measures it (bench_pytorch.py's VGG19 and Gram; content at relu2_2 with weight 500, style 500 at
relu1_1..relu5_1, TV 1000, per crop, summed over the batch) and Adam. Every --eval-every steps the network is
applied to the two held-out photos (the cat and Grace Hopper) and its losses printed, the style loss layer by layer,
with the energy of its relu4_1 features (their Gram matrix's trace) against the painting's.
At --crop 128 and --style-size/--eval-size 256 (the defaults) it is the engine's 256/512 px recipe at half scale.

Usage (from the repository root; needs torch and Pillow):
  python3 src/bin/filter_recipe_pytorch.py --reference       # the optimisation (L-BFGS) after 100 and 500 steps
  python3 src/bin/filter_recipe_pytorch.py --painting-crops  # the painting's own crops against the whole painting
  python3 src/bin/filter_recipe_pytorch.py [--steps 1000] [--lr 1e-3] [--lr-end 1e-4 --warmup 100] [--crop 128]
          [--batch 4] [--width 16] [--batch-gram] [--threads 2]
--lr-end decays the learning rate along a cosine after --warmup steps; --batch-gram matches the mean of the batch's
Gram matrices to the painting's instead of each crop's.
"""

import argparse
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_pytorch as vgg  # noqa: E402

IMAGES = "assets/images"
WEIGHTS = "assets/vgg19/vgg19-conv-u8.safetensors"
HELD_OUT = ["content_chelsea_cat.png", "content_grace_hopper.jpg"]
STYLE_NAMES = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CONTENT_LAYER = 3  # relu2_2


def picture(path, longer=None):
    img = Image.open(path).convert("RGB")
    if longer:
        k = longer / max(img.size)
        img = img.resize((max(1, round(img.size[0] * k)), max(1, round(img.size[1] * k))), Image.BILINEAR)
    t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).float() / 255.0
    return t.reshape(img.size[1], img.size[0], 3).permute(2, 0, 1).contiguous()


class InstanceNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(c))
        self.shift = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        m = x.mean((2, 3), keepdim=True)
        v = ((x - m) ** 2).mean((2, 3), keepdim=True)
        return (x - m) / torch.sqrt(v + 1e-5) * self.scale.view(1, -1, 1, 1) + self.shift.view(1, -1, 1, 1)


def conv(cin, cout, k, stride=1, bias=False):
    c = nn.Conv2d(cin, cout, k, stride=stride, bias=bias)
    bound = math.sqrt(3.0 / (k * k * cin))
    nn.init.uniform_(c.weight, -bound, bound)
    if bias:
        nn.init.zeros_(c.bias)
    return c


class FilterNet(nn.Module):
    def __init__(self, width):
        super().__init__()
        c1, c2, c3 = width, 2 * width, 4 * width
        self.down = nn.ModuleList([conv(3, c1, 9), conv(c1, c2, 3, 2), conv(c2, c3, 3, 2)])
        self.res = nn.ModuleList([conv(c3, c3, 3) for _ in range(10)])
        self.up = nn.ModuleList([conv(c3, c2, 3), conv(c2, c1, 3)])
        self.norms = nn.ModuleList([InstanceNorm(c) for c in [c1, c2, c3] + [c3] * 10 + [c2, c1]])
        self.last = conv(c1, 3, 9, bias=True)

    def forward(self, x):
        pad = lambda t, k: F.pad(t, (k // 2,) * 4, mode="reflect")
        n = iter(self.norms)
        for c in self.down:
            x = F.relu(next(n)(c(pad(x, c.kernel_size[0]))))
        for i in range(0, 10, 2):
            y = F.relu(next(n)(self.res[i](pad(x, 3))))
            x = x + next(n)(self.res[i + 1](pad(y, 3)))
        for c in self.up:
            x = F.relu(next(n)(c(pad(F.interpolate(x, scale_factor=2, mode="nearest"), 3))))
        return torch.sigmoid(self.last(pad(x, 9)))


def grams(f):
    n, c, h, w = f.shape
    m = f.reshape(n, c, h * w)
    return m @ m.transpose(1, 2) / (c * h * w)


class Loss:
    """The engine's loss of each picture of a batch against its own photo, summed; style also layer by layer."""

    def __init__(self, layers, painting, a):
        self.layers, self.a = layers, a
        with torch.no_grad():
            f = vgg.features(painting.unsqueeze(0), layers)
            self.targets = [grams(f[i])[0] for i in vgg.STYLE]

    def __call__(self, x, photos, batch_gram=False):
        f = vgg.features(x, self.layers)
        with torch.no_grad():
            target = vgg.features(photos, self.layers[: CONTENT_LAYER + 1])[CONTENT_LAYER]
        n = x.shape[0]
        # relu4_1's energy (its Gram matrix's trace, the mean over the batch) against the painting's
        with torch.no_grad():
            relu4_1 = vgg.STYLE.index(8)
            self.energy = (torch.diagonal(grams(f[8]), dim1=1, dim2=2).sum(1).mean()
                           / torch.trace(self.targets[relu4_1])).item()
        content = self.a.cw * ((f[CONTENT_LAYER] - target) ** 2).mean((1, 2, 3)).sum()
        if batch_gram and n > 1:
            style = [n * self.a.sw * ((grams(f[i]).mean(0) - t) ** 2).mean() for i, t in zip(vgg.STYLE, self.targets)]
        else:
            style = [self.a.sw * ((grams(f[i]) - t) ** 2).mean((1, 2)).sum() for i, t in zip(vgg.STYLE, self.targets)]
        d = x * 255.0
        tv = ((d[:, :, :, 1:] - d[:, :, :, :-1]) ** 2).sum() + ((d[:, :, 1:, :] - d[:, :, :-1, :]) ** 2).sum()
        return content, style, self.a.tvw * tv / (x.shape[2] * x.shape[3])


def show(name, content, style, loss, n=1):
    layers = " ".join(f"{l} {v.item() / n:.2e}" for l, v in zip(STYLE_NAMES, style))
    return (f"{name}: content {content.item() / n:.3e} style {sum(style).item() / n:.3e} ({layers}); "
            f"relu4_1 energy {100 * loss.energy:.0f}% of the painting's")


def kept(path, crop):
    img = picture(path)
    _, h, w = img.shape
    side = min(max(min(h, w), crop), 2 * crop)
    k = side / min(h, w)
    size = (max(side, round(h * k)), max(side, round(w * k)))
    return F.interpolate(img.unsqueeze(0), size=size, mode="bilinear", align_corners=False)[0]


def random_crop(photos, crop, rng):
    p = photos[rng.randrange(len(photos))]
    _, h, w = p.shape
    side = rng.uniform(crop, max(min(h, w), crop))
    x0, y0 = rng.uniform(0, max(w - side, 0)), rng.uniform(0, max(h - side, 0))
    at = (torch.arange(crop) + 0.5) * side / crop - 0.5
    gy, gx = (y0 + at) / (h - 1) * 2 - 1, (x0 + at) / (w - 1) * 2 - 1
    grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], -1).unsqueeze(0)
    out = F.grid_sample(p.unsqueeze(0), grid, mode="bilinear", padding_mode="border", align_corners=True)[0]
    return out.flip(2) if rng.random() < 0.5 else out


def held_out(a):
    return {name: picture(f"{IMAGES}/{name}", a.eval_size) for name in HELD_OUT}


def evaluate(net, loss, photos):
    with torch.no_grad():
        for name, t in photos.items():
            h, w = (t.shape[1] + 3) // 4 * 4, (t.shape[2] + 3) // 4 * 4
            y = net(F.interpolate(t.unsqueeze(0), size=(h, w), mode="bilinear", align_corners=False))
            y = F.interpolate(y, size=t.shape[1:], mode="bilinear", align_corners=False)
            c, s, _ = loss(y, t.unsqueeze(0))
            print("  " + show(name, c, s, loss), flush=True)


def reference(loss, photos):
    for name, t in photos.items():
        c, s, _ = loss(t.unsqueeze(0), t.unsqueeze(0))
        print(show(f"{name}, the photo itself", c, s, loss), flush=True)
        x = t.clone().unsqueeze(0).requires_grad_(True)
        opt = torch.optim.LBFGS([x], lr=1, max_iter=1, history_size=10)

        def closure():
            opt.zero_grad()
            c, s, tv = loss(x, t.unsqueeze(0))
            total = c + sum(s) + tv
            total.backward()
            return total

        for k in range(1, 501):
            opt.step(closure)
            with torch.no_grad():
                x.clamp_(0, 1)
                if k in (100, 500):
                    c, s, _ = loss(x, t.unsqueeze(0))
                    print(show(f"{name}, optimised {k} steps", c, s, loss), flush=True)


def painting_crops(loss, painting, crop):
    _, h, w = painting.shape
    crops = torch.stack([painting[:, y:y + crop, x:x + crop] for y in range(0, h - crop + 1, crop // 2)
                         for x in range(0, w - crop + 1, crop // 2)])
    with torch.no_grad():
        c, s, _ = loss(crops, crops)
    print(show(f"the painting's own {crop} px crops ({len(crops)}) against the whole painting", c, s, loss,
               len(crops)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", default="starry_night_vangogh")
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-end", type=float)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--batch-gram", action="store_true")
    ap.add_argument("--style-size", type=int, default=256)
    ap.add_argument("--eval-size", type=int, default=256)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--cw", type=float, default=500.0)
    ap.add_argument("--sw", type=float, default=500.0)
    ap.add_argument("--tvw", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reference", action="store_true")
    ap.add_argument("--painting-crops", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    layers = vgg.load_weights(WEIGHTS, "cpu")
    painting = picture(f"{IMAGES}/style_{a.style}.jpg", a.style_size)
    loss = Loss(layers, painting, a)
    if a.reference:
        return reference(loss, held_out(a))
    if a.painting_crops:
        return painting_crops(loss, painting, a.crop)
    photos = [kept(f"{IMAGES}/{f}", a.crop) for f in sorted(os.listdir(IMAGES))
              if f.startswith("content_") and f not in HELD_OUT]
    net = FilterNet(a.width)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-8)
    rng, started, evals = random.Random(a.seed), time.time(), held_out(a)
    for step in range(1, a.steps + 1):
        if a.lr_end is not None:
            f = max(0, step - a.warmup) / max(1, a.steps - a.warmup)
            lr = a.lr * step / a.warmup if step <= a.warmup else a.lr_end + (a.lr - a.lr_end) * (1 + math.cos(math.pi * f)) / 2
            for g in opt.param_groups:
                g["lr"] = lr
        crops = torch.stack([random_crop(photos, a.crop, rng) for _ in range(a.batch)])
        opt.zero_grad(set_to_none=True)
        c, s, tv = loss(net(crops), crops, a.batch_gram)
        (c + sum(s) + tv).backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step} ({time.time() - started:.0f} s) " + show("per crop", c, s, loss, a.batch), flush=True)
        if step % a.eval_every == 0 or step == a.steps:
            print(f"step {step}, held out:")
            evaluate(net, loss, evals)


if __name__ == "__main__":
    main()
