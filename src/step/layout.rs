//! Where the loss terms write their partial sums: one contiguous, named range per kind of term (content, style,
//! tv), in the order loss_reduce sums them into the four losses the faces display.

use std::ops::Range;

use crate::kernels::{mse_loss, tv_loss};

/// The partial sums of one kind of loss term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Where this kind's partials lie in the partials buffer.
    pub range: Range<u32>,
    /// The first partial of each term, in the order the terms were given.
    pub offsets: Vec<u32>,
}

impl Terms {
    /// Each term's loss, in the order the terms were given, from the whole partials buffer read back.
    pub fn sums(&self, partials: &[f32]) -> Vec<f32> {
        let ends = self.offsets.iter().skip(1).copied().chain([self.range.end]);
        self.offsets
            .iter()
            .zip(ends)
            .map(|(&begin, end)| partials[begin as usize..end as usize].iter().sum())
            .collect()
    }
}

/// The partials buffer's layout: content, then style, then total variation, back to back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossLayout {
    pub content: Terms,
    pub style: Terms,
    pub tv: Terms,
}

impl LossLayout {
    /// The layout for content terms over `content_values` feature values each, style terms over
    /// `style_values` Gram values each, and the total variation of `pixels` pixels.
    pub fn new(content_values: &[usize], style_values: &[usize], pixels: usize) -> LossLayout {
        let mut next = 0u32;
        let mut terms = |partials: Vec<u32>| {
            let begin = next;
            let offsets = partials
                .into_iter()
                .map(|n| {
                    let at = next;
                    next += n;
                    at
                })
                .collect();
            Terms {
                range: begin..next,
                offsets,
            }
        };
        let content = terms(content_values.iter().map(|&n| mse_loss::partial_count(n)).collect());
        let style = terms(style_values.iter().map(|&n| mse_loss::partial_count(n)).collect());
        let tv = terms(vec![tv_loss::partial_count(pixels)]);
        LossLayout { content, style, tv }
    }

    /// f32 values in the partials buffer.
    pub fn len(&self) -> usize {
        self.tv.range.end as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What loss_reduce reads: [content begin, style begin, tv begin, end].
    pub fn bounds(&self) -> [u32; 4] {
        [
            self.content.range.start,
            self.style.range.start,
            self.tv.range.start,
            self.tv.range.end,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_back_to_back_and_hold_each_term() {
        // 4 * 256 * 70 values need 64 partials (the cap), 64 * 64 need 4, 5000 pixels 20.
        let layout = LossLayout::new(&[4 * 256 * 70], &[64 * 64, 128 * 128], 5000);
        assert_eq!(layout.content.range, 0..64);
        assert_eq!(layout.content.offsets, vec![0]);
        assert_eq!(layout.style.range, 64..64 + 4 + 16);
        assert_eq!(layout.style.offsets, vec![64, 68]);
        assert_eq!(layout.tv.range, 84..104);
        assert_eq!(layout.tv.offsets, vec![84]);
        assert_eq!(layout.bounds(), [0, 64, 84, 104]);
        assert_eq!(layout.len(), 104);
    }

    #[test]
    fn each_terms_sum_reads_its_own_partials() {
        let layout = LossLayout::new(&[4 * 256 * 70], &[64 * 64, 128 * 128], 5000);
        // partial i holds 2^i: a term that read a neighbour's partial would show another power of two
        let partials: Vec<f32> = (0..layout.len()).map(|i| (i as f32).exp2()).collect();
        let range_sum = |r: std::ops::Range<u32>| r.map(|i| (i as f32).exp2()).sum::<f32>();
        assert_eq!(layout.style.sums(&partials), vec![range_sum(64..68), range_sum(68..84)]);
        assert_eq!(layout.content.sums(&partials), vec![range_sum(0..64)]);
        assert_eq!(LossLayout::new(&[], &[], 16).content.sums(&partials), Vec::<f32>::new());
    }

    #[test]
    fn a_kind_without_terms_is_an_empty_range() {
        let layout = LossLayout::new(&[], &[64 * 64], 16);
        assert_eq!(layout.content.range, 0..0);
        assert_eq!(layout.style.range, 0..4);
        assert_eq!(layout.bounds(), [0, 0, 4, 5]);
    }
}
