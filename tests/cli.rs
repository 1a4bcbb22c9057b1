//! The command line as a user runs it: saved filters in and out, settings given on the command line over a
//! filter's, clear refusals of bad options and paths before any work, photos taken upright, and filter networks
//! trained and applied.
//! ARTSY_CLI=path runs these tests against another build of the binary (e.g. an older one).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use artsy::{Filter, FilterStyle, Init, Optimizer, Params};
use common::asset;

fn artsy(args: &[&str]) -> (bool, String) {
    artsy_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// The CLI run in the folder `dir`.
fn artsy_in(dir: &Path, args: &[&str]) -> (bool, String) {
    let binary = std::env::var("ARTSY_CLI").unwrap_or_else(|_| env!("CARGO_BIN_EXE_artsy").into());
    let out = Command::new(binary)
        .current_dir(dir)
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("the artsy binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("artsy-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_saved_filter_runs_again_with_its_paintings_and_settings() {
    let photo = asset("images/content_chelsea_cat.png");
    let (starry, wave) = (
        asset("images/style_starry_night_vangogh.jpg"),
        asset("images/style_great_wave_hokusai.jpg"),
    );
    let filter = scratch("blend.artsy-filter.json");
    let first = scratch("first.png");
    let (ok, log) = artsy(&[
        "--content",
        path(&photo),
        "--style",
        path(&starry),
        "--style",
        path(&wave),
        "--style-blend",
        "3,1",
        "--optimizer",
        "adam",
        "--original-colors",
        "--style-layers",
        "relu2_1=0.5,relu4_1=2",
        "--size",
        "32",
        "--iters",
        "2",
        "--save-filter",
        path(&filter),
        "--out",
        path(&first),
    ]);
    assert!(ok, "{log}");
    let saved = Filter::from_json(&std::fs::read(&filter).unwrap()).unwrap();
    assert_eq!(saved.name, "blend");
    assert_eq!(saved.styles.len(), 2);
    assert_eq!(
        saved.styles[0].data,
        std::fs::read(&starry).unwrap(),
        "the painting's file is kept as it is"
    );
    assert_eq!((saved.styles[0].blend, saved.styles[1].blend), (3.0, 1.0));
    assert_eq!(saved.params.optimizer, Optimizer::Adam);
    assert!(saved.params.original_colors);
    let layers: Vec<(String, f32)> = saved
        .params
        .style_layers
        .iter()
        .map(|&(l, w)| (l.to_string(), w))
        .collect();
    assert_eq!(layers, [("relu2_1".to_string(), 0.5), ("relu4_1".to_string(), 2.0)]);

    // Run from the filter alone: its paintings and settings, with the size given here on top.
    let second = scratch("second.png");
    let (ok, log) = artsy(&[
        "--content",
        path(&photo),
        "--filter",
        path(&filter),
        "--size",
        "24",
        "--iters",
        "1",
        "--out",
        path(&second),
    ]);
    assert!(ok, "{log}");
    assert!(
        log.contains("style_starry_night_vangogh.jpg + style_great_wave_hokusai.jpg"),
        "{log}"
    );
    assert!(log.contains("(Adam)"), "the filter's optimiser is used: {log}");
    let picture = image::open(&second).unwrap();
    assert_eq!(
        picture.width().max(picture.height()),
        24,
        "--size overrides the filter's size"
    );
}

/// Started in another folder than the repository's root, the CLI still finds the app's default photo, painting,
/// weights and training photos.
#[test]
fn the_defaults_are_found_from_any_folder() {
    let elsewhere = scratch("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (ok, log) = artsy_in(&elsewhere, &["--size", "16", "--iters", "1", "--out", "optimised.png"]);
    assert!(ok && elsewhere.join("optimised.png").exists(), "{log}");
    let (ok, log) = artsy_in(
        &elsewhere,
        &[
            "train",
            "--steps",
            "1",
            "--batch",
            "1",
            "--crop",
            "32",
            "--width",
            "8",
            "--style-size",
            "32",
            "--out",
            "f.artsy-filter.json",
        ],
    );
    assert!(ok && log.contains("on 8 photos"), "{log}");
}

#[test]
fn bad_options_and_bad_filters_are_refused_with_a_reason() {
    let (ok, log) = artsy(&["--style-layers", "relu9_9=1", "--iters", "1"]);
    assert!(!ok);
    assert!(log.contains("--style-layers: unknown layer `relu9_9`"), "{log}");

    let (ok, log) = artsy(&["--content-layers", "relu4_2=lots"]);
    assert!(!ok);
    assert!(log.contains("is not NAME=WEIGHT"), "{log}");

    let not_a_filter = scratch("photo.artsy-filter.json");
    std::fs::copy(asset("images/content_coffee.png"), &not_a_filter).unwrap();
    let (ok, log) = artsy(&["--filter", path(&not_a_filter)]);
    assert!(!ok);
    assert!(
        log.contains("not a usable Artsy filter") && log.contains("not JSON"),
        "{log}"
    );

    let (ok, log) = artsy(&["--filter", "/no/such/file.artsy-filter.json"]);
    assert!(!ok);
    assert!(log.contains("cannot read filter"), "{log}");
}

fn png(width: u32, height: u32, color: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb(color));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A saved filter of two small paintings (blend 1 and 1) starting from noise with seed 7, written to `name`.
fn two_painting_noise_filter(name: &str) -> PathBuf {
    let style = |name: &str, color| FilterStyle {
        name: name.into(),
        blend: 1.0,
        data: png(40, 40, color),
    };
    let params = Params {
        init: Init::Noise { seed: 7 },
        ..Params::default()
    };
    let filter = Filter::new(
        "noise",
        &params,
        vec![style("red.png", [200, 30, 30]), style("blue.png", [30, 30, 200])],
    );
    let path = scratch(name);
    std::fs::write(&path, filter.to_json()).unwrap();
    path
}

/// Runs up to the point where the resolved paintings and settings are saved as a filter, and stops before the
/// GPU (the weights file does not exist); returns the filter this run would have used.
fn resolved_filter(args: &[&str], name: &str) -> Filter {
    let saved = scratch(name);
    let mut all = args.to_vec();
    all.extend([
        "--save-filter",
        path(&saved),
        "--weights",
        "/no/such/weights.safetensors",
    ]);
    let photo = asset("images/content_chelsea_cat.png");
    all.extend(["--content", path(&photo)]);
    let (ok, log) = artsy(&all);
    assert!(!ok && log.contains("cannot read weights"), "{log}");
    Filter::from_json(&std::fs::read(&saved).unwrap()).unwrap()
}

#[test]
fn a_blend_given_with_a_filter_applies_to_the_filters_paintings() {
    let filter = two_painting_noise_filter("blend-base.artsy-filter.json");
    let used = resolved_filter(
        &["--filter", path(&filter), "--style-blend", "3,1"],
        "blend-used.artsy-filter.json",
    );
    let blend: Vec<f32> = used.styles.iter().map(|s| s.blend).collect();
    assert_eq!(blend, [3.0, 1.0], "the blend given on the command line is the one used");
    assert_eq!(used.styles[0].name, "red.png");

    let (ok, log) = artsy(&["--filter", path(&filter), "--style-blend", "1,2,3"]);
    assert!(!ok && log.contains("2 paintings but 3 blend weights"), "{log}");
}

#[test]
fn a_seed_alone_keeps_the_filters_noise_start() {
    let filter = two_painting_noise_filter("seed-base.artsy-filter.json");
    let used = resolved_filter(
        &["--filter", path(&filter), "--seed", "5"],
        "seed-used.artsy-filter.json",
    );
    assert_eq!(used.params.init, Init::Noise { seed: 5 });
    let used = resolved_filter(
        &["--filter", path(&filter), "--init", "content"],
        "seed-photo.artsy-filter.json",
    );
    assert_eq!(used.params.init, Init::Content);
}

#[test]
fn output_paths_that_cannot_work_are_refused_before_the_run() {
    for out in ["/proc/artsy-no-such-folder/a.png", "picture.xyz"] {
        let (ok, log) = artsy(&["--out", out, "--size", "32", "--iters", "1"]);
        assert!(!ok, "{log}");
        assert!(
            log.contains(&format!("cannot write {out}")) || log.contains("cannot create the folder"),
            "{log}"
        );
        assert!(
            !log.contains("GPU:"),
            "refused only after opening the GPU and running: {log}"
        );
    }
}

#[test]
fn zero_steps_and_absurd_weights_are_refused_up_front() {
    for (flag, value, says) in [
        ("--iters", "0", "steps must be between 1 and 100000, not 0"),
        (
            "--style-weight",
            "1e35",
            "style weight must be between 0 and 1e7, not 1e35",
        ),
    ] {
        let (ok, log) = artsy(&[flag, value, "--size", "32"]);
        assert!(!ok, "{flag} {value} was accepted: {log}");
        assert!(log.contains(says), "{log}");
        assert!(!log.contains("GPU:"), "{log}");
    }
}

/// A `width` x `height` JPEG, left half red and right half blue, whose EXIF says to show it turned by
/// `orientation` (6: rotate 90 degrees clockwise, as a phone held upright writes it).
fn jpeg_with_orientation(width: u32, height: u32, orientation: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, _| {
        image::Rgb(if x < width / 2 { [220, 20, 20] } else { [20, 20, 220] })
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let jpeg = jpeg.into_inner();
    // One big-endian TIFF IFD with one entry: Orientation (0x0112), SHORT, count 1.
    let tiff: Vec<u8> = [
        &b"MM\0\x2a"[..],
        &8u32.to_be_bytes(),
        &1u16.to_be_bytes(),
        &0x0112u16.to_be_bytes(),
        &3u16.to_be_bytes(),
        &1u32.to_be_bytes(),
        &[0, orientation, 0, 0],
        &0u32.to_be_bytes(),
    ]
    .concat();
    let payload = [&b"Exif\0\0"[..], &tiff].concat();
    let app1 = [&[0xFF, 0xE1][..], &((payload.len() + 2) as u16).to_be_bytes(), &payload].concat();
    [&jpeg[..2], &app1, &jpeg[2..]].concat()
}

#[test]
fn a_phone_photo_is_used_upright() {
    let bytes = jpeg_with_orientation(48, 32, 6);
    let upright = artsy::image::decode("phone.jpg", &bytes).unwrap();
    assert_eq!(upright.dimensions(), (32, 48), "turned to portrait");
    // Turned clockwise, the stored left half (red) is on top.
    assert!(upright.get_pixel(16, 4)[0] > 150 && upright.get_pixel(16, 44)[2] > 150);

    let photo = scratch("phone.jpg");
    std::fs::write(&photo, &bytes).unwrap();
    let out = scratch("phone-out.png");
    let (ok, log) = artsy(&[
        "--content",
        path(&photo),
        "--size",
        "32",
        "--iters",
        "1",
        "--out",
        path(&out),
    ]);
    assert!(ok, "{log}");
    let picture = image::open(&out).unwrap();
    assert!(
        picture.height() == 32 && picture.width() < 32,
        "the output is {}x{}, not portrait",
        picture.width(),
        picture.height()
    );
}

/// `artsy train` from a filter made for the optimisation (content at relu4_2, weight 5) trains in the training
/// form of its settings (relu2_2, weight 500) and saves that; training again from the saved network filter keeps
/// it, and `--continue` trains its network on; `artsy apply` stylises a photo with it and measures the result by
/// the optimisation's losses.
#[test]
fn train_saves_a_network_filter_in_training_form_and_apply_uses_it() {
    let optimisation = two_painting_noise_filter("for-training.artsy-filter.json");
    let photo = asset("images/content_chelsea_cat.png");
    let train = |from: &Path, out: &Path| {
        let (ok, log) = artsy(&[
            "train",
            "--filter",
            path(from),
            "--no-sample-photos",
            "--photos",
            path(&photo),
            "--steps",
            "2",
            "--batch",
            "2",
            "--crop",
            "32",
            "--width",
            "8",
            "--out",
            path(out),
        ]);
        assert!(ok, "{log}");
        Filter::from_json(&std::fs::read(out).unwrap()).unwrap()
    };
    let first = scratch("trained.artsy-filter.json");
    let trained = train(&optimisation, &first);
    let relu2_2 = "relu2_2".parse().unwrap();
    assert_eq!(trained.params.content_layers, vec![(relu2_2, 1.0)]);
    assert_eq!(trained.params.content_weight, 500.0);
    assert_eq!(trained.styles.len(), 2, "the filter's two paintings are kept");
    assert!(trained.network.is_some(), "the saved filter carries its network");
    let again = train(&first, &scratch("trained-again.artsy-filter.json"));
    assert_eq!(
        again.params, trained.params,
        "settings in training form are kept as they are"
    );

    // --continue goes on from the saved network with its settings, and the file counts both runs' steps
    let continued = scratch("trained-more.artsy-filter.json");
    let (ok, log) = artsy(&[
        "train",
        "--filter",
        path(&first),
        "--continue",
        "--no-sample-photos",
        "--photos",
        path(&photo),
        "--steps",
        "3",
        "--style-size",
        "64",
        "--out",
        path(&continued),
    ]);
    assert!(
        ok && log.contains("going on from the filter's network, trained 2 steps"),
        "{log}"
    );
    let more = Filter::from_json(&std::fs::read(&continued).unwrap()).unwrap();
    let (before, after) = (trained.network.as_ref().unwrap(), more.network.as_ref().unwrap());
    assert_eq!(after.training.steps, 5, "2 steps, then 3 more");
    assert_eq!(
        (after.width, after.training.crop, after.training.batch),
        (8, 32, 2),
        "the network's own settings"
    );
    assert_eq!(after.training.style_size, 64, "a setting given wins");
    assert_ne!(after.data, before.data, "the network trained on");
    assert_eq!(more.params, trained.params);
    let refused = |extra: &[&str], from: &Path, expected: &str| {
        let mut flags = vec![
            "train",
            "--continue",
            "--photos",
            path(&photo),
            "--out",
            path(&continued),
        ];
        flags.extend(["--filter", path(from)]);
        flags.extend(extra);
        let (ok, log) = artsy(&flags);
        assert!(!ok && log.contains(expected), "{extra:?}: {log}");
    };
    refused(
        &["--width", "16"],
        &first,
        "has width 8, and a network's width cannot change",
    );
    refused(&[], &optimisation, "carries no trained network to go on from");
    let (ok, log) = artsy(&["train", "--continue", "--out", path(&continued)]);
    assert!(!ok && log.contains("name it with --filter"), "{log}");

    let apply_at = |size: &str, out: &Path, more: &[&str]| {
        let args = [
            "apply",
            "--filter",
            path(&first),
            "--content",
            path(&photo),
            "--size",
            size,
        ];
        artsy(&[&args[..], &["--out", path(out)], more].concat())
    };
    let apply = |out: &Path, more: &[&str]| apply_at("48", out, more);
    // a size past what applying holds in memory is refused before anything that size is made, with the
    // largest --size that this photo's shape may have; and 0 is no size
    let too_big = scratch("too-big.png");
    let (ok, log) = apply_at("100000", &too_big, &[]);
    assert!(
        !ok && log.contains("a filter stylises at most 67.1 million") && log.contains("(--size 10044 or less)"),
        "{log}"
    );
    assert!(!too_big.exists());
    let (ok, log) = apply_at("0", &too_big, &[]);
    assert!(!ok && log.contains("--size"), "{log}");
    let out = scratch("applied.png");
    let (ok, log) = apply(&out, &["--losses"]);
    assert!(ok, "{log}");
    // measured as the optimisation measures, under the settings it trained with
    let measured = log
        .lines()
        .find_map(|l| {
            l.split("the result measured as the optimisation measures: loss ")
                .nth(1)
        })
        .unwrap_or_else(|| panic!("no losses reported: {log}"));
    let total: f64 = measured.split(' ').next().unwrap().parse().unwrap();
    assert!(total.is_finite() && total > 0.0, "{measured}");
    // and its style loss layer by layer, every default style layer named once
    let by_layer = log
        .lines()
        .find_map(|l| l.split("its style loss by layer: ").nth(1))
        .unwrap_or_else(|| panic!("no style loss by layer: {log}"));
    let named: Vec<&str> = by_layer.split(", ").filter_map(|part| part.split(' ').next()).collect();
    assert_eq!(
        named,
        ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
        "{by_layer}"
    );
    let img = image::open(&out).unwrap().to_rgb8();
    assert_eq!(img.width().max(img.height()), 48);
    let first_pixel = *img.get_pixel(0, 0);
    assert!(
        img.pixels().any(|p| *p != first_pixel),
        "the applied picture is one flat colour"
    );
    // a CPU rasteriser computes in f32 unless told (a GPU with shader-f16 in f16); --precision f16 makes the same
    // picture as f32 within 2 levels, or is refused by name where the GPU has no f16
    if log.contains("software (CPU) adapter") {
        assert!(log.contains("(f32;"), "{log}");
    }
    let img = if log.contains("(f32;") {
        img
    } else {
        let in_f32 = scratch("applied-f32.png");
        let (ok, log) = apply(&in_f32, &["--precision", "f32"]);
        assert!(ok && log.contains("(f32;"), "{log}");
        image::open(&in_f32).unwrap().to_rgb8()
    };
    let in_f16 = scratch("applied-f16.png");
    let (ok, log) = apply(&in_f16, &["--precision", "f16"]);
    if ok {
        assert!(log.contains("(f16;"), "{log}");
        let half = image::open(&in_f16).unwrap().to_rgb8();
        let levels = img.iter().zip(half.iter()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(levels <= 2, "f16 and f32 pictures differ by {levels} levels");
    } else {
        assert!(log.contains("cannot compute in f16"), "{log}");
    }
}

/// A picture that cannot be written whole (here past the file-size limit of `ulimit -f`, as on a full disk) is an
/// error, and the file that was at the path is left as it was; nothing half-written stays anywhere.
#[test]
fn a_picture_that_cannot_be_written_whole_is_an_error_and_the_old_file_stays() {
    let dir = scratch("full-disk");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("kept.png");
    std::fs::copy(asset("images/content_astronaut.png"), &out).unwrap();
    let before = std::fs::read(&out).unwrap();
    let binary = std::env::var("ARTSY_CLI").unwrap_or_else(|_| env!("CARGO_BIN_EXE_artsy").into());
    // (1 KiB: every picture is larger; the signal the limit raises is ignored, so writes fail instead)
    let run = Command::new("bash")
        .current_dir(&dir)
        .args([
            "-c",
            r#"trap '' XFSZ; ulimit -f 1; exec "$0" --size 48 --iters 1 --out "$1""#,
        ])
        .arg(&binary)
        .arg(&out)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("TMPDIR", &dir)
        .output()
        .expect("bash runs");
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{log}");
    assert!(log.contains("cannot write") && log.contains("kept.png"), "{log}");
    assert_eq!(std::fs::read(&out).unwrap(), before, "the old file is untouched");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["kept.png"], "no partial or rescued file is left: {log}");
}

#[test]
fn options_that_do_nothing_in_this_run_are_named() {
    let (ok, log) = artsy(&[
        "--init",
        "content",
        "--seed",
        "5",
        "--multiscale-start",
        "64",
        "--weights",
        "/no/such/weights.safetensors",
    ]);
    assert!(!ok && log.contains("cannot read weights"), "{log}");
    assert!(log.contains("note: --seed only matters for a noise start"), "{log}");
    assert!(
        log.contains("note: --multiscale-start only matters with --multiscale"),
        "{log}"
    );
}
