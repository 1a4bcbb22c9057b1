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
    /// The optimisation went wrong (a loss that is not a number, or one that shot up far above its best). The
    /// session keeps the best picture it saw (`Transfer::best_image`).
    #[error("the run was stopped at step {iteration}: {reason}. The best picture so far is kept")]
    Diverged { iteration: u32, reason: String },
    #[error("weights file: {0}")]
    Weights(String),
    #[error("{name} {reason}")]
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
