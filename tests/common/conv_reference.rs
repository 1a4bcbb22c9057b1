//! The filter network's convolution on the CPU in f64, written for clarity alone: direct loops over a reflected
//! input, and both gradients as the literal adjoint of the forward (each product's contribution scattered back).
//! Tensors are channels-last [H][W][C]; weights [k][k][cin][cout].
#![allow(dead_code)]

/// A convolution's shape: odd kernel `k`, stride `s`, reflection padding k / 2.
#[derive(Clone, Copy, Debug)]
pub struct Conv {
    pub h: usize,
    pub w: usize,
    pub cin: usize,
    pub cout: usize,
    pub k: usize,
    pub s: usize,
}

impl Conv {
    /// The engine's shape of a convolution, as the reference takes it.
    pub fn of(s: artsy::kernels::conv::ConvShape) -> Conv {
        Conv {
            h: s.height as usize,
            w: s.width as usize,
            cin: s.cin as usize,
            cout: s.cout as usize,
            k: s.kernel as usize,
            s: s.stride as usize,
        }
    }

    pub fn pad(&self) -> usize {
        self.k / 2
    }
    pub fn oh(&self) -> usize {
        (self.h + 2 * self.pad() - self.k) / self.s + 1
    }
    pub fn ow(&self) -> usize {
        (self.w + 2 * self.pad() - self.k) / self.s + 1
    }

    /// Every (output pixel, tap) pair with the input pixel the forward reads for it:
    /// (oy, ox, ky, kx, iy, ix).
    fn taps(&self) -> Vec<(usize, usize, usize, usize, usize, usize)> {
        let mut v = Vec::new();
        let p = self.pad() as isize;
        for oy in 0..self.oh() {
            for ox in 0..self.ow() {
                for ky in 0..self.k {
                    for kx in 0..self.k {
                        let iy = reflect((oy * self.s + ky) as isize - p, self.h);
                        let ix = reflect((ox * self.s + kx) as isize - p, self.w);
                        v.push((oy, ox, ky, kx, iy, ix));
                    }
                }
            }
        }
        v
    }

    fn weight(&self, ky: usize, kx: usize, ci: usize, co: usize) -> usize {
        ((ky * self.k + kx) * self.cin + ci) * self.cout + co
    }
}

/// PyTorch's ReflectionPad2d: index i of the padded row reads -i below 0 and 2 (n - 1) - i above n - 1.
pub fn reflect(i: isize, n: usize) -> usize {
    let last = n as isize - 1;
    let r = if i < 0 {
        -i
    } else if i > last {
        2 * last - i
    } else {
        i
    };
    assert!((0..=last).contains(&r), "padding too wide for {n}");
    r as usize
}

/// y [oh][ow][cout] = conv(x) + bias (no bias when `bias` is empty).
pub fn conv_forward(c: Conv, x: &[f64], weight: &[f64], bias: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; c.oh() * c.ow() * c.cout];
    for oy in 0..c.oh() {
        for ox in 0..c.ow() {
            for co in 0..c.cout {
                y[(oy * c.ow() + ox) * c.cout + co] = bias.get(co).copied().unwrap_or(0.0);
            }
        }
    }
    for (oy, ox, ky, kx, iy, ix) in c.taps() {
        for co in 0..c.cout {
            for ci in 0..c.cin {
                y[(oy * c.ow() + ox) * c.cout + co] +=
                    x[(iy * c.w + ix) * c.cin + ci] * weight[c.weight(ky, kx, ci, co)];
            }
        }
    }
    y
}

/// dx [h][w][cin]: every product x * w of the forward sends dy * w back to the x it read.
pub fn conv_backward_input(c: Conv, dy: &[f64], weight: &[f64]) -> Vec<f64> {
    let mut dx = vec![0.0; c.h * c.w * c.cin];
    for (oy, ox, ky, kx, iy, ix) in c.taps() {
        for co in 0..c.cout {
            let d = dy[(oy * c.ow() + ox) * c.cout + co];
            for ci in 0..c.cin {
                dx[(iy * c.w + ix) * c.cin + ci] += d * weight[c.weight(ky, kx, ci, co)];
            }
        }
    }
    dx
}

/// (dW [k][k][cin][cout], db [cout]): every product x * w sends dy * x to its w; every output dy to its bias.
pub fn conv_weight_grad(c: Conv, x: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut dw = vec![0.0; c.k * c.k * c.cin * c.cout];
    let mut db = vec![0.0; c.cout];
    for (oy, ox, ky, kx, iy, ix) in c.taps() {
        for co in 0..c.cout {
            let d = dy[(oy * c.ow() + ox) * c.cout + co];
            for ci in 0..c.cin {
                dw[c.weight(ky, kx, ci, co)] += d * x[(iy * c.w + ix) * c.cin + ci];
            }
        }
    }
    for (i, d) in dy.iter().enumerate() {
        db[i % c.cout] += d;
    }
    (dw, db)
}
