//! A chosen image and where it goes: the photo or a painting slot; its file name, original bytes and decoded picture.

use std::rc::Rc;

use image::RgbaImage;

/// The largest side kept of a chosen image: the largest output size.
const MAX_KEPT_SIDE: u32 = *crate::params::limits::SIZE.end();

/// Where an image goes: the photo, or the painting slot with this id (ids stay put when other slots go).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    Content,
    Style(u32),
}

/// A chosen image: its file name and original bytes (a saved filter keeps those) and the decoded picture.
#[derive(Clone)]
pub struct Picked {
    pub name: String,
    pub bytes: Rc<[u8]>,
    pub image: RgbaImage,
    /// The picture's own size, before it was downscaled to MAX_KEPT_SIDE (the image's size when it was not).
    pub original_size: (u32, u32),
}

impl Picked {
    /// "cat.png (640x480)", or for a picture kept smaller than it is, "big.png (9000x6000, kept at 4096x2731)".
    pub fn caption(&self) -> String {
        let (w, h) = self.image.dimensions();
        match self.original_size {
            (ow, oh) if (ow, oh) != (w, h) => format!("{} ({ow}x{oh}, kept at {w}x{h})", self.name),
            _ => format!("{} ({w}x{h})", self.name),
        }
    }

    /// Decodes the file `name` with contents `bytes` with the browser's decoders (upright by its EXIF orientation,
    /// every format the browser reads, at native speed, downscaled to MAX_KEPT_SIDE there); where the browser cannot,
    /// with the image crate (`decode`), whose message is the one shown. Errors are messages for the user.
    pub async fn read(name: &str, bytes: &[u8]) -> Result<Picked, String> {
        match super::browser_decode::decode_sized(bytes, MAX_KEPT_SIDE).await {
            Ok((image, original_size)) => Ok(Picked {
                name: name.to_string(),
                bytes: bytes.into(),
                image,
                original_size,
            }),
            Err(_) => Self::decode(name, bytes),
        }
    }

    /// Decodes the file `name` with contents `bytes` with the image crate; a picture larger than MAX_KEPT_SIDE is downscaled once here
    /// (a 50-megapixel photo is not held in full). Errors are messages for the user.
    pub fn decode(name: &str, bytes: &[u8]) -> Result<Picked, String> {
        let image = crate::image::decode(name, bytes).map_err(|e| format!("{e}. Your previous choice is kept."))?;
        let original_size = image.dimensions();
        let image = if image.width().max(image.height()) > MAX_KEPT_SIDE {
            let (w, h) = crate::image::fit(image.width(), image.height(), MAX_KEPT_SIDE);
            crate::image::resize(&image, w, h)
        } else {
            image
        };
        Ok(Picked {
            name: name.to_string(),
            bytes: bytes.into(),
            image,
            original_size,
        })
    }
}
