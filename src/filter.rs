//! A saved filter: the painting(s), their blend and every setting of a transfer, and (from version 2) optionally a
//! trained filter network, as one portable JSON file (`*.artsy-filter.json`) that the page keeps in IndexedDB,
//! exports and imports, and the CLI reads.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use image::RgbaImage;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::filter_net::Architecture;
use crate::params::{Params, ParamsPatch};
use crate::training::TrainSettings;

/// What the `format` field of every filter file says.
pub const FORMAT: &str = "artsy-filter";
/// The format version this build writes; it reads this one and every earlier one.
pub const VERSION: u32 = 2;
/// The oldest version this build reads (version 1 has no network).
pub const OLDEST_VERSION: u32 = 1;
/// The file name ending for exported filters.
pub const EXTENSION: &str = ".artsy-filter.json";
/// The largest filter file that is read: 64 MiB (the paintings' original files, base64-encoded, are most of it).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// The most paintings one filter may hold (the page's painting slots).
pub const MAX_PAINTINGS: usize = 4;

/// Blend weights a transfer can use: finite, none below 0, not all 0.
fn check_blend(styles: &[FilterStyle]) -> Result<()> {
    if styles.iter().any(|s| !s.blend.is_finite() || s.blend < 0.0) || styles.iter().all(|s| s.blend <= 0.0) {
        return Err(Error::InvalidParams(
            "blend weights must be finite, at least 0, and not all 0".into(),
        ));
    }
    Ok(())
}

/// Refuses a filter file of `len` bytes when it is over MAX_FILE_BYTES (before it is read, where the size is known).
pub fn check_file_size(len: u64) -> Result<()> {
    if len > MAX_FILE_BYTES {
        return Err(Error::InvalidParams(format!(
            "this filter file is {:.1} MiB; filter files of at most {} MiB are read",
            len as f64 / (1 << 20) as f64,
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(())
}

/// One painting of a filter: its original file bytes (PNG, JPEG, ...) and its blend weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilterStyle {
    pub name: String,
    pub blend: f32,
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

/// What the user chose on top of a saved filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// The settings given (None keeps the filter's).
    pub params: ParamsPatch,
    /// Other paintings in place of the filter's.
    pub styles: Option<Vec<FilterStyle>>,
    /// Blend weights, one per painting: for `styles` when given, else for the filter's own paintings.
    pub blend: Option<Vec<f32>>,
}

/// A trained filter network: one forward pass stylises a photo (filter_net). Its parameters are stored as
/// little-endian IEEE half floats (2 bytes each: about 0.9 MB at the default width, 1.2 MB in base64).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilterNetwork {
    /// Channels of the first layer (filter_net::WIDTHS); fixes the layout and the parameter count.
    pub width: u32,
    /// How `data` stores the parameters: NETWORK_ENCODING.
    pub encoding: String,
    /// How it was trained (steps are those actually done).
    pub training: TrainSettings,
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

/// The one encoding of network parameters: f16, little-endian.
pub const NETWORK_ENCODING: &str = "f16le";

impl FilterNetwork {
    /// `params` (f32, as the GPU holds them) stored as f16.
    pub fn new(arch: &Architecture, training: TrainSettings, params: &[f32]) -> FilterNetwork {
        let data = params
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect();
        FilterNetwork {
            width: arch.width,
            encoding: NETWORK_ENCODING.into(),
            training,
            data,
        }
    }

    /// The layout and the parameters, checked: a known width and encoding, exactly its parameter count, all
    /// finite.
    pub fn decode(&self) -> Result<(Architecture, Vec<f32>)> {
        let bad = |reason: String| Error::InvalidParams(format!("the filter's network is unusable: {reason}"));
        let arch = Architecture::new(self.width).map_err(|e| bad(e.to_string()))?;
        if self.encoding != NETWORK_ENCODING {
            return Err(bad(format!(
                "its encoding is \"{}\"; this Artsy reads \"{NETWORK_ENCODING}\"",
                self.encoding
            )));
        }
        let expected = arch.param_count * 2;
        if self.data.len() != expected {
            return Err(bad(format!(
                "a network of width {} has {} parameters ({expected} bytes), but the file holds {} bytes{}",
                self.width,
                arch.param_count,
                self.data.len(),
                if self.data.len() < expected {
                    " (truncated?)"
                } else {
                    ""
                }
            )));
        }
        let params: Vec<f32> = self
            .data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect();
        if let Some(i) = params.iter().position(|v| !v.is_finite()) {
            return Err(bad(format!("parameter {i} is not a finite number")));
        }
        Ok((arch, params))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub format: String,
    pub version: u32,
    pub name: String,
    pub params: Params,
    pub styles: Vec<FilterStyle>,
    /// A trained network (version 2 and later; optional): applying the filter is then one forward pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<FilterNetwork>,
}

impl Filter {
    pub fn new(name: &str, params: &Params, styles: Vec<FilterStyle>) -> Filter {
        Filter {
            format: FORMAT.into(),
            version: VERSION,
            name: name.into(),
            params: params.clone(),
            styles,
            network: None,
        }
    }

    /// The file's bytes (pretty JSON: a person can read the settings).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a filter always serialises")
    }

    /// Reads and checks a filter file: format, version, settings, network, and that every painting decodes (with
    /// the image crate).
    pub fn from_json(bytes: &[u8]) -> Result<Filter> {
        let filter = Filter::parse(bytes)?;
        filter.paintings()?;
        Ok(filter)
    }

    /// Reads and checks a filter file as `from_json` does, but for decoding its paintings: for a reader with
    /// decoders of its own (the page's browser reads AVIF and more, so a filter saved there may hold such a
    /// painting).
    pub fn parse(bytes: &[u8]) -> Result<Filter> {
        let bad = |reason: String| Error::InvalidParams(format!("this is not a usable Artsy filter: {reason}"));
        check_file_size(bytes.len() as u64)?;
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("it is not JSON ({e})")))?;
        let count = value.get("styles").and_then(|s| s.as_array()).map_or(0, |s| s.len());
        if count > MAX_PAINTINGS {
            return Err(bad(format!(
                "it holds {count} paintings; a filter holds at most {MAX_PAINTINGS}"
            )));
        }
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(bad(format!("it does not say \"format\": \"{FORMAT}\"")));
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if (OLDEST_VERSION as u64..=VERSION as u64).contains(&v) => {}
            Some(v) => {
                return Err(bad(format!(
                    "it is version {v}; this Artsy reads versions {OLDEST_VERSION} to {VERSION}"
                )));
            }
            None => return Err(bad("it has no version".into())),
        }
        // (the error names the field: "params.size: invalid type ...")
        let filter: Filter = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            let reason = e.into_inner().to_string().replace('`', "\"");
            bad(if field == "." {
                reason
            } else {
                format!("{field}: {reason}")
            })
        })?;
        if filter.styles.is_empty() {
            return Err(bad("it holds no style image".into()));
        }
        check_blend(&filter.styles)?;
        filter.params.validate()?;
        if let Some(network) = &filter.network {
            network.decode()?;
        }
        Ok(filter)
    }

    /// This filter with `overrides` on top: the one place where a saved filter and the user's choices are combined.
    /// Gives the settings (validated) and the paintings with their blend weights.
    pub fn merged(&self, overrides: &Overrides) -> Result<(Params, Vec<FilterStyle>)> {
        let params = overrides.params.apply(self.params.clone());
        let mut styles = overrides.styles.clone().unwrap_or_else(|| self.styles.clone());
        if styles.is_empty() {
            return Err(Error::InvalidParams("give at least one painting".into()));
        }
        if let Some(blend) = &overrides.blend {
            if blend.len() != styles.len() {
                return Err(Error::InvalidParams(format!(
                    "{} painting{} but {} blend weight{}",
                    styles.len(),
                    if styles.len() == 1 { "" } else { "s" },
                    blend.len(),
                    if blend.len() == 1 { "" } else { "s" },
                )));
            }
            for (style, &b) in styles.iter_mut().zip(blend) {
                style.blend = b;
            }
        }
        check_blend(&styles)?;
        params.validate()?;
        Ok((params, styles))
    }

    /// The decoded paintings with their blend weights, as `Transfer::new` takes them.
    pub fn paintings(&self) -> Result<Vec<(RgbaImage, f32)>> {
        self.styles
            .iter()
            .map(|s| Ok((crate::image::decode(&s.name, &s.data)?, s.blend)))
            .collect()
    }

    /// A file name for this filter: its name made safe, plus EXTENSION.
    pub fn file_name(&self) -> String {
        format!("{}{EXTENSION}", safe_file_stem(&self.name, "filter"))
    }
}

/// `text` with every character but letters, digits, '-' and '_' replaced by '-' (trimmed), or `fallback` if
/// nothing is left: a name that is safe in any file system.
pub fn safe_file_stem(text: &str, fallback: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_matches('-');
    if safe.is_empty() { fallback.into() } else { safe.into() }
}

/// Bytes as one base64 string in JSON.
mod base64_bytes {
    use super::*;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        BASE64.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Optimizer;

    fn png(color: [u8; 4]) -> Vec<u8> {
        let img = RgbaImage::from_pixel(3, 2, image::Rgba(color));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn sample() -> Filter {
        let params = Params {
            optimizer: Optimizer::Lbfgs,
            style_scale: 1.5,
            original_colors: true,
            style_layers: vec![("relu2_1".parse().unwrap(), 0.5), ("relu4_1".parse().unwrap(), 2.0)],
            ..Params::default()
        };
        let styles = vec![
            FilterStyle {
                name: "red.png".into(),
                blend: 0.25,
                data: png([255, 0, 0, 255]),
            },
            FilterStyle {
                name: "blue.png".into(),
                blend: 0.75,
                data: png([0, 0, 255, 255]),
            },
        ];
        Filter::new("Red & blue / test", &params, styles)
    }

    #[test]
    fn round_trips_settings_and_paintings() {
        let f = sample();
        let back = Filter::from_json(&f.to_json()).unwrap();
        assert_eq!(back, f);
        let paintings = back.paintings().unwrap();
        assert_eq!(paintings.len(), 2);
        assert_eq!(paintings[1].0.get_pixel(2, 1).0, [0, 0, 255, 255]);
        assert_eq!(paintings[1].1, 0.75);
        assert_eq!(f.file_name(), "Red---blue---test.artsy-filter.json");
    }

    #[test]
    fn merged_lays_the_users_choices_over_the_filter() {
        let f = sample();
        let (params, styles) = f.merged(&Overrides::default()).unwrap();
        assert_eq!((params, styles), (f.params.clone(), f.styles.clone()));

        // A blend alone applies to the filter's own paintings.
        let blend_only = Overrides {
            blend: Some(vec![2.0, 1.0]),
            ..Overrides::default()
        };
        let (_, styles) = f.merged(&blend_only).unwrap();
        assert_eq!((styles[0].blend, styles[1].blend), (2.0, 1.0));
        assert_eq!(styles[0].data, f.styles[0].data);

        // New paintings replace the filter's; settings given replace the filter's, the rest stay.
        let new = Overrides {
            params: ParamsPatch {
                size: Some(64),
                ..ParamsPatch::default()
            },
            styles: Some(vec![f.styles[1].clone()]),
            blend: None,
        };
        let (params, styles) = f.merged(&new).unwrap();
        assert_eq!((params.size, params.style_scale), (64, 1.5));
        assert_eq!(styles, [f.styles[1].clone()]);

        let refused = |o: Overrides| f.merged(&o).unwrap_err().to_string();
        let m = refused(Overrides {
            blend: Some(vec![1.0]),
            ..Overrides::default()
        });
        assert!(m.contains("2 paintings but 1 blend weight"), "{m}");
        let m = refused(Overrides {
            blend: Some(vec![0.0, 0.0]),
            ..Overrides::default()
        });
        assert!(m.contains("not all 0"), "{m}");
        let m = refused(Overrides {
            params: ParamsPatch {
                style_weight: Some(1e35),
                ..ParamsPatch::default()
            },
            ..Overrides::default()
        });
        assert!(m.contains("style weight"), "{m}");
        let m = refused(Overrides {
            styles: Some(vec![]),
            ..Overrides::default()
        });
        assert!(m.contains("at least one painting"), "{m}");
    }

    #[test]
    fn missing_fields_take_defaults() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["params"] = serde_json::json!({ "size": 300 });
        let f = Filter::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(f.params.size, 300);
        assert_eq!(f.params.style_weight, Params::default().style_weight);
    }

    #[test]
    fn a_network_round_trips_in_f16_and_version_1_files_still_load() {
        let arch = Architecture::new(8).unwrap();
        let params = arch.initial_params(3);
        let mut f = sample();
        f.network = Some(FilterNetwork::new(&arch, TrainSettings::default(), &params));
        let back = Filter::from_json(&f.to_json()).unwrap();
        assert_eq!(back.version, VERSION);
        let (back_arch, back_params) = back.network.as_ref().unwrap().decode().unwrap();
        assert_eq!(back_arch, arch);
        for (a, b) in params.iter().zip(&back_params) {
            assert!((a - b).abs() <= a.abs() / 1024.0 + 1e-7, "{a} vs {b}");
        }
        // a version 1 file (no network) reads as before
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["version"] = 1.into();
        assert_eq!(
            Filter::from_json(&serde_json::to_vec(&v).unwrap()).unwrap().network,
            None
        );
    }

    #[test]
    fn a_damaged_network_is_refused_with_a_reason() {
        let arch = Architecture::new(8).unwrap();
        let mut f = sample();
        f.network = Some(FilterNetwork::new(
            &arch,
            TrainSettings::default(),
            &arch.initial_params(3),
        ));
        let refused = |change: &dyn Fn(&mut FilterNetwork)| {
            let mut damaged = f.clone();
            change(damaged.network.as_mut().unwrap());
            Filter::from_json(&damaged.to_json()).unwrap_err().to_string()
        };
        let m = refused(&|n| n.data.truncate(1000));
        assert!(m.contains("truncated") && m.contains("1000 bytes"), "{m}");
        let m = refused(&|n| n.width = 16);
        assert!(m.contains("width 16") && m.contains("parameters"), "{m}");
        let m = refused(&|n| n.width = 12);
        assert!(m.contains("width") && m.contains("12"), "{m}");
        let m = refused(&|n| n.encoding = "u8".into());
        assert!(m.contains("encoding"), "{m}");
        let m = refused(&|n| n.data[10..12].copy_from_slice(&half::f16::NAN.to_le_bytes()));
        assert!(m.contains("parameter 5 is not a finite number"), "{m}");
    }

    #[test]
    fn rejects_what_is_not_a_filter() {
        let err = |bytes: &[u8]| Filter::from_json(bytes).unwrap_err().to_string();
        assert!(err(b"\x89PNG....").contains("not JSON"));
        assert!(err(br#"{"format": "something", "version": 1}"#).contains("format"));
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["version"] = 99.into();
        assert!(err(&serde_json::to_vec(&v).unwrap()).contains("version 99"));
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["styles"][0]["data"] = BASE64.encode(b"not an image").into();
        assert!(err(&serde_json::to_vec(&v).unwrap()).contains("red.png"));
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["params"]["style_scale"] = 100.0.into();
        assert!(err(&serde_json::to_vec(&v).unwrap()).contains("style scale"));
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["styles"] = serde_json::json!([]);
        assert!(err(&serde_json::to_vec(&v).unwrap()).contains("no style image"));
        // a blend no transfer can use is refused on reading, not when the filter is applied
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["styles"][0]["blend"] = (-1.0).into();
        assert!(err(&serde_json::to_vec(&v).unwrap()).contains("blend weights must be finite, at least 0"));
        // a field of the wrong type, or one missing, is named
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v["params"]["size"] = "big".into();
        let e = err(&serde_json::to_vec(&v).unwrap());
        assert!(e.contains("params.size: invalid type: string \"big\""), "{e}");
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
        v.as_object_mut().unwrap().remove("params");
        let e = err(&serde_json::to_vec(&v).unwrap());
        assert!(e.contains("missing field \"params\""), "{e}");
    }
}
