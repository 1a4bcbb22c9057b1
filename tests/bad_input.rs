//! Bad input gets a clear error, never a panic: broken weights files, non-images, empty or huge images,
//! impossible sizes and parameters.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use artsy::vgg::LAYERS;
use artsy::{Error, GpuWeights, Params, Session, VggWeights};
use common::{asset, gpu};
use safetensors::{Dtype, tensor::TensorView};

fn real_weights() -> Vec<u8> {
    std::fs::read(asset("vgg19/vgg19-conv-u8.safetensors")).expect("weights (in assets/)")
}

fn weights_error(bytes: &[u8]) -> String {
    match VggWeights::from_safetensors(bytes) {
        Err(Error::Weights(m)) => m,
        Err(other) => panic!("expected a weights error, got {other}"),
        Ok(_) => panic!("bad weights were accepted"),
    }
}

/// A safetensors file of F32 tensors, each given as (name, shape, values).
fn f32_file(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, s, v)| (n.clone(), s.clone(), v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, s, b)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, None::<HashMap<String, String>>).unwrap()
}

fn layer_tensors(w: &VggWeights) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    LAYERS
        .iter()
        .zip(&w.layers)
        .flat_map(|(l, lw)| {
            [
                (
                    format!("{}.weight", l.name),
                    vec![3, 3, l.cin as usize, l.cout as usize],
                    lw.weight.clone(),
                ),
                (format!("{}.bias", l.name), vec![l.cout as usize], lw.bias.clone()),
            ]
        })
        .collect()
}

#[test]
fn truncated_weights() {
    let bytes = real_weights();
    let m = weights_error(&bytes[..bytes.len() / 2]);
    assert!(m.contains("truncated"), "{m}");
    let m = weights_error(&bytes[..100]);
    assert!(m.contains("truncated") || m.contains("not a"), "{m}");
    let m = weights_error(&bytes[..5]);
    assert!(m.contains("too short"), "{m}");
}

#[test]
fn not_a_weights_file() {
    let m = weights_error(b"this is a text file, not safetensors at all");
    assert!(m.contains("safetensors"), "{m}");
}

#[test]
fn wrong_shape_and_missing_tensor() {
    let w = VggWeights::from_safetensors(&real_weights()).unwrap();
    let mut tensors = layer_tensors(&w);
    // conv3_2.weight transposed to OIHW-like [256, 256, 3, 3]
    let i = tensors.iter().position(|t| t.0 == "conv3_2.weight").unwrap();
    tensors[i].1 = vec![256, 256, 3, 3];
    let m = weights_error(&f32_file(&tensors));
    assert!(m.contains("conv3_2.weight") && m.contains("shape"), "{m}");

    let mut tensors = layer_tensors(&w);
    tensors.retain(|t| t.0 != "conv4_2.bias");
    let m = weights_error(&f32_file(&tensors));
    assert!(m.contains("conv4_2.bias") && m.contains("missing"), "{m}");
}

#[test]
fn f32_and_f16_weights_load_like_u8() {
    let w = VggWeights::from_safetensors(&real_weights()).unwrap();
    let tensors = layer_tensors(&w);
    let again = VggWeights::from_safetensors(&f32_file(&tensors)).unwrap();
    assert_eq!(again.layers[5].weight, w.layers[5].weight);

    // F16: round each value to half precision by hand and compare within half's precision.
    let f16_bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, s, v)| {
            (
                n.clone(),
                s.clone(),
                v.iter().flat_map(|x| to_f16(*x).to_le_bytes()).collect(),
            )
        })
        .collect();
    let views: Vec<(String, TensorView)> = f16_bytes
        .iter()
        .map(|(n, s, b)| (n.clone(), TensorView::new(Dtype::F16, s.clone(), b).unwrap()))
        .collect();
    let half =
        VggWeights::from_safetensors(&safetensors::serialize(views, None::<HashMap<String, String>>).unwrap()).unwrap();
    for (a, b) in half.layers[0].weight.iter().zip(&w.layers[0].weight) {
        assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-2), "{a} vs {b}");
    }
}

/// f32 -> IEEE half, round to nearest (normal range only, enough for weights).
fn to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32 - 127 + 15;
    if exp <= 0 {
        return sign;
    }
    let mant = b & 0x7f_ffff;
    let mut h = ((exp as u32) << 10) | (mant >> 13);
    if mant & 0x1000 != 0 {
        h += 1;
    }
    sign | h as u16
}

#[test]
fn non_image_files() {
    for (name, bytes) in [
        ("notes.txt", &b"hello, this is not an image"[..]),
        ("empty.png", &b""[..]),
    ] {
        match artsy::image::decode(name, bytes) {
            Err(e @ Error::Image { .. }) => {
                // a sentence about the file: "notes.txt is not an image this app can read (...)"
                let message = e.to_string();
                println!("{message}");
                assert!(message.starts_with(&format!("{name} is ")), "{message}");
            }
            other => panic!(
                "{name}: expected an image error, got {:?}",
                other.map(|i| i.dimensions())
            ),
        }
    }
    // a PNG cut off in the middle
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(40, 30, image::Rgba([1, 2, 3, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(
        artsy::image::decode("cut.png", &png[..png.len() / 2]),
        Err(Error::Image { .. })
    ));
}

#[test]
fn zero_sized_and_huge_images() {
    // A PNG header that claims 0 x 0 pixels, and one that claims 100000 x 100000.
    for (w, h) in [(0u32, 0u32), (100_000, 100_000)] {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend(w.to_be_bytes());
        png.extend(h.to_be_bytes());
        png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        let r = artsy::image::decode("header.png", &png);
        assert!(matches!(r, Err(Error::Image { .. })), "{w}x{h} was accepted");
    }
    // A zero-sized image handed to a session directly.
    let gpu = gpu();
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(&real_weights()).unwrap(),
    ));
    let style = image::RgbaImage::from_pixel(32, 32, image::Rgba([9, 9, 9, 255]));
    let empty = image::RgbaImage::new(0, 0);
    let r = pollster::block_on(Session::new(
        &gpu,
        &weights,
        &empty,
        &[(style.clone(), 1.0)],
        &Params {
            size: 32,
            ..Params::default()
        },
    ));
    assert!(matches!(r, Err(Error::Image { .. })), "empty photo accepted");
    let r = pollster::block_on(Session::new(
        &gpu,
        &weights,
        &style,
        &[(empty, 1.0)],
        &Params {
            size: 32,
            ..Params::default()
        },
    ));
    assert!(matches!(r, Err(Error::Image { .. })), "empty painting accepted");
}

#[test]
fn sizes_and_params_the_gpu_or_network_cannot_take() {
    let gpu = gpu();
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(&real_weights()).unwrap(),
    ));
    let img = image::RgbaImage::from_pixel(64, 48, image::Rgba([120, 80, 40, 255]));
    let session = |p: Params| pollster::block_on(Session::new(&gpu, &weights, &img, &[(img.clone(), 1.0)], &p));

    // The largest size the settings allow, on a square photo: conv1's 4096 x 4096 x 64 floats are 2^32 bytes,
    // more than any GPU binds.
    let largest = *artsy::params::limits::SIZE.end();
    let square = image::RgbaImage::from_pixel(64, 64, image::Rgba([120, 80, 40, 255]));
    match pollster::block_on(Session::new(
        &gpu,
        &weights,
        &square,
        &[(square.clone(), 1.0)],
        &Params {
            size: largest,
            ..Params::default()
        },
    )) {
        Err(e @ Error::TooLarge { largest_fitting, .. }) => {
            println!("{e}");
            // The size named is the largest whose biggest buffer, conv1's 64 channels of f32 over the square
            // photo (and the painting, analysed at the output size), fits this adapter's largest binding; 10%
            // more does not fit.
            let limit = gpu
                .limits
                .max_storage_buffer_binding_size
                .min(gpu.limits.max_buffer_size);
            let conv1 = |side: u32| side as u64 * side as u64 * 64 * 4;
            println!(
                "largest binding {limit} B: {largest_fitting} px needs {} B",
                conv1(largest_fitting)
            );
            assert!(
                conv1(largest_fitting) <= limit && conv1(largest_fitting * 11 / 10) > limit,
                "{largest_fitting} px named as the largest size that fits {limit} B buffers"
            );
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a {largest} px session was accepted"),
    }
    assert!(matches!(
        session(Params {
            size: 1_000_000,
            ..Params::default()
        }),
        Err(Error::InvalidParams(m)) if m.contains("4096")
    ));
    assert!(matches!(
        session(Params {
            size: 8,
            ..Params::default()
        }),
        Err(Error::InvalidParams(_))
    ));
    let thin = image::RgbaImage::from_pixel(400, 10, image::Rgba([0, 0, 0, 255]));
    assert!(matches!(
        pollster::block_on(Session::new(
            &gpu,
            &weights,
            &thin,
            &[(img.clone(), 1.0)],
            &Params {
                size: 64,
                ..Params::default()
            }
        )),
        Err(Error::InvalidParams(_))
    ));
    let mut p = Params::default();
    p.style_layers.push(("relu1_2".parse().unwrap(), -1.0));
    assert!(matches!(session(p), Err(Error::InvalidParams(m)) if m.contains("relu1_2")));
    assert!(matches!(
        session(Params {
            learning_rate: f32::NAN,
            ..Params::default()
        }),
        Err(Error::InvalidParams(_))
    ));
    assert!(matches!(
        pollster::block_on(Session::new(
            &gpu,
            &weights,
            &img,
            &[],
            &Params {
                size: 32,
                ..Params::default()
            }
        )),
        Err(Error::InvalidParams(_))
    ));
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG signature and a valid IHDR chunk (checksum included) claiming `w` x `h` RGBA8 pixels, and no data.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(w.to_be_bytes());
    chunk.extend(h.to_be_bytes());
    chunk.extend([8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    png.extend(&chunk);
    png.extend(crc32(&chunk).to_be_bytes());
    png
}

/// The decoder's size limit itself refuses a well-formed header one pixel past MAX_DECODE_SIDE (a bad checksum
/// would fail without it), and a header at the limit gets past it (to fail later, for want of pixel data).
#[test]
fn a_valid_header_past_the_size_limit_is_refused_by_the_limit() {
    assert_eq!(crc32(b"IEND"), 0xAE42_6082, "the checksum of PNG's IEND chunk");
    let max = artsy::image::MAX_DECODE_SIDE;
    let reason = |w: u32, h: u32| match artsy::image::decode("header.png", &png_header(w, h)) {
        Err(Error::Image { reason, .. }) => reason,
        other => panic!("{w}x{h}: {:?}", other.map(|i| i.dimensions())),
    };
    for (w, h) in [(max + 1, 1), (1, max + 1), (100_000, 100_000)] {
        let r = reason(w, h);
        assert!(r.to_lowercase().contains("limit"), "{w}x{h}: {r}");
    }
    let r = reason(max, 1);
    assert!(!r.to_lowercase().contains("limit"), "{max}x1 is within the limit: {r}");
}

/// The real U8 file's header metadata and tensors, for tests that read or rewrite them.
fn u8_file_parts(bytes: &[u8]) -> (HashMap<String, String>, safetensors::SafeTensors<'_>) {
    let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let meta = metadata.metadata().clone().expect("the U8 file has metadata");
    (meta, safetensors::SafeTensors::deserialize(bytes).unwrap())
}

#[test]
fn u8_weights_dequantise_as_the_format_states() {
    // assets/vgg19/README.md: value = q * scale + min, scale and min decimal strings in the header metadata under
    // `<tensor>.scale` and `<tensor>.min`. A few values worked out by hand from the file's bytes and metadata.
    let bytes = real_weights();
    let (meta, tensors) = u8_file_parts(&bytes);
    let loaded = VggWeights::from_safetensors(&bytes).unwrap();
    let layer = |name: &str| LAYERS.iter().position(|l| l.name == name).unwrap();
    for (tensor, index) in [
        ("conv1_1.weight", 0),
        ("conv1_1.weight", 1727),
        ("conv3_2.bias", 17),
        ("conv4_1.weight", 654_321),
        ("conv5_1.weight", 9 * 512 * 512 - 1),
    ] {
        let view = tensors.tensor(tensor).unwrap();
        assert_eq!(view.dtype(), Dtype::U8);
        let q = view.data()[index] as f64;
        let number = |key: &str| meta[&format!("{tensor}.{key}")].trim().parse::<f64>().unwrap();
        let want = q * number("scale") + number("min");
        let (name, part) = tensor.split_once('.').unwrap();
        let l = &loaded.layers[layer(name)];
        let got = if part == "weight" {
            l.weight[index]
        } else {
            l.bias[index]
        } as f64;
        println!("{tensor}[{index}]: q {q}, q * scale + min = {want:.7}, loaded {got:.7}");
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(number("scale")),
            "{tensor}[{index}]: loaded {got}, the format gives {want}"
        );
    }
}

/// The real file with its metadata changed by `edit` (the tensors, U8, as they are).
fn with_metadata(bytes: &[u8], edit: impl FnOnce(&mut HashMap<String, String>)) -> Vec<u8> {
    let (mut meta, tensors) = u8_file_parts(bytes);
    edit(&mut meta);
    let views: Vec<(String, TensorView)> = tensors.tensors();
    safetensors::serialize(views, Some(meta)).unwrap()
}

#[test]
fn u8_weights_without_or_with_broken_quantisation_metadata_are_refused() {
    let bytes = real_weights();
    // unchanged, the rewritten file loads (so the refusals below are the edits' doing)
    VggWeights::from_safetensors(&with_metadata(&bytes, |_| {})).unwrap();

    let m = weights_error(&with_metadata(&bytes, |m| {
        m.remove("conv2_2.weight.min");
    }));
    println!("{m}");
    assert!(m.contains("conv2_2.weight") && m.contains("conv2_2.weight.min"), "{m}");

    let m = weights_error(&with_metadata(&bytes, |m| {
        m.clear();
    }));
    println!("{m}");
    assert!(m.contains("conv1_1.weight") && m.contains("metadata"), "{m}");

    // scales and offsets that parse as numbers but are not finite
    for (key, value) in [
        ("conv3_1.weight.scale", "inf"),
        ("conv3_1.weight.scale", "NaN"),
        ("conv3_1.bias.min", "-inf"),
        ("conv3_1.weight.scale", "1e39"),
    ] {
        let m = weights_error(&with_metadata(&bytes, |m| {
            m.insert(key.into(), value.into());
        }));
        println!("{key} = {value}: {m}");
        assert!(m.contains(key) && m.contains("finite"), "{key} = {value}: {m}");
    }
    let m = weights_error(&with_metadata(&bytes, |m| {
        m.insert("conv1_2.weight.scale".into(), "0.01x".into());
    }));
    assert!(m.contains("conv1_2.weight.scale") && m.contains("not a number"), "{m}");
}

fn filter_error(bytes: &[u8]) -> String {
    match artsy::Filter::from_json(bytes) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the filter was accepted"),
    }
}

fn small_png(color: [u8; 3]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(8, 8, image::Rgb(color))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn painting(name: &str, data: Vec<u8>) -> artsy::FilterStyle {
    artsy::FilterStyle {
        name: name.into(),
        blend: 1.0,
        data,
    }
}

#[test]
fn filter_imports_are_limited_in_file_size_and_painting_count() {
    use artsy::filter::{MAX_FILE_BYTES, MAX_PAINTINGS};
    let params = Params::default();
    let styles = |n: usize| {
        (0..n)
            .map(|i| painting(&format!("p{i}.png"), small_png([i as u8 * 40, 0, 0])))
            .collect()
    };
    // at the count limit: imported
    artsy::Filter::from_json(&artsy::Filter::new("four", &params, styles(MAX_PAINTINGS)).to_json()).unwrap();
    let m = filter_error(&artsy::Filter::new("five", &params, styles(MAX_PAINTINGS + 1)).to_json());
    println!("{m}");
    assert!(
        m.contains(&format!("{} paintings", MAX_PAINTINGS + 1)) && m.contains(&format!("at most {MAX_PAINTINGS}")),
        "{m}"
    );

    // file size: a valid filter padded (by its name) to exactly the limit is read; one byte more is refused,
    // with the limit named, before any of it is parsed.
    let base = artsy::Filter::new("", &params, styles(1)).to_json();
    let pad = MAX_FILE_BYTES as usize - base.len();
    let at_limit = artsy::Filter::new(&"x".repeat(pad), &params, styles(1)).to_json();
    assert_eq!(at_limit.len() as u64, MAX_FILE_BYTES);
    artsy::Filter::from_json(&at_limit).unwrap();
    let over = artsy::Filter::new(&"x".repeat(pad + 1), &params, styles(1)).to_json();
    let m = filter_error(&over);
    println!("{m}");
    assert!(m.contains("64 MiB") && m.contains("at most"), "{m}");
    // the same check the page and the CLI make on a file's size before reading it
    assert!(artsy::filter::check_file_size(MAX_FILE_BYTES).is_ok());
    assert!(artsy::filter::check_file_size(MAX_FILE_BYTES + 1).is_err());
}

/// A painting at the decoder's limit, 16384 x 16384 (1 GiB once decoded; one colour, so the PNG is small), inside a
/// filter imports and applies: the painting is analysed at the output size.
#[test]
fn a_filter_with_a_16384_px_painting_imports_and_applies() {
    let started = std::time::Instant::now();
    let side = artsy::image::MAX_DECODE_SIDE;
    let png = {
        let huge = image::RgbImage::from_pixel(side, side, image::Rgb([200, 120, 40]));
        let mut out = std::io::Cursor::new(Vec::new());
        huge.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let json = artsy::Filter::new(
        "huge",
        &Params {
            size: 48,
            iterations: 2,
            ..Params::default()
        },
        vec![painting("huge.png", png)],
    )
    .to_json();
    println!(
        "{side} px painting: filter file {:.1} MiB ({:.1} s)",
        json.len() as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    let filter = artsy::Filter::from_json(&json).unwrap();
    println!("imported ({:.1} s)", started.elapsed().as_secs_f64());
    // applied as the page does: the page's output size over the filter's settings, then a run on the photo
    let (params, styles) = filter
        .merged(&artsy::filter::Overrides {
            params: artsy::params::ParamsPatch {
                size: Some(32),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    let paintings: Vec<_> = styles
        .iter()
        .map(|s| (artsy::image::decode(&s.name, &s.data).unwrap(), s.blend))
        .collect();
    assert_eq!(paintings[0].0.dimensions(), (side, side));
    let gpu = gpu();
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(&real_weights()).unwrap(),
    ));
    let photo = image::RgbaImage::from_fn(40, 30, |x, y| image::Rgba([(x * 6) as u8, (y * 8) as u8, 90, 255]));
    let mut transfer = pollster::block_on(artsy::Transfer::new(&gpu, &weights, &photo, &paintings, &params)).unwrap();
    drop(paintings);
    transfer.run(2).unwrap();
    let losses = pollster::block_on(transfer.finish()).unwrap();
    let out = pollster::block_on(transfer.image()).unwrap();
    println!(
        "applied: {losses:?}, {}x{} ({:.1} s)",
        out.width(),
        out.height(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(out.dimensions(), (32, 24));
    assert!(losses.total.is_finite() && losses.style > 0.0);
}

/// On a GPU whose buffers hold at most 16 MiB, the size a refusal names sets up with the default layers (the whole
/// network to relu5_1), and 10% more is refused.
#[test]
fn the_largest_size_named_sets_up_and_ten_percent_more_does_not() {
    let gpu = pollster::block_on(artsy::Gpu::with_buffer_limit(16 << 20)).expect("a GPU adapter");
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(&real_weights()).unwrap(),
    ));
    let photo = image::RgbaImage::from_fn(64, 64, |x, y| image::Rgba([(x * 4) as u8, (y * 4) as u8, 90, 255]));
    let setup = |size: u32| {
        let params = Params {
            size,
            // the painting analysed small: the photo's network is the one at the limit
            style_scale: 0.25,
            ..Params::default()
        };
        pollster::block_on(Session::new(&gpu, &weights, &photo, &[(photo.clone(), 1.0)], &params))
    };
    let named = match setup(1024) {
        Err(e @ Error::TooLarge { largest_fitting, .. }) => {
            println!("{e}");
            largest_fitting
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a 1024 px session was set up in 16 MiB buffers"),
    };
    assert_eq!(named, 256, "conv1's 64 channels of f32 at 256x256 px are 16 MiB");
    let started = std::time::Instant::now();
    setup(named).expect("the size named sets up");
    println!("{named} px set up in {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        matches!(setup(named * 11 / 10), Err(Error::TooLarge { .. })),
        "10% more than the size named was set up"
    );
    gpu.check_alive().unwrap();
}

/// More training photos than the GPU's largest buffer holds, and a picture past what applying a filter holds in
/// memory, are refused by name before anything is made; the device stays usable.
#[test]
fn too_many_training_photos_and_too_large_a_picture_are_refused() {
    use artsy::filter_net::{Architecture, Stylizer};
    use artsy::training::{TrainSettings, Trainer, kept_photo};
    let gpu = pollster::block_on(artsy::Gpu::with_buffer_limit(16 << 20)).expect("a GPU adapter");
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(&real_weights()).unwrap(),
    ));
    // training keeps a photo with its shorter side between one and two crops: 512 px at the default 256
    let photo = image::RgbaImage::from_fn(600, 700, |x, y| image::Rgba([x as u8, y as u8, 90, 255]));
    let kept = |photo: &image::RgbaImage, crop: u32| kept_photo(photo, crop).unwrap();
    assert_eq!(kept(&photo, 256).dimensions(), (512, 597));
    assert_eq!(kept(&kept(&photo, 256), 256).dimensions(), (512, 597));
    assert_eq!(kept(&photo, 32).dimensions(), (64, 75), "shrunk to two crops");
    assert_eq!(kept(&photo, 1024).dimensions(), (1024, 1195), "enlarged to one crop");
    // a strip whose shorter side would be enlarged to a crop is refused before anything that size is made
    let strip = image::RgbaImage::from_pixel(2, 200, image::Rgba([9, 9, 9, 255]));
    let err = kept_photo(&strip, 256).unwrap_err().to_string();
    assert!(err.contains("2 x 200") && err.contains("too narrow"), "{err}");
    let photos = vec![photo; 5]; // 5 x 512 x 597 x 16 bytes: 24 MB
    let painting = image::RgbaImage::from_pixel(64, 64, image::Rgba([200, 40, 40, 255]));
    let err = pollster::block_on(Trainer::new(
        &gpu,
        &weights,
        &photos,
        &[(painting, 1.0)],
        &Params::default(),
        &TrainSettings::default(),
        None,
    ))
    .err()
    .expect("five large photos trained in 16 MiB buffers")
    .to_string();
    assert!(
        err.contains("the 5 training photos take 24 MB") && err.contains("largest buffer holds (16 MB)"),
        "{err}"
    );

    let arch = Architecture::new(8).unwrap();
    let params = arch.initial_params(1);
    let mut stylizer = Stylizer::new(&gpu, arch, &params).unwrap();
    let huge = image::RgbaImage::new(8193, 8192);
    let err = pollster::block_on(stylizer.apply(&huge)).unwrap_err().to_string();
    assert!(
        err.contains("8193x8192 is 67.1 million pixels; a filter stylises at most 67.1 million"),
        "{err}"
    );
    assert_eq!(artsy::filter_net::apply::largest_allowed_side(8193, 8192), 8192);
    let small = image::RgbaImage::from_pixel(20, 16, image::Rgba([10, 200, 10, 255]));
    assert_eq!(
        pollster::block_on(stylizer.apply(&small)).unwrap().dimensions(),
        (20, 16)
    );
    gpu.check_alive().unwrap();
}
