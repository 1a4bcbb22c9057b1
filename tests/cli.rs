//! The command line as a user runs it: saved filters in and out, settings given on the command line over a
//! filter's, and clear refusals of bad options.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use artsy::{Filter, Optimizer};
use common::shared;

fn artsy(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_artsy"))
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
    let photo = shared("images/content_chelsea_cat.png");
    let (starry, wave) = (
        shared("images/style_starry_night_vangogh.jpg"),
        shared("images/style_great_wave_hokusai.jpg"),
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

#[test]
fn bad_options_and_bad_filters_are_refused_with_a_reason() {
    let (ok, log) = artsy(&["--style-layers", "relu9_9=1", "--iters", "1"]);
    assert!(!ok);
    assert!(log.contains("--style-layers: unknown layer `relu9_9`"), "{log}");

    let (ok, log) = artsy(&["--content-layers", "relu4_2=lots"]);
    assert!(!ok);
    assert!(log.contains("is not NAME=WEIGHT"), "{log}");

    let not_a_filter = scratch("photo.artsy-filter.json");
    std::fs::copy(shared("images/content_coffee.png"), &not_a_filter).unwrap();
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
