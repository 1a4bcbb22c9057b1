//! Tiles for photos too large for one pass of the filter network: where the overlapping tiles lie, and the
//! cross-fade that blends their results into one picture without seams.

use super::SIDE_MULTIPLE;

/// Pixels two neighbouring tiles share at least. Their results cross-fade over it, which hides the tiles' borders
/// (where the network padded by reflection instead of seeing the neighbouring pixels).
pub const OVERLAP: u32 = 64;

/// The smallest tile side that leaves room for an overlap on both sides.
pub const MIN_TILE: u32 = 2 * OVERLAP + 4 * SIDE_MULTIPLE;

/// Where the tiles of `tile` pixels start along a side of `len` pixels: `tile - OVERLAP` apart (rounded down to a
/// multiple of 4, so every tile sees the network's stride-2 grid as the whole photo does), the last flush with the
/// end. One tile at 0 when the side fits.
pub fn origins(len: u32, tile: u32) -> Vec<u32> {
    if len <= tile {
        return vec![0];
    }
    assert!(tile >= MIN_TILE, "tiles of {tile} px leave no room for their overlap");
    let step = (tile - OVERLAP) / SIDE_MULTIPLE * SIDE_MULTIPLE;
    let mut starts: Vec<u32> = (0..).map(|k| k * step).take_while(|&o| o + tile < len).collect();
    starts.push(len - tile);
    starts
}

/// The weight of a tile's pixel `i` (of `tile`) along one side: rising from near 0 to 1 over the overlap on each
/// side where another tile meets this one (`before`, `after`), 1 elsewhere.
pub fn ramp(i: u32, tile: u32, before: bool, after: bool) -> f32 {
    let mut w: f32 = 1.0;
    if before {
        w = w.min((i as f32 + 0.5) / OVERLAP as f32);
    }
    if after {
        w = w.min(((tile - i) as f32 - 0.5) / OVERLAP as f32);
    }
    w
}

/// A picture being put together from tiles: the weighted sum of their pixels and the sum of the weights.
pub struct Blend {
    width: u32,
    height: u32,
    /// [H][W] vec4 (r, g, b, 0), weighted.
    sum: Vec<f32>,
    weight: Vec<f32>,
    origins_x: Vec<u32>,
    origins_y: Vec<u32>,
}

impl Blend {
    /// An empty picture of `width` x `height` to be covered by tiles of `tile_width` x `tile_height`.
    pub fn new(width: u32, height: u32, tile_width: u32, tile_height: u32) -> Blend {
        let pixels = (width * height) as usize;
        Blend {
            width,
            height,
            sum: vec![0.0; 4 * pixels],
            weight: vec![0.0; pixels],
            origins_x: origins(width, tile_width),
            origins_y: origins(height, tile_height),
        }
    }

    /// The tiles' origins (x, y), row by row.
    pub fn tiles(&self) -> Vec<(u32, u32)> {
        self.origins_y
            .iter()
            .flat_map(|&y| self.origins_x.iter().map(move |&x| (x, y)))
            .collect()
    }

    /// Adds the result of the tile at (x0, y0): [tile_height][tile_width] vec4.
    pub fn add(&mut self, x0: u32, y0: u32, tile_width: u32, tile_height: u32, pixels: &[f32]) {
        let (first_x, last_x) = (self.origins_x[0], *self.origins_x.last().unwrap());
        let (first_y, last_y) = (self.origins_y[0], *self.origins_y.last().unwrap());
        for ty in 0..tile_height {
            let wy = ramp(ty, tile_height, y0 != first_y, y0 != last_y);
            let row = ((y0 + ty) * self.width + x0) as usize;
            for tx in 0..tile_width {
                let w = wy * ramp(tx, tile_width, x0 != first_x, x0 != last_x);
                let (at, from) = (row + tx as usize, (ty * tile_width + tx) as usize);
                for c in 0..4 {
                    self.sum[4 * at + c] += w * pixels[4 * from + c];
                }
                self.weight[at] += w;
            }
        }
    }

    /// The blended picture, [H][W] vec4.
    pub fn finish(mut self) -> Vec<f32> {
        for (px, w) in self.sum.chunks_exact_mut(4).zip(&self.weight) {
            px.iter_mut().for_each(|v| *v /= w);
        }
        debug_assert_eq!(self.sum.len(), 4 * (self.width * self.height) as usize);
        self.sum
    }
}

/// The `width` x `height` window at (x0, y0) of a [H][W] vec4 picture `full_width` wide.
pub fn window(pixels: &[f32], full_width: u32, x0: u32, y0: u32, width: u32, height: u32) -> Vec<f32> {
    (y0..y0 + height)
        .flat_map(|y| {
            let start = 4 * (y * full_width + x0) as usize;
            pixels[start..start + 4 * width as usize].iter().copied()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_cover_the_side_with_the_overlap_on_the_stride_grid() {
        assert_eq!(origins(100, 200), vec![0]);
        assert_eq!(origins(200, 200), vec![0]);
        for (len, tile) in [(201, 200), (1000, 256), (4000, 1024), (1500, 144)] {
            let o = origins(len, tile);
            assert_eq!(o[0], 0);
            assert_eq!(
                *o.last().unwrap() + tile,
                len,
                "{len}/{tile}: the last tile ends at the end"
            );
            for pair in o.windows(2) {
                assert!(pair[1] > pair[0], "{len}/{tile}: {o:?}");
                assert!(pair[0] + tile >= pair[1] + OVERLAP, "{len}/{tile}: overlap {o:?}");
            }
            if len % 4 == 0 {
                assert!(o.iter().all(|v| v % 4 == 0), "{len}/{tile}: {o:?}");
            }
        }
    }

    #[test]
    fn a_blend_of_equal_tiles_is_the_same_picture() {
        let (w, h, tw, th) = (300u32, 200u32, 148u32, 148u32);
        let picture: Vec<f32> = (0..4 * w * h).map(|i| (i % 97) as f32 / 97.0).collect();
        let mut blend = Blend::new(w, h, tw, th);
        let tiles = blend.tiles();
        assert_eq!(tiles.len(), 3 * 2);
        for (x0, y0) in tiles {
            blend.add(x0, y0, tw, th, &window(&picture, w, x0, y0, tw, th));
        }
        let got = blend.finish();
        let worst = got.iter().zip(&picture).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-5, "{worst}");
    }

    #[test]
    fn the_ramps_cross_fade_and_the_borders_weigh_fully() {
        assert_eq!(ramp(0, 200, false, false), 1.0);
        assert_eq!(ramp(199, 200, false, false), 1.0);
        assert!(ramp(0, 200, true, false) < 0.01);
        assert!(ramp(199, 200, false, true) < 0.01);
        assert_eq!(ramp(100, 200, true, true), 1.0);
    }
}
