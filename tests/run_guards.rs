//! What stops a run before it harms anything: sizes whose networks (the photo's or a painting's) pass the GPU's
//! buffer limits are refused up front with the largest size that fits, and a run whose loss stops being a number
//! is stopped with its best picture kept.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::{Error, Gpu, Optimizer, Params, Session, Transfer};
use common::{gpu, gpu_weights};

fn gradient(w: u32, h: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 255 / w) as u8, (y * 255 / h) as u8, 90, 255])
    })
}

#[test]
fn a_painting_analysed_beyond_the_buffer_limit_is_too_large_and_the_device_lives_on() {
    // A GPU whose buffers hold at most 16 MiB (the weights' largest is 9 MiB): conv1's features fit up to 256x256 px.
    let gpu = pollster::block_on(Gpu::with_buffer_limit(16 << 20)).expect("a GPU adapter");
    let weights = gpu_weights(&gpu);
    let photo = gradient(64, 64);
    let painting = gradient(60, 60);
    let setup = |size: u32, style_scale: f32| {
        // The first layer only: the limit concerns conv1's features, and a shallow network sets up quickly.
        let relu1_1 = "relu1_1".parse().unwrap();
        let params = Params {
            size,
            style_scale,
            iterations: 1,
            content_layers: vec![(relu1_1, 1.0)],
            style_layers: vec![(relu1_1, 1.0)],
            ..Params::default()
        };
        pollster::block_on(Session::new(
            &gpu,
            &weights,
            &photo,
            &[(painting.clone(), 1.0)],
            &params,
        ))
    };
    // The photo's network fits at 256 px, but the painting's, at twice that, does not.
    let largest = match setup(256, 2.0) {
        Err(e @ Error::TooLarge { largest_fitting, .. }) => {
            println!("{e}");
            largest_fitting
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a painting network of 512x512 px was set up in 16 MiB buffers"),
    };
    gpu.check_alive().expect("refusing a size must not lose the device");
    assert_eq!(largest, 128, "the largest size at style scale 2 is half of 256");
    assert_eq!(
        Session::largest_size(&gpu, (64, 64), &[(60, 60)], 2.0),
        128,
        "the page's size limit agrees with the refusal"
    );
    let mut session = setup(largest, 2.0).expect("the named size sets up");
    session.run(1).unwrap();
    pollster::block_on(session.finish()).expect("and runs");
    assert!(
        matches!(setup(largest * 11 / 10, 2.0), Err(Error::TooLarge { .. })),
        "10% more does not fit"
    );
    gpu.check_alive().unwrap();
}

#[test]
fn a_loss_that_is_not_a_number_stops_the_run_and_keeps_the_best_picture() {
    let gpu = gpu();
    let weights = gpu_weights(&gpu);
    let photo = gradient(48, 48);
    let params = Params {
        size: 48,
        iterations: 20,
        optimizer: Optimizer::Adam,
        ..Params::default()
    };
    let mut session = pollster::block_on(Session::new(
        &gpu,
        &weights,
        &photo,
        &[(gradient(40, 40).clone(), 1.0)],
        &params,
    ))
    .unwrap();
    session.run(3).unwrap();
    let good = pollster::block_on(session.finish()).expect("three ordinary steps");
    assert!(good.total.is_finite());
    let best_before = pollster::block_on(session.best_image()).unwrap();

    // Something poisons the picture (as a too-large weight or a broken driver would).
    let nan = vec![f32::NAN; (session.width * session.height * 4) as usize];
    gpu.queue
        .write_buffer(session.pixels_buffer(), 0, bytemuck::cast_slice(&nan));
    session.run(1).unwrap();
    match pollster::block_on(session.finish()) {
        Err(e @ Error::Diverged { iteration: 4, .. }) => {
            let message = e.to_string();
            println!("{message}");
            assert!(
                message.contains("not a finite number") && message.contains("best picture"),
                "{message}"
            );
        }
        other => panic!("a NaN loss was not stopped: {other:?}"),
    }
    assert!(
        matches!(session.run(1), Err(Error::Diverged { .. })),
        "a stopped run goes on"
    );
    let best = pollster::block_on(session.best_image()).unwrap();
    assert_eq!(best, best_before, "the best picture is the last good one");
    // ... and it is a picture, close to the photo it started from, not the black of NaN pixels.
    let resized = artsy::image::resize(&photo, best.width(), best.height());
    let mean_diff = best
        .pixels()
        .zip(resized.pixels())
        .map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>() / 3.0)
        .sum::<f64>()
        / (best.width() * best.height()) as f64;
    assert!(
        mean_diff < 20.0,
        "best picture is {mean_diff} grey levels from the photo"
    );
}

#[test]
fn coarse_to_fine_is_refused_up_front_when_its_last_stage_does_not_fit() {
    // 16 MiB buffers: conv1's features fit up to 256x256 px, so a run up to 512 px cannot end. Its first stages
    // (128 and 256 px) would fit: the refusal comes before they run, not after.
    let gpu = pollster::block_on(Gpu::with_buffer_limit(16 << 20)).expect("a GPU adapter");
    let weights = gpu_weights(&gpu);
    let params = Params {
        size: 512,
        multiscale: true,
        multiscale_start: 128,
        iterations: 3,
        ..Params::default()
    };
    let painting = [(gradient(40, 40), 1.0)];
    match pollster::block_on(Transfer::new(&gpu, &weights, &gradient(64, 64), &painting, &params)) {
        Err(Error::TooLarge { largest_fitting, .. }) => assert_eq!(largest_fitting, 256),
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a run up to 512 px started in 16 MiB buffers"),
    }
}

#[test]
fn a_stage_that_runs_away_at_its_end_stops_coarse_to_fine_with_its_best_picture() {
    let gpu = gpu();
    let weights = gpu_weights(&gpu);
    // Adam at a learning rate of 1 with a huge content weight runs away within two steps.
    let params = Params {
        size: 32,
        multiscale: true,
        multiscale_start: 16,
        iterations: 3,
        optimizer: Optimizer::Adam,
        learning_rate: 1.0,
        content_weight: 1e6,
        style_weight: 0.0,
        tv_weight: 1.0,
        ..Params::default()
    };
    // (the CLI's sample pair, as `artsy --size 32 --multiscale --multiscale-start 16 --iters 3 --optimizer adam
    // --lr 1 --content-weight 1e6 --style-weight 0 --tv-weight 1` runs it)
    let read = |name: &str| image::open(common::asset(name)).unwrap().to_rgba8();
    let photo = read("images/content_astronaut.png");
    let painting = [(read("images/style_starry_night_vangogh.jpg"), 1.0)];
    let mut transfer = pollster::block_on(Transfer::new(&gpu, &weights, &photo, &painting, &params)).unwrap();
    assert_eq!(transfer.stages().len(), 2);
    // The first stage's first step, seen finished; then its last, which runs away, queued and not yet looked at
    // (as a batch's last steps are when the stage ends).
    assert_eq!(transfer.run(1).unwrap(), 1);
    transfer.wait_oldest().unwrap();
    let first = transfer.poll_losses().expect("the first step's losses");
    assert!(first.total.is_finite());
    assert_eq!(transfer.run(10).unwrap(), 1);
    match pollster::block_on(transfer.next_stage()) {
        Err(Error::Diverged { .. }) => {}
        other => panic!("the first stage's runaway was carried on: {other:?}"),
    }
    assert_eq!(transfer.stage(), 0, "the run stays at the stage that went wrong");
    let best = pollster::block_on(transfer.best_image()).unwrap();
    assert_eq!((best.width(), best.height()), (16, 16), "its best picture is kept");
}
