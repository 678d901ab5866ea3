//! What a newcomer reads (issue 15): usage errors keep clap's message, suggestions and the
//! command's usage; list flags accept the defaults their help shows; negative numbers reach our
//! checks; the JSON files name things as the command line does, with no Rust names or f32 noise.

use std::path::Path;
use std::sync::OnceLock;

mod common;
use common::{atrous, scratch, stderr, stdout, train_model};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A usage error: exit code 2, clap's message, the command's usage line, and as the last line a
/// hint at the help of the command being run. Returns the message.
fn usage_error(args: &[&str]) -> String {
    let o = atrous(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    let command = match args.first() {
        Some(c) if !c.starts_with('-') && *c != "trian" => format!("atrous {c}"),
        _ => "atrous".to_owned(),
    };
    assert!(err.contains(&format!("Usage: {command} ")), "{args:?}: no usage line in {err}");
    let last = err.trim_end().lines().last().unwrap();
    assert!(last.starts_with(&format!("hint: '{command} --help'")), "{args:?}: last line {last:?}");
    assert!(!err.contains("For more information, try '--help'"), "{err}");
    err
}

/// One of our own errors: exit code 1, exactly one line starting `error: `. Returns it.
fn our_error(args: &[&str]) -> String {
    let o = atrous(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    err.trim_end().to_owned()
}

#[test]
fn a_missing_required_argument_is_named() {
    let err = usage_error(&["eval"]);
    assert!(err.contains("the following required arguments were not provided:\n  --model <MODEL>"), "{err}");
    assert!(err.contains("Usage: atrous eval --model <MODEL>"), "{err}");
    let err = usage_error(&["saliency", "--model", "m.safetensors"]);
    assert!(err.contains("\n  --out <OUT>"), "{err}");
}

#[test]
fn misspellings_get_suggestions_and_bad_choices_list_the_allowed_values() {
    let err = usage_error(&["trian"]);
    assert!(err.contains("unrecognized subcommand 'trian'"), "{err}");
    assert!(err.contains("a similar subcommand exists: 'train'"), "{err}");
    let err = usage_error(&["saliency", "--model", "m", "--out", "o", "--batch-sise", "3"]);
    assert!(err.contains("a similar argument exists: '--batch-size'"), "{err}");
    let err = usage_error(&["train", "--optimizer", "rmsprop", "--out", "o"]);
    assert!(err.contains("invalid value 'rmsprop' for '--optimizer <OPTIMIZER>'"), "{err}");
    assert!(err.contains("[possible values: sgd, adam]"), "{err}");
    assert!(err.contains("Usage: atrous train [OPTIONS] --out <OUT>"), "{err}");
}

#[test]
fn bare_atrous_prints_the_help_and_fails_with_2() {
    let o = atrous(&[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("Usage: atrous <COMMAND>"), "{err}");
    for command in ["train", "eval", "saliency", "class-model", "localize", "study", "learn-dilation"] {
        assert!(err.contains(&format!("\n  {command} ")), "{command} missing from {err}");
    }
    // Asked for, the help goes to stdout and succeeds.
    let o = atrous(&["saliency", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("--batch-size <BATCH_SIZE>"));
    assert!(!stdout(&o).contains("--batch <"), "the old name is a hidden alias");
}

/// The `[default: …]` that `atrous <command> --help` shows for `flag`.
fn shown_default(command: &str, flag: &str) -> String {
    let help = stdout(&atrous(&[command, "--help"]));
    let at = help.find(&format!("{flag} <")).unwrap_or_else(|| panic!("{flag} not in {help}"));
    let rest = &help[at..];
    let start = rest.find("[default: ").expect("a default") + "[default: ".len();
    rest[start..start + rest[start..].find(']').unwrap()].to_owned()
}

#[test]
fn list_defaults_round_trip() {
    let dir = scratch("lists");
    assert_eq!(shown_default("train", "--channels"), "16,32,64");
    assert_eq!(shown_default("study", "--dilations"), "1,2,3,4");
    assert_eq!(shown_default("learn-dilation", "--candidates"), "1,2,3,4");

    // The shown default, passed back, trains the network it describes.
    let run = dir.join("run");
    let channels = shown_default("train", "--channels");
    let o = atrous(&[
        "train",
        "--channels",
        &channels,
        "--epochs",
        "1",
        "--train-limit",
        "64",
        "--test-limit",
        "64",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&run.join("metrics.json"))["config"]["channels"], serde_json::json!([16, 32, 64]));

    // Study and search: the list is accepted (parsing passes), so the run stops at our own
    // check of a later flag, not at clap.
    let out = dir.join("study");
    let dilations = shown_default("study", "--dilations");
    let err =
        our_error(&["study", "--dilations", &dilations, "--seeds", "0", "--out", out.to_str().unwrap()]);
    assert!(err.contains("--seeds"), "{err}");
    let candidates = shown_default("learn-dilation", "--candidates");
    let err = our_error(&[
        "learn-dilation",
        "--candidates",
        &candidates,
        "--epochs",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("--epochs"), "{err}");

    // One convention: space-separated values are not a list.
    let err = usage_error(&["train", "--channels", "16", "32", "64", "--out", run.to_str().unwrap()]);
    assert!(err.contains("unexpected argument '32'"), "{err}");
}

#[test]
fn negative_values_reach_validation() {
    let out = scratch("negative");
    let out = out.to_str().unwrap();
    let model = "/nonexistent/model.safetensors";
    let err = our_error(&["class-model", "--model", model, "--lambda", "-1", "--out", out]);
    assert_eq!(err, "error: --lambda -1 is out of range: the lambda must be finite and ≥ 0");
    let err = our_error(&["class-model", "--model", model, "--lr", "-0.5", "--out", out]);
    assert!(err.starts_with("error: --lr -0.5 is out of range: the step size"), "{err}");
    let err = our_error(&["localize", "--model", model, "--smoothness", "-2", "--out", out]);
    assert!(err.starts_with("error: --smoothness -2 is out of range"), "{err}");
    let err = our_error(&["localize", "--model", model, "--ink", "2", "--out", out]);
    assert_eq!(err, "error: --ink 2 is out of range: the ink threshold must be in [0, 1]");
    let err = our_error(&["localize", "--model", model, "--ink", "-0.3", "--out", out]);
    assert!(err.starts_with("error: --ink -0.3 is out of range"), "{err}");
    let err = our_error(&["train", "--lr", "-1", "--out", out]);
    assert!(err.contains("--lr"), "{err}");
    // A negative count is named by its flag (clap's message), not "unexpected argument '-1'".
    let err = usage_error(&["train", "--epochs", "-1", "--out", out]);
    assert!(err.contains("invalid value '-1' for '--epochs <EPOCHS>'"), "{err}");
    let err = usage_error(&["saliency", "--model", model, "--show", "-1", "--out", out]);
    assert!(err.contains("invalid value '-1' for '--show <SHOW>'"), "{err}");
    let err = usage_error(&["saliency", "--model", model, "--images", "-3..5", "--out", out]);
    assert!(err.contains("\"-3\" is not an image index"), "{err}");
}

#[test]
fn thread_counts_are_capped_in_every_command() {
    let out = scratch("threads");
    let out = out.to_str().unwrap();
    let model = "/nonexistent/model.safetensors";
    for command in ["saliency", "class-model", "localize", "eval"] {
        let mut args = vec![command, "--model", model, "--threads", "5000"];
        if command != "eval" {
            args.extend(["--out", out]);
        }
        let err = our_error(&args);
        assert_eq!(err, "error: --threads 5000 is not a sensible thread count (at most 1024)", "{command}");
    }
}

/// A tiny DilNet(2), trained for one epoch on 512 images, shared by the tests below.
fn model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(|| {
        train_model(
            "model",
            &["--dilation", "2", "--channels", "4,8,8", "--train-limit", "512", "--test-limit", "64"],
        )
        .to_str()
        .unwrap()
        .to_owned()
    })
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// A string that looks like a Rust enum's `Debug`: `Predicted`, `Class(3)`.
fn looks_like_rust(s: &str) -> bool {
    let head = s.split('(').next().unwrap();
    s.chars().next().is_some_and(char::is_uppercase)
        && head.chars().all(char::is_alphanumeric)
        && (s == head || s.ends_with(')'))
}

/// `v` is written as the shortest decimal of an f32.
fn is_short_f32(v: &serde_json::Value) -> bool {
    let x = v.as_f64().unwrap();
    (x as f32).to_string().parse::<f64>().unwrap() == x
}

#[test]
fn json_names_targets_as_the_command_line_does_with_short_f32s() {
    assert!(looks_like_rust("Predicted") && looks_like_rust("Class(3)") && !looks_like_rust("predicted"));
    let out = scratch("json");
    for (target, written) in [
        ("predicted", serde_json::json!("predicted")),
        ("label", serde_json::json!("label")),
        ("3", serde_json::json!(3)),
    ] {
        let dir = out.join(format!("saliency-{target}"));
        let o = atrous(&[
            "saliency",
            "--model",
            model(),
            "--images",
            "0..5",
            "--target",
            target,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let index = json(&dir.join("index.json"));
        assert_eq!(index["target"], written);
        let mut all = Vec::new();
        strings(&index, &mut all);
        assert!(all.iter().all(|s| !looks_like_rust(s)), "a Rust name in {all:?}");
        let entries = index["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 5);
        assert!(entries.iter().all(|e| is_short_f32(&e["score"])), "{entries:?}");
    }

    let dir = out.join("class-model");
    let o = atrous(&[
        "class-model",
        "--model",
        model(),
        "--steps",
        "3",
        "--lambda",
        "0.05",
        "--lr",
        "0.3",
        "--classes",
        "2,7",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("class_models.json")).unwrap();
    assert!(text.contains("\"lambda\": 0.05,") && text.contains("\"lr\": 0.3,"), "{text}");
    let report = json(&dir.join("class_models.json"));
    for field in ["initial_score", "final_score", "final_softmax_p", "final_objective", "image_l2"] {
        let values = report[field].as_array().unwrap();
        assert_eq!(values.len(), 2, "{field}");
        assert!(values.iter().all(is_short_f32), "{field}: {values:?}");
    }
    let index = json(&dir.join("index.json"));
    let targets: Vec<_> = index["entries"].as_array().unwrap().iter().map(|e| e["target"].clone()).collect();
    assert_eq!(targets, [serde_json::json!(2), serde_json::json!(7)]);

    let dir = out.join("localize");
    let o = atrous(&[
        "localize",
        "--model",
        model(),
        "--images",
        "0..4",
        "--ink",
        "0.3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("localize.json")).unwrap();
    assert!(text.contains("\"ink_threshold\": 0.3,"), "{text}");
    assert_eq!(json(&dir.join("localize.json"))["target"], "predicted");
}

#[test]
fn summaries_count_correctly_and_say_what_the_picture_shows() {
    let out = scratch("summaries");
    let run = |images: &str, show: &str, name: &str| {
        let dir = out.join(name);
        let o = atrous(&[
            "saliency",
            "--model",
            model(),
            "--images",
            images,
            "--show",
            show,
            "--batch",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        (stdout(&o), dir.join("saliency.png").exists())
    };
    let (text, png) = run("7", "10", "one");
    assert!(text.starts_with("1 saliency map in "), "{text}");
    assert!(text.contains("1/1 predicted correctly") || text.contains("0/1 predicted correctly"), "{text}");
    assert!(text.trim_end().ends_with("saliency.png shows all 1 (--show 10 capped to the range)"), "{text}");
    assert!(png);
    let (text, png) = run("0..16", "0", "none");
    assert!(text.starts_with("16 saliency maps in "), "{text}");
    assert!(text.trim_end().ends_with("no picture (--show 0)"), "{text}");
    assert!(!png, "--show 0 wrote a picture");
    let (text, png) = run("0..16", "4", "some");
    assert!(text.trim_end().ends_with("saliency.png shows the first 4 of 16 (--show N for more)"), "{text}");
    assert!(png);
}
