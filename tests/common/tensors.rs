//! Deterministic random tensors and tolerant comparison, shared by the native and browser tests.
#![allow(dead_code)]

/// Deterministic uniform values in [lo, hi).
pub fn random(len: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// Asserts |got - want| <= rel * max|want| + abs_floor for every element, reporting the worst one.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rel: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    let (mut worst, mut at) = (0.0f32, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = (g - w).abs();
        // a NaN error counts as the worst
        if e > worst || e.is_nan() {
            worst = e;
            at = i;
        }
    }
    assert!(
        worst <= rel * scale,
        "{what}: worst error {worst:e} at {at} (got {}, want {}), allowed {:e} = {rel:e} x max|want| {scale:e}",
        got[at],
        want[at],
        rel * scale
    );
}

/// The largest |a - b| over two slices of one length, NaN where any difference is NaN (a fold with `f64::max` skips
/// NaN, so a kernel that wrote NaN would pass).
pub fn max_abs_diff<A: Copy + Into<f64>, B: Copy + Into<f64>>(a: &[A], b: &[B]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x.into() - y.into()).abs())
        .fold(0.0, |worst, d| if d > worst || d.is_nan() { d } else { worst })
}

/// f32 values widened for the f64 reference.
pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The reference's f64 values as the GPU's f32.
pub fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// Pads [P][cin] to [P][cin_padded] with zeros (the kernels read channels as vec4).
pub fn pad_channels(v: &[f32], cin: usize, cin_padded: usize) -> Vec<f32> {
    v.chunks(cin)
        .flat_map(|c| c.iter().cloned().chain(std::iter::repeat_n(0.0, cin_padded - cin)))
        .collect()
}
