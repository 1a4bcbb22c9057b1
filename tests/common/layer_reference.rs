//! The plain CPU definition of the filter network's non-convolution layers (instance norm, upsampling, the output
//! sigmoid, the training-photo crop) and of Adam with bounds, in f64, written for clarity alone: the GPU kernels are
//! held to it. Tensors are channels-last [P][C].
#![allow(dead_code)]

/// Instance norm's per-channel statistics over the pixels: (mean, 1 / sqrt(biased variance + eps)).
pub fn norm_stats(p: usize, c: usize, x: &[f64], eps: f64) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; c];
    let mut inv_std = vec![0.0; c];
    for ch in 0..c {
        let mut sum = 0.0;
        for px in 0..p {
            sum += x[px * c + ch];
        }
        mean[ch] = sum / p as f64;
        let mut sq = 0.0;
        for px in 0..p {
            let d = x[px * c + ch] - mean[ch];
            sq += d * d;
        }
        inv_std[ch] = 1.0 / (sq / p as f64 + eps).sqrt();
    }
    (mean, inv_std)
}

/// y = gamma * (x - mean) * inv_std + beta, then ReLU when `relu`, then + residual when given.
#[allow(clippy::too_many_arguments)]
pub fn instance_norm(
    p: usize,
    c: usize,
    x: &[f64],
    gamma: &[f64],
    beta: &[f64],
    eps: f64,
    relu: bool,
    residual: Option<&[f64]>,
) -> Vec<f64> {
    let (mean, inv_std) = norm_stats(p, c, x, eps);
    let mut y = vec![0.0; p * c];
    for px in 0..p {
        for ch in 0..c {
            let i = px * c + ch;
            let mut v = gamma[ch] * (x[i] - mean[ch]) * inv_std[ch] + beta[ch];
            if relu {
                v = v.max(0.0);
            }
            if let Some(r) = residual {
                v += r[i];
            }
            y[i] = v;
        }
    }
    y
}

/// Instance norm's backward: (dx, dgamma, dbeta) from dy, with dy masked by y > 0 when `relu` (y the forward
/// output). With xhat = (x - mean) * inv_std and g the masked dy, per channel:
/// dbeta = sum g, dgamma = sum g * xhat, dx = gamma * inv_std / P * (P * g - sum g - xhat * sum g * xhat).
#[allow(clippy::too_many_arguments)]
pub fn instance_norm_backward(
    p: usize,
    c: usize,
    x: &[f64],
    y: &[f64],
    dy: &[f64],
    gamma: &[f64],
    eps: f64,
    relu: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mean, inv_std) = norm_stats(p, c, x, eps);
    let g = |i: usize| if relu && y[i] <= 0.0 { 0.0 } else { dy[i] };
    let xhat = |i: usize, ch: usize| (x[i] - mean[ch]) * inv_std[ch];
    let mut dgamma = vec![0.0; c];
    let mut dbeta = vec![0.0; c];
    for px in 0..p {
        for ch in 0..c {
            let i = px * c + ch;
            dbeta[ch] += g(i);
            dgamma[ch] += g(i) * xhat(i, ch);
        }
    }
    let mut dx = vec![0.0; p * c];
    for px in 0..p {
        for ch in 0..c {
            let i = px * c + ch;
            dx[i] = gamma[ch] * inv_std[ch] / p as f64 * (p as f64 * g(i) - dbeta[ch] - xhat(i, ch) * dgamma[ch]);
        }
    }
    (dx, dgamma, dbeta)
}

/// Nearest-neighbour 2x: y [2h][2w][c], y(oy, ox) = x(oy / 2, ox / 2).
pub fn upsample(h: usize, w: usize, c: usize, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; 4 * h * w * c];
    for oy in 0..2 * h {
        for ox in 0..2 * w {
            for ch in 0..c {
                y[(oy * 2 * w + ox) * c + ch] = x[((oy / 2) * w + ox / 2) * c + ch];
            }
        }
    }
    y
}

/// dx [h][w][c]: each dy value added to the x pixel it was copied from.
pub fn upsample_backward(h: usize, w: usize, c: usize, dy: &[f64]) -> Vec<f64> {
    let mut dx = vec![0.0; h * w * c];
    for oy in 0..2 * h {
        for ox in 0..2 * w {
            for ch in 0..c {
                dx[((oy / 2) * w + ox / 2) * c + ch] += dy[(oy * 2 * w + ox) * c + ch];
            }
        }
    }
    dx
}

/// [P][4] -> [P][4]: (sigmoid(r), sigmoid(g), sigmoid(b), 0).
pub fn sigmoid(z: &[f64]) -> Vec<f64> {
    z.chunks(4)
        .flat_map(|p| {
            let s = |v: f64| 1.0 / (1.0 + (-v).exp());
            [s(p[0]), s(p[1]), s(p[2]), 0.0]
        })
        .collect()
}

/// dz = dy * y * (1 - y) on r, g, b; 0 on the 4th lane.
pub fn sigmoid_backward(y: &[f64], dy: &[f64]) -> Vec<f64> {
    let mut dz = vec![0.0; y.len()];
    for i in 0..y.len() {
        if i % 4 != 3 {
            dz[i] = dy[i] * y[i] * (1.0 - y[i]);
        }
    }
    dz
}

/// A crop of a photo ([height][width] vec4 pixels): output pixel (i, j) of [size][size] is the bilinear sample at
/// (y0 + (i + 0.5) * step - 0.5, x0 + (j' + 0.5) * step - 0.5), j' = size - 1 - j when flipped, the position
/// clamped to [0, height - 1] x [0, width - 1]. The 4th lane is 0.
#[allow(clippy::too_many_arguments)]
pub fn crop(
    photo: &[f64],
    height: usize,
    width: usize,
    size: usize,
    x0: f64,
    y0: f64,
    step: f64,
    flip: bool,
) -> Vec<f64> {
    // one axis: (lower index, upper index, weight of the upper)
    let axis = |pos: f64, n: usize| {
        let p = pos.clamp(0.0, (n - 1) as f64);
        let lo = p.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        (lo, hi, p - lo as f64)
    };
    let mut out = vec![0.0; size * size * 4];
    for i in 0..size {
        for j in 0..size {
            let jj = if flip { size - 1 - j } else { j };
            let (ylo, yhi, ty) = axis(y0 + (i as f64 + 0.5) * step - 0.5, height);
            let (xlo, xhi, tx) = axis(x0 + (jj as f64 + 0.5) * step - 0.5, width);
            for ch in 0..3 {
                let at = |y: usize, x: usize| photo[(y * width + x) * 4 + ch];
                let top = at(ylo, xlo) * (1.0 - tx) + at(ylo, xhi) * tx;
                let bottom = at(yhi, xlo) * (1.0 - tx) + at(yhi, xhi) * tx;
                out[(i * size + j) * 4 + ch] = top * (1.0 - ty) + bottom * ty;
            }
        }
    }
    out
}

/// One Adam step (t counted from 1), clamped to [lo, hi].
#[allow(clippy::too_many_arguments)]
pub fn adam_bounded(x: &mut [f64], m: &mut [f64], v: &mut [f64], g: &[f64], t: i32, lr: f64, lo: f64, hi: f64) {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    for i in 0..x.len() {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        let mh = m[i] / (1.0 - b1.powi(t));
        let vh = v[i] / (1.0 - b2.powi(t));
        x[i] = (x[i] - lr * mh / (vh.sqrt() + eps)).clamp(lo, hi);
    }
}
