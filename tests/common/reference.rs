//! The plain CPU definition of every kernel of the optimisation (VGG19, losses, optimisers), in f64, written for
//! clarity alone: the GPU kernels are held to it.
//! Tensors are channels-last [H][W][C]; weights HWIO [3][3][cin][cout] as in the weights file.
#![allow(dead_code)]

pub const MEAN_BGR: [f64; 3] = [103.939, 116.779, 123.68];

/// pixels [P][4] (r, g, b, _) in 0..1 -> VGG input [P][4] (b, g, r, 0) * 255 - mean.
pub fn preprocess(pixels: &[f64]) -> Vec<f64> {
    pixels
        .chunks(4)
        .flat_map(|p| {
            [
                p[2] * 255.0 - MEAN_BGR[0],
                p[1] * 255.0 - MEAN_BGR[1],
                p[0] * 255.0 - MEAN_BGR[2],
                0.0,
            ]
        })
        .collect()
}

pub fn preprocess_backward(grad: &[f64]) -> Vec<f64> {
    grad.chunks(4)
        .flat_map(|g| [g[2] * 255.0, g[1] * 255.0, g[0] * 255.0, 0.0])
        .collect()
}

/// 3x3 convolution, stride 1, zero padding 1. `input` has `cin_stored` channels of which the first `cin` are used.
#[allow(clippy::too_many_arguments)]
pub fn conv3x3(
    h: usize,
    w: usize,
    cin: usize,
    cin_stored: usize,
    cout: usize,
    input: &[f64],
    weight: &[f64],
    bias: &[f64],
    relu: bool,
) -> Vec<f64> {
    let mut out = vec![0.0; h * w * cout];
    for y in 0..h {
        for x in 0..w {
            for co in 0..cout {
                let mut s = bias[co];
                for ky in 0..3 {
                    for kx in 0..3 {
                        let (iy, ix) = (y as isize + ky as isize - 1, x as isize + kx as isize - 1);
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..cin {
                            s += input[(iy as usize * w + ix as usize) * cin_stored + ci]
                                * weight[((ky * 3 + kx) * cin + ci) * cout + co];
                        }
                    }
                }
                out[(y * w + x) * cout + co] = if relu { s.max(0.0) } else { s };
            }
        }
    }
    out
}

/// Input gradient of relu(conv3x3(x)), scattered straight from the definition. `output` is the ReLU output.
#[allow(clippy::too_many_arguments)]
pub fn conv3x3_backward_input(
    h: usize,
    w: usize,
    cin: usize,
    cin_stored: usize,
    cout: usize,
    grad_out: &[f64],
    output: &[f64],
    weight: &[f64],
) -> Vec<f64> {
    let mut g = vec![0.0; h * w * cin_stored];
    for y in 0..h {
        for x in 0..w {
            for co in 0..cout {
                let i = (y * w + x) * cout + co;
                if output[i] <= 0.0 {
                    continue;
                }
                let gz = grad_out[i];
                for ky in 0..3 {
                    for kx in 0..3 {
                        let (iy, ix) = (y as isize + ky as isize - 1, x as isize + kx as isize - 1);
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..cin {
                            g[(iy as usize * w + ix as usize) * cin_stored + ci] +=
                                gz * weight[((ky * 3 + kx) * cin + ci) * cout + co];
                        }
                    }
                }
            }
        }
    }
    g
}

/// The four inputs of output (oy, ox)'s window, in (0,0), (0,1), (1,0), (1,1) order, as flat indices.
fn window(w: usize, c: usize, oy: usize, ox: usize, ch: usize) -> [usize; 4] {
    let at = |y: usize, x: usize| (y * w + x) * c + ch;
    [
        at(2 * oy, 2 * ox),
        at(2 * oy, 2 * ox + 1),
        at(2 * oy + 1, 2 * ox),
        at(2 * oy + 1, 2 * ox + 1),
    ]
}

pub fn pool(h: usize, w: usize, c: usize, input: &[f64], max: bool) -> Vec<f64> {
    let (ho, wo) = (h / 2, w / 2);
    let mut out = vec![0.0; ho * wo * c];
    for oy in 0..ho {
        for ox in 0..wo {
            for ch in 0..c {
                let v = window(w, c, oy, ox, ch).map(|i| input[i]);
                out[(oy * wo + ox) * c + ch] = if max {
                    v.iter().cloned().fold(f64::MIN, f64::max)
                } else {
                    v.iter().sum::<f64>() / 4.0
                };
            }
        }
    }
    out
}

/// Max: the gradient goes to the first maximum of each window. Average: a quarter to each.
pub fn pool_backward(h: usize, w: usize, c: usize, input: &[f64], grad_out: &[f64], max: bool) -> Vec<f64> {
    let (ho, wo) = (h / 2, w / 2);
    let mut g = vec![0.0; h * w * c];
    for oy in 0..ho {
        for ox in 0..wo {
            for ch in 0..c {
                let idx = window(w, c, oy, ox, ch);
                let go = grad_out[(oy * wo + ox) * c + ch];
                if max {
                    let mut best = 0;
                    for k in 1..4 {
                        if input[idx[k]] > input[idx[best]] {
                            best = k;
                        }
                    }
                    g[idx[best]] += go;
                } else {
                    for i in idx {
                        g[i] += go / 4.0;
                    }
                }
            }
        }
    }
    g
}

/// G = F^T F / (C * P), F [P][C].
pub fn gram(p: usize, c: usize, f: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; c * c];
    for i in 0..c {
        for j in 0..c {
            g[i * c + j] = (0..p).map(|k| f[k * c + i] * f[k * c + j]).sum::<f64>() / (c * p) as f64;
        }
    }
    g
}

/// dF = (F dG + F dG^T) / (C * P): the chain rule through G = F^T F / (C * P), dG not assumed symmetric.
pub fn gram_backward(p: usize, c: usize, f: &[f64], dg: &[f64]) -> Vec<f64> {
    let mut df = vec![0.0; p * c];
    for k in 0..p {
        for j in 0..c {
            df[k * c + j] = (0..c)
                .map(|i| f[k * c + i] * (dg[i * c + j] + dg[j * c + i]))
                .sum::<f64>()
                / (c * p) as f64;
        }
    }
    df
}

/// 2 F dG / (C * P): what gram_backward.wgsl computes, equal to `gram_backward` when dG is symmetric (its contract)
/// and multiplying by dG as stored, row-major, when it is not.
pub fn gram_backward_symmetric_dg(p: usize, c: usize, f: &[f64], dg: &[f64]) -> Vec<f64> {
    let mut df = vec![0.0; p * c];
    for k in 0..p {
        for j in 0..c {
            df[k * c + j] = 2.0 * (0..c).map(|i| f[k * c + i] * dg[i * c + j]).sum::<f64>() / (c * p) as f64;
        }
    }
    df
}

/// (scale * sum (x - t)^2, 2 * scale * (x - t))
pub fn mse(x: &[f64], t: &[f64], scale: f64) -> (f64, Vec<f64>) {
    let loss = x.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() * scale;
    (loss, x.iter().zip(t).map(|(a, b)| 2.0 * scale * (a - b)).collect())
}

/// Total variation of pixels [H][W][4] in 0..255 units: scale * sum of squared right and down differences.
pub fn tv(h: usize, w: usize, px: &[f64], scale: f64) -> f64 {
    let mut s = 0.0;
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let c = px[(y * w + x) * 4 + ch] * 255.0;
                if x + 1 < w {
                    let d = px[(y * w + x + 1) * 4 + ch] * 255.0 - c;
                    s += d * d;
                }
                if y + 1 < h {
                    let d = px[((y + 1) * w + x) * 4 + ch] * 255.0 - c;
                    s += d * d;
                }
            }
        }
    }
    s * scale
}

/// Gradient of `tv` with respect to the pixels, by the chain rule on each difference.
pub fn tv_grad(h: usize, w: usize, px: &[f64], scale: f64) -> Vec<f64> {
    let mut g = vec![0.0; px.len()];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let i = (y * w + x) * 4 + ch;
                for j in [
                    if x + 1 < w { Some(i + 4) } else { None },
                    if y + 1 < h { Some(i + w * 4) } else { None },
                ]
                .into_iter()
                .flatten()
                {
                    let d = (px[j] - px[i]) * 255.0;
                    g[j] += 2.0 * scale * d * 255.0;
                    g[i] -= 2.0 * scale * d * 255.0;
                }
            }
        }
    }
    g
}

/// One Adam step (t counted from 1), clamped to [0, 1].
pub fn adam(x: &mut [f64], m: &mut [f64], v: &mut [f64], g: &[f64], t: i32, lr: f64) {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    for i in 0..x.len() {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        let mh = m[i] / (1.0 - b1.powi(t));
        let vh = v[i] / (1.0 - b2.powi(t));
        x[i] = (x[i] - lr * mh / (vh.sqrt() + eps)).clamp(0.0, 1.0);
    }
}

/// L-BFGS as lbfgs.wgsl runs it, in f64: a ring of `m` curvature pairs (skipped when s.y <= 1e-10), the two-loop
/// recursion with H0 = s.y / y.y of the newest used pair, a first step of first_step * min(1, 1/|g|_1) along -g,
/// then fixed steps of `step`, shortened where the rms of a colour value's change would pass `max_rms` (d.d over
/// every lane, divided by 3 values per pixel of 4 lanes), each clamped to [0, 1] with s the step actually taken.
/// (lbfgs.wgsl has no learning rate: the host passes its step length, 1, as both.)
pub struct Lbfgs {
    m: usize,
    first_step: f64,
    step: f64,
    max_rms: f64,
    k: usize,
    s: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
    rho: Vec<f64>,
    h0: f64,
    g_prev: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Lbfgs {
    pub fn new(m: usize, n: usize, first_step: f64, step: f64, max_rms: f64) -> Lbfgs {
        Lbfgs {
            m,
            first_step,
            step,
            max_rms,
            k: 0,
            s: vec![vec![0.0; n]; m],
            y: vec![vec![0.0; n]; m],
            rho: vec![0.0; m],
            h0: 1.0,
            g_prev: vec![0.0; n],
        }
    }

    pub fn step(&mut self, x: &mut [f64], g: &[f64]) {
        let m = self.m;
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let t;
        if self.k == 0 {
            let l1: f64 = g.iter().map(|v| v.abs()).sum();
            t = self.first_step * (1.0f64).min(1.0 / l1);
        } else {
            let newest = (self.k - 1) % m;
            self.y[newest] = g.iter().zip(&self.g_prev).map(|(a, b)| a - b).collect();
            let ys = dot(&self.y[newest], &self.s[newest]);
            self.rho[newest] = if ys > 1e-10 { 1.0 / ys } else { 0.0 };
            let yy = dot(&self.y[newest], &self.y[newest]);
            if self.rho[newest] > 0.0 && yy > 0.0 {
                self.h0 = ys / yy;
            }
            let pairs = self.k.min(m);
            let order: Vec<usize> = (0..pairs).map(|j| (newest + m - j) % m).collect();
            let mut alpha = vec![0.0; m];
            for &i in &order {
                alpha[i] = self.rho[i] * dot(&self.s[i], &d);
                for (dv, yv) in d.iter_mut().zip(&self.y[i]) {
                    *dv -= alpha[i] * yv;
                }
            }
            d.iter_mut().for_each(|v| *v *= self.h0);
            for &i in order.iter().rev() {
                let beta = self.rho[i] * dot(&self.y[i], &d);
                for (dv, sv) in d.iter_mut().zip(&self.s[i]) {
                    *dv += (alpha[i] - beta) * sv;
                }
            }
            let rms = (dot(&d, &d) / (d.len() / 4 * 3) as f64).sqrt();
            t = self.step.min(self.max_rms / rms);
        }
        let next = self.k % m;
        for i in 0..x.len() {
            let new = (x[i] + t * d[i]).clamp(0.0, 1.0);
            self.s[next][i] = new - x[i];
            x[i] = new;
        }
        self.g_prev = g.to_vec();
        self.k += 1;
    }
}

/// A VGG-shaped network for the reference loss: per layer (cin, cout, pool_before, HWIO weights, bias).
pub struct RefLayer {
    pub cin: usize,
    pub cout: usize,
    pub pool_before: bool,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
}

/// The whole Gatys loss of `pixels` [H][W][4] in f64:
/// sum content_scale * |F_l - T_l|^2 + sum style_scale * |G_l - A_l|^2 + tv_scale * TV.
#[allow(clippy::too_many_arguments)]
pub fn total_loss(
    h: usize,
    w: usize,
    pixels: &[f64],
    layers: &[RefLayer],
    max_pool: bool,
    content: &[(usize, f64, Vec<f64>)],
    style: &[(usize, f64, Vec<f64>)],
    tv_scale: f64,
) -> f64 {
    let feats = features(h, w, pixels, layers, max_pool);
    let mut loss = tv(h, w, pixels, tv_scale);
    for (l, scale, target) in content {
        loss += mse(&feats[*l].2, target, *scale).0;
    }
    for (l, scale, target) in style {
        let (fh, fw, f) = &feats[*l];
        loss += mse(&gram(fh * fw, layers[*l].cout, f), target, *scale).0;
    }
    loss
}

/// (h, w, ReLU output) of every layer.
pub fn features(
    h: usize,
    w: usize,
    pixels: &[f64],
    layers: &[RefLayer],
    max_pool: bool,
) -> Vec<(usize, usize, Vec<f64>)> {
    let mut x = preprocess(pixels);
    let (mut h, mut w, mut c) = (h, w, 4);
    let mut out = Vec::new();
    for l in layers {
        if l.pool_before {
            x = pool(h, w, c, &x, max_pool);
            h /= 2;
            w /= 2;
        }
        x = conv3x3(h, w, l.cin, c, l.cout, &x, &l.weight, &l.bias, true);
        c = l.cout;
        out.push((h, w, x.clone()));
    }
    out
}
