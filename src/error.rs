//! The engine's error type: every failure a user can cause or meet, with a message that says what to do.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("no GPU adapter was found: {0}")]
    NoAdapter(String),
    #[error("the GPU device could not be opened: {0}")]
    NoDevice(String),
    #[error("the GPU device was lost ({0}); start again to recover")]
    DeviceLost(String),
    #[error("GPU error: {0}")]
    Gpu(String),
    #[error("weights file: {0}")]
    Weights(String),
    #[error("image {name}: {reason}")]
    Image { name: String, reason: String },
    #[error("{0}")]
    InvalidParams(String),
    #[error(
        "an output of {width}x{height} needs a {buffer_mb} MB buffer ({needed_mb} MB in all), more than this GPU \
         allows ({limit_mb} MB per buffer); the largest size that fits is {largest_fitting} px"
    )]
    TooLarge {
        width: u32,
        height: u32,
        needed_mb: u64,
        buffer_mb: u64,
        limit_mb: u64,
        largest_fitting: u32,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// A message as a sentence for the page: capitalised, ending with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => {
            let text: String = first.to_uppercase().chain(chars).collect();
            if text.ends_with('.') { text } else { text + "." }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_becomes_a_sentence() {
        assert_eq!(super::sentence("size must be 16"), "Size must be 16.");
        assert_eq!(super::sentence("done."), "Done.");
        assert_eq!(super::sentence(""), "");
    }
}
