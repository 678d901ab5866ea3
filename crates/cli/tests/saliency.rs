//! `atrous saliency`, `atrous class-model` and `atrous localize` end to end on a small model
//! trained by the real binary, plus their errors (ours in one line, clap's with the usage).

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

mod common;
use common::{atrous, scratch, stderr, train_model};

/// A narrow DilNet(2) trained for one epoch on 10,000 images (313 steps of 32), shared by the tests of this file.
fn model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(|| {
        train_model(
            "model",
            &[
                "--dilation",
                "2",
                "--channels",
                "8,16,16",
                "--train-limit",
                "10000",
                "--batch-size",
                "32",
                "--test-limit",
                "200",
            ],
        )
        .to_str()
        .unwrap()
        .to_owned()
    })
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Shape and values of a `.npy` file written by atrous (format 1.0, `<f4`, C order).
fn read_npy(path: &Path) -> (String, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    assert_eq!((10 + len) % 64, 0, "header not aligned");
    let header = String::from_utf8(bytes[10..10 + len].to_vec()).unwrap();
    assert!(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"));
    let shape = header[header.find("'shape': ").unwrap() + 9..header.find(", }").unwrap()].to_owned();
    let data = bytes[10 + len..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    (shape, data)
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
}

/// Our own errors (a value checked after parsing): one line, exit code 1.
fn assert_one_line_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(1), "expected our error, got {:?}: {}", o.status, stderr(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "error is not one line: {err:?}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err:?} lacks {needle:?}");
}

/// A value clap's parser refuses: clap's message naming the problem on its first line, the
/// command's usage, a hint at its help, exit code 2.
fn assert_usage_error(o: &Output, command: &str, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "expected a usage error, got {:?}: {}", o.status, stderr(o));
    let err = stderr(o);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: ") && first.contains(needle), "{first:?} lacks {needle:?}");
    assert!(err.contains(&format!("Usage: atrous {command} ")), "no usage line: {err}");
    let hint = format!("hint: 'atrous {command} --help'");
    assert!(err.trim_end().lines().last().unwrap().starts_with(&hint), "no hint: {err}");
}

#[test]
fn saliency_writes_maps_index_and_picture() {
    let out = scratch("saliency");
    let o = atrous(&["saliency", "--model", model(), "--images", "5..25", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, maps) = read_npy(&out.join("maps.npy"));
    assert_eq!(shape, "(20, 28, 28)");
    assert!(maps.iter().all(|&m| m >= 0.0 && m.is_finite()));
    assert!(maps.chunks(784).all(|m| m.iter().any(|&v| v > 0.0)), "an all-zero map");
    let index = json(&out.join("index.json"));
    let entries = index["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    assert_eq!(entries[0]["image"], 5);
    assert_eq!(entries[19]["image"], 24);
    // The default target is the prediction; labels are MNIST's (test image 5 is a 1).
    assert_eq!(entries[0]["label"], 1);
    assert!(entries.iter().all(|e| e["target"] == e["prediction"]));
    let correct = entries.iter().filter(|e| e["label"] == e["prediction"]).count();
    assert!(correct >= 16, "only {correct}/20 correct");
    assert_png(&out.join("saliency.png"));

    // A fixed class and the true label are explained as asked.
    let o = atrous(&[
        "saliency",
        "--model",
        model(),
        "--images",
        "0..4",
        "--target",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(json(&out.join("index.json"))["entries"].as_array().unwrap().iter().all(|e| e["target"] == 3));
    let o = atrous(&[
        "saliency",
        "--model",
        model(),
        "--images",
        "0..4",
        "--target",
        "label",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let index = json(&out.join("index.json"));
    assert!(index["entries"].as_array().unwrap().iter().all(|e| e["target"] == e["label"]));
}

#[test]
fn every_method_writes_its_maps_and_says_what_they_are() {
    let out = scratch("methods");
    let run = |method: &str, extra: &[&str]| {
        let dir = out.join(method);
        let mut args = vec![
            "saliency",
            "--model",
            model(),
            "--images",
            "3..9",
            "--method",
            method,
            "--out",
            dir.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = atrous(&args);
        assert!(o.status.success(), "{method}: {}", stderr(&o));
        let (shape, maps) = read_npy(&dir.join("maps.npy"));
        assert_eq!(shape, "(6, 28, 28)", "{method}");
        assert!(maps.iter().all(|m| m.is_finite()), "{method}");
        assert_png(&dir.join("saliency.png"));
        (maps, json(&dir.join("index.json")), common::stdout(&o))
    };
    let (vanilla, index, text) = run("vanilla", &[]);
    assert_eq!(index["method"], "vanilla");
    assert!(text.starts_with("6 saliency maps in "), "{text}");
    // The default method is the paper's map, byte for byte.
    let default = out.join("default");
    let o = atrous(&["saliency", "--model", model(), "--images", "3..9", "--out", default.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(default.join("maps.npy")).unwrap(),
        std::fs::read(out.join("vanilla/maps.npy")).unwrap()
    );

    let (gxi, index, text) = run("grad-x-input", &[]);
    assert_eq!(index["method"], "grad-x-input");
    assert!(text.starts_with("6 maps (grad-x-input) in "), "{text}");
    assert!(gxi.iter().any(|&m| m < 0.0) && gxi.iter().any(|&m| m > 0.0), "grad-x-input is signed");
    // x ⊙ g vanishes on the black background, where |g| does not.
    let background = (0..gxi.len()).filter(|&i| gxi[i] == 0.0 && vanilla[i] > 0.0).count();
    assert!(background > 1000, "only {background} zeroed background pixels");

    let (_, index, text) =
        run("integrated-gradients", &["--ig-steps", "20", "--baseline", "blur", "--blur-sigma", "3"]);
    assert_eq!(index["parameters"]["steps"], 20);
    assert_eq!(index["parameters"]["baseline"]["blur_sigma"], 3.0);
    let gaps = index["completeness_gap"].as_array().unwrap();
    assert_eq!(gaps.len(), 6);
    assert!(gaps.iter().all(|g| g.as_f64().unwrap() >= 0.0));
    assert!(index["completeness_gap_max"].as_f64().unwrap() >= gaps[0].as_f64().unwrap());
    assert!(text.contains("completeness gap at most"), "{text}");
    let (_, index, _) = run("integrated-gradients", &["--baseline", "mean"]);
    assert_eq!(index["parameters"]["baseline"], "mean");
    assert_eq!(index["parameters"]["steps"], 50);

    let (sg, index, _) = run("smoothgrad", &["--samples", "5", "--sigma", "0.1"]);
    assert_eq!(
        (index["parameters"]["samples"].clone(), index["parameters"]["sigma"].clone()),
        (5.into(), 0.1.into())
    );
    let (again, _, _) = run("smoothgrad", &["--samples", "5", "--sigma", "0.1"]);
    assert_eq!(sg, again, "the same seed repeats");
    let (other, _, _) = run("smoothgrad", &["--samples", "5", "--sigma", "0.1", "--seed", "9"]);
    assert_ne!(sg, other, "another seed draws other noise");
    for method in ["smoothgrad-sq", "vargrad"] {
        let (maps, index, _) = run(method, &["--samples", "3"]);
        assert!(maps.iter().all(|&m| m >= 0.0), "{method}");
        assert_eq!(index["parameters"]["seed"], 0);
    }
    for method in ["guided-backprop", "deconvnet"] {
        let (maps, index, _) = run(method, &[]);
        assert_eq!(index["method"], method);
        assert!(maps.iter().any(|&m| m != 0.0));
    }
    let (occ, index, _) = run("occlusion", &["--window", "7", "--stride", "7"]);
    assert_eq!(
        (index["parameters"]["window"].clone(), index["parameters"]["stride"].clone()),
        (7.into(), 7.into())
    );
    // 7×7 windows without overlap: each block of the map is one constant drop.
    assert!(occ[..784].chunks(28).take(7).all(|row| row[..7].iter().all(|&v| v == row[0])));
    let (cam, _, _) = run("grad-cam", &[]);
    assert!(cam.iter().all(|&m| m >= 0.0) && cam.iter().any(|&m| m > 0.0));
}

#[test]
fn class_model_raises_every_class_score() {
    let out = scratch("class-model");
    let o = atrous(&["class-model", "--model", model(), "--steps", "50", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, images) = read_npy(&out.join("class_models.npy"));
    assert_eq!(shape, "(10, 28, 28)");
    assert!(images.iter().any(|&v| v != 0.0));
    let (shape, mean) = read_npy(&out.join("mean.npy"));
    assert_eq!(shape, "(28, 28)");
    // MNIST's mean pixel is 0.1307.
    let avg = mean.iter().sum::<f32>() / 784.0;
    assert!((avg - 0.1307).abs() < 1e-3, "mean image average {avg}");
    let report = json(&out.join("class_models.json"));
    assert_eq!(report["steps"], 50);
    for c in 0..10 {
        let (s0, s1) =
            (report["initial_score"][c].as_f64().unwrap(), report["final_score"][c].as_f64().unwrap());
        assert!(s1 > s0 + 10.0, "class {c}: S_c {s0} → {s1}");
    }
    let index = json(&out.join("index.json"));
    let entries = index["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 10);
    assert!(entries.iter().enumerate().all(|(j, e)| e["slot"] == j && e["target"] == j));
    assert_eq!(entries[7]["score"], report["final_score"][7]);
    assert_png(&out.join("class_models.png"));
}

#[test]
fn localize_scores_boxes_against_the_ink() {
    let out = scratch("localize");
    let o = atrous(&["localize", "--model", model(), "--images", "0..100", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = json(&out.join("localize.json"));
    assert_eq!(report["images"], 100);
    assert_eq!(report["fg_quantile"], 0.95);
    assert_eq!(report["bg_quantile"], 0.3);
    let (b, m) = (report["mean_box_iou"].as_f64().unwrap(), report["mean_mask_iou"].as_f64().unwrap());
    let whole = report["whole_image_box_iou"].as_f64().unwrap();
    let seeds = report["seed_only_box_iou"].as_f64().unwrap();
    assert!(seeds > 0.0 && seeds <= 1.0, "seed-only box IoU {seeds}");
    assert!(b > whole && b <= 1.0, "box IoU {b} vs whole-image {whole}");
    assert!(m > 0.15 && m <= 1.0, "mask IoU {m}");
    assert_png(&out.join("localize.png"));
}

#[test]
fn bad_input_gives_errors_that_name_it() {
    let out = scratch("errors");
    let out = out.to_str().unwrap();
    assert_usage_error(
        &atrous(&["saliency", "--model", model(), "--images", "9..3", "--out", out]),
        "saliency",
        "empty",
    );
    assert_usage_error(
        &atrous(&["saliency", "--model", model(), "--images", "a..3", "--out", out]),
        "saliency",
        "not an image index",
    );
    assert_one_line_error(
        &atrous(&["saliency", "--model", model(), "--images", "9990..10001", "--out", out]),
        "reaches past",
    );
    assert_one_line_error(
        &atrous(&["saliency", "--model", model(), "--target", "10", "--out", out]),
        "outside 0..9",
    );
    assert_usage_error(
        &atrous(&["saliency", "--model", model(), "--target", "best", "--out", out]),
        "saliency",
        "best",
    );
    assert_one_line_error(
        &atrous(&["class-model", "--model", model(), "--classes", "3,12", "--out", out]),
        "12",
    );
    assert_one_line_error(
        &atrous(&["class-model", "--model", model(), "--lr=-1", "--out", out]),
        "step size",
    );
    assert_one_line_error(
        &atrous(&["localize", "--model", model(), "--fg-quantile", "0.2", "--out", out]),
        "--fg-quantile 0.2 is out of range",
    );
    assert_usage_error(
        &atrous(&["saliency", "--model", model(), "--method", "lime", "--out", out]),
        "saliency",
        "\"lime\" is not one of vanilla, grad-x-input",
    );
    assert_usage_error(
        &atrous(&[
            "saliency",
            "--model",
            model(),
            "--method",
            "integrated-gradients",
            "--baseline",
            "grey",
            "--out",
            out,
        ]),
        "saliency",
        "grey",
    );
    for (args, needle) in [
        (&["--method", "integrated-gradients", "--ig-steps", "0"][..], "--ig-steps 0 is out of range"),
        (
            &["--method", "integrated-gradients", "--baseline", "blur", "--blur-sigma", "-2"],
            "--blur-sigma -2 is out of range",
        ),
        (
            &["--method", "integrated-gradients", "--blur-sigma", "2"],
            "--blur-sigma applies to integrated-gradients --baseline blur",
        ),
        (&["--ig-steps", "10"], "--ig-steps applies to integrated-gradients, not to --method vanilla"),
        (&["--method", "smoothgrad", "--samples", "0"], "--samples 0 is out of range"),
        (&["--method", "vargrad", "--sigma", "-0.5"], "--sigma -0.5 is out of range"),
        (&["--method", "grad-cam", "--seed", "3"], "--seed applies to smoothgrad"),
        (&["--method", "occlusion", "--window", "4", "--stride", "5"], "--stride 5 is out of range"),
        (&["--method", "occlusion", "--window", "40"], "--window 40 is out of range"),
        (
            &["--method", "smoothgrad", "--window", "3"],
            "--window applies to occlusion, not to --method smoothgrad",
        ),
    ] {
        let mut all = vec!["saliency", "--model", model(), "--out", out];
        all.extend(args);
        assert_one_line_error(&atrous(&all), needle);
    }
    let junk = Path::new(out).join("junk.safetensors");
    std::fs::write(&junk, b"not a model").unwrap();
    for cmd in ["saliency", "class-model", "localize"] {
        assert_one_line_error(
            &atrous(&[cmd, "--model", junk.to_str().unwrap(), "--out", out]),
            "junk.safetensors",
        );
        assert_one_line_error(
            &atrous(&[cmd, "--model", "/nonexistent/m.safetensors", "--out", out]),
            "cannot read",
        );
    }
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[12..16], b"IHDR", "{} has no IHDR first", path.display());
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn figures_are_labelled_and_can_share_one_scale() {
    let out = scratch("figures");
    let dir = |name: &str| out.join(name).to_str().unwrap().to_owned();
    let saliency = |name: &str, extra: &[&str]| {
        let d = dir(name);
        let mut args = vec!["saliency", "--model", model(), "--images", "0..3", "--scale", "2", "--out", &d];
        args.extend(extra);
        let o = atrous(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        png_size(&out.join(name).join("saliency.png"))
    };
    // Three 56-pixel columns and three rows of tiles, plus title, header, colour bars and notes:
    // the figure is much larger than its bare grid (3·(56+2)+2 = 176 wide, as many high).
    let own = saliency("own", &[]);
    assert!(own.0 > 400 && own.1 > 176 + 100, "figure {own:?} has no room for its labels");
    // A shared scale drops the per-map "max" line from every column's header: one text line
    // (13 px text, 17 px lines) less, nothing else changes height.
    let shared = saliency("shared", &["--shared-scale"]);
    assert_eq!(shared.1 + 17, own.1, "own {own:?}, shared {shared:?}");
    let fixed = saliency("fixed", &["--shared-scale", "0.5"]);
    assert_eq!(fixed.1, shared.1);
    // The maps themselves do not depend on how they are drawn.
    let maps = |name: &str| std::fs::read(out.join(name).join("maps.npy")).unwrap();
    assert_eq!(maps("own"), maps("fixed"));
    // A fixed maximum must be positive; a negative one reaches that check.
    for bad in ["0", "-1"] {
        let d = dir("bad");
        let o =
            atrous(&["saliency", "--model", model(), "--images", "0..3", "--shared-scale", bad, "--out", &d]);
        assert_one_line_error(&o, &format!("--shared-scale {bad} is out of range"));
    }
    // The other two commands draw the same kind of figure.
    let o =
        atrous(&["localize", "--model", model(), "--images", "0..4", "--shared-scale", "--out", &dir("loc")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (w, h) = png_size(&out.join("loc").join("localize.png"));
    assert!(w > 4 * 112 && h > 3 * 112, "localize figure {w}×{h}");
    let o = atrous(&[
        "class-model",
        "--model",
        model(),
        "--steps",
        "5",
        "--classes",
        "0,1",
        "--shared-scale",
        "2",
        "--out",
        &dir("cm"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (w, h) = png_size(&out.join("cm").join("class_models.png"));
    assert!(w > 2 * 112 && h > 2 * 112, "class-model figure {w}×{h}");
}
