//! A table of hostile inputs through the real binary: damaged models, damaged data folders,
//! nonsense values and unwritable outputs. Every case must exit with 1 (not a panic's 101, not an
//! abort), print one line `error: …` that names the input and what is wrong, and stay within an
//! address-space limit (`ulimit -v`, 4 GiB), so a case that tries to allocate its way through
//! fails here instead of on a user's machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

mod common;
use common::{scratch, stderr, train_model};

/// Address-space limit of every case, in KiB.
const LIMIT_KIB: u64 = 4 << 20;

/// Runs the binary under the address-space limit, with `ATROUS_DATA` pointing at `data` when
/// given.
fn atrous_limited(args: &[String], data: Option<&Path>) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_atrous"));
    cmd.args(args);
    if let Some(d) = data {
        cmd.env("ATROUS_DATA", d);
    }
    cmd.output().expect("sh runs")
}

/// A tiny DilNet(2), trained for one epoch on 512 images.
fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        train_model(
            "table-model",
            &["--dilation", "2", "--channels", "4,8,8", "--train-limit", "512", "--test-limit", "64"],
        )
    })
}

/// A safetensors file split into its JSON header and its data.
fn split_safetensors(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[8..8 + len]).unwrap(), bytes[8 + len..].to_vec())
}

fn join_safetensors(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    let mut h = serde_json::to_vec(header).unwrap();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend_from_slice(data);
    out
}

/// The tiny model with `edit` applied to its header and data.
fn edited_model(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value, &mut Vec<u8>)) -> String {
    let (mut header, mut data) = split_safetensors(&std::fs::read(model()).unwrap());
    edit(&mut header, &mut data);
    let path = dir.join(name);
    std::fs::write(&path, join_safetensors(&header, &data)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// An IDX file of unsigned bytes.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// A raw MNIST folder of `n` blank test and training images, then `edit` applied.
fn data_folder(root: &Path, name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (images, labels) in [
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ] {
        std::fs::write(dir.join(images), idx(&[20, 28, 28], &[0; 20 * 784])).unwrap();
        std::fs::write(dir.join(labels), idx(&[20], &[3; 20])).unwrap();
    }
    edit(&dir);
    dir
}

/// `gzip -c` of `bytes`, or `None` where no gzip program is installed.
fn system_gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    data: Option<PathBuf>,
    /// Every one of these must appear in the error line.
    needles: Vec<String>,
}

#[test]
fn hostile_inputs_fail_in_one_line_naming_the_input_within_bounded_memory() {
    let root = scratch("table");
    let out = root.join("out");
    let out_s = out.to_str().unwrap().to_owned();
    let good = model().to_str().unwrap().to_owned();
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // Damaged models.
    let side_4096 = edited_model(&root, "side4096.safetensors", |h, _| {
        h["__metadata__"]["side"] = "4096".into();
    });
    let huge = edited_model(&root, "huge.safetensors", |_, data| {
        for c in data.chunks_exact_mut(4) {
            let v = f32::from_le_bytes(c.try_into().unwrap()) * 1e12;
            c.copy_from_slice(&v.to_le_bytes());
        }
    });
    let nan = edited_model(&root, "nan.safetensors", |_, data| {
        data[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    let f16 = edited_model(&root, "f16.safetensors", |h, _| {
        h["fc2.bias"]["dtype"] = "F16".into();
    });
    let renamed = edited_model(&root, "renamed.safetensors", |h, _| {
        let t = h.as_object_mut().unwrap().remove("fc2.bias").unwrap();
        h["fc2.b"] = t;
    });
    let truncated = root.join("truncated.safetensors");
    let bytes = std::fs::read(model()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = truncated.to_str().unwrap().to_owned();
    let huge_header = root.join("header.safetensors");
    std::fs::write(&huge_header, [u64::MAX.to_le_bytes().as_slice(), b"{}"].concat()).unwrap();
    let huge_header = huge_header.to_str().unwrap().to_owned();

    // Damaged data folders.
    let short = data_folder(&root, "short", |d| {
        std::fs::write(d.join("t10k-images-idx3-ubyte"), idx(&[2_700_000, 28, 28], &[0; 784])).unwrap();
    });
    let counts = data_folder(&root, "counts", |d| {
        std::fs::write(d.join("t10k-labels-idx1-ubyte"), idx(&[19], &[3; 19])).unwrap();
    });
    let label = data_folder(&root, "label", |d| {
        std::fs::write(d.join("t10k-labels-idx1-ubyte"), idx(&[20], &[11; 20])).unwrap();
    });
    let magic = data_folder(&root, "magic", |d| {
        std::fs::write(d.join("t10k-images-idx3-ubyte"), b"GIF89a not an idx file").unwrap();
    });
    let missing = data_folder(&root, "missing", |d| {
        std::fs::remove_file(d.join("t10k-labels-idx1-ubyte")).unwrap();
    });

    let mut cases = vec![
        Case {
            name: "model declaring side 4096",
            args: a(&["eval", "--model", &side_4096]),
            data: None,
            needles: s(&[&side_4096, "exceeds the limit"]),
        },
        Case {
            name: "model with huge finite weights (eval)",
            args: a(&["eval", "--model", &huge]),
            data: None,
            needles: s(&[&huge, "not a finite number"]),
        },
        Case {
            name: "model with huge finite weights (saliency)",
            args: a(&["saliency", "--model", &huge, "--images", "0..4", "--out", &out_s]),
            data: None,
            needles: s(&[&huge, "overflow f32"]),
        },
        Case {
            name: "model with huge finite weights (class-model)",
            args: a(&["class-model", "--model", &huge, "--steps", "2", "--out", &out_s]),
            data: None,
            needles: s(&[&huge, "overflow f32"]),
        },
        Case {
            name: "model with huge finite weights (localize)",
            args: a(&["localize", "--model", &huge, "--images", "0..4", "--out", &out_s]),
            data: None,
            needles: s(&[&huge, "overflow f32"]),
        },
        Case {
            name: "model holding a NaN",
            args: a(&["eval", "--model", &nan]),
            data: None,
            needles: s(&[&nan, "holds a non-finite value"]),
        },
        Case {
            name: "model with an f16 tensor",
            args: a(&["eval", "--model", &f16]),
            data: None,
            needles: s(&[&f16, "data type"]),
        },
        Case {
            name: "model with a renamed tensor",
            args: a(&["saliency", "--model", &renamed, "--out", &out_s]),
            data: None,
            needles: s(&[&renamed, "fc2.bias"]),
        },
        Case {
            name: "truncated model",
            args: a(&["eval", "--model", &truncated]),
            data: None,
            needles: s(&[&truncated]),
        },
        Case {
            name: "model whose header length is 2^64 - 1",
            args: a(&["eval", "--model", &huge_header]),
            data: None,
            needles: s(&[&huge_header]),
        },
        Case {
            name: "images file claiming 2.7M images",
            args: a(&["eval", "--model", &good]),
            data: Some(short.clone()),
            needles: s(&["t10k-images-idx3-ubyte has 2700000 images", "has 20 labels"]),
        },
        Case {
            name: "fewer labels than images",
            args: a(&["eval", "--model", &good]),
            data: Some(counts.clone()),
            needles: s(&["t10k-labels-idx1-ubyte has 19 labels"]),
        },
        Case {
            name: "label 11",
            args: a(&["saliency", "--model", &good, "--images", "0..4", "--out", &out_s]),
            data: Some(label.clone()),
            needles: s(&["t10k-labels-idx1-ubyte: label 11 at index 0"]),
        },
        Case {
            name: "not an IDX file",
            args: a(&["eval", "--model", &good]),
            data: Some(magic.clone()),
            needles: s(&["t10k-images-idx3-ubyte", "bad magic number"]),
        },
        Case {
            name: "missing labels",
            args: a(&["eval", "--model", &good]),
            data: Some(missing.clone()),
            needles: s(&["t10k-labels-idx1-ubyte(.gz) not found"]),
        },
        Case {
            name: "training batch of 60,000",
            args: a(&["train", "--batch-size", "60000", "--epochs", "1", "--out", &out_s]),
            data: None,
            needles: s(&["--batch-size 60000", "needs about", "GiB of memory"]),
        },
        Case {
            name: "4096 channels",
            args: a(&["train", "--channels", "4096,4096,4096", "--out", &out_s]),
            data: None,
            needles: s(&["--channels 4096,4096,4096", "parameter count"]),
        },
        Case {
            name: "λ = 1e30",
            args: a(&["class-model", "--model", &good, "--lambda", "1e30", "--out", &out_s]),
            data: None,
            needles: s(&["--lambda", "diverges"]),
        },
        Case {
            name: "ink threshold 2",
            args: a(&["localize", "--model", &good, "--ink", "2", "--out", &out_s]),
            data: None,
            needles: s(&["--ink 2 is out of range"]),
        },
        Case {
            name: "3000 threads in eval",
            args: a(&["eval", "--model", &good, "--threads", "3000"]),
            data: None,
            needles: s(&["--threads 3000"]),
        },
        Case {
            name: "saliency into a file",
            args: a(&["saliency", "--model", &good, "--images", "0..2", "--out", &format!("{good}/x")]),
            data: None,
            needles: s(&[&format!("cannot write {good}/x")]),
        },
        Case {
            name: "training into a file",
            args: a(&["train", "--epochs", "1", "--out", &format!("{good}/run")]),
            data: None,
            needles: s(&["cannot write in run folder", &format!("{good}/run")]),
        },
    ];
    if let (Some(head), Some(blank)) =
        (system_gzip(&idx(&[2_700_000, 28, 28], &[])), system_gzip(&vec![0; 10_000 * 784]))
    {
        // A gzip bomb: 270 members of 10,000 blank images, ~2 MB that decompress to 2.1 GB.
        let bomb = data_folder(&root, "bomb", |d| {
            std::fs::remove_file(d.join("t10k-images-idx3-ubyte")).unwrap();
            let mut gz = head;
            (0..270).for_each(|_| gz.extend_from_slice(&blank));
            std::fs::write(d.join("t10k-images-idx3-ubyte.gz"), gz).unwrap();
        });
        cases.push(Case {
            name: "gzip bomb",
            args: a(&["eval", "--model", &good]),
            data: Some(bomb),
            needles: s(&["t10k-images-idx3-ubyte.gz has 2700000 images", "has 20 labels"]),
        });
    } else {
        eprintln!("no gzip program: the gzip bomb case is skipped (crates/tensor/tests/mnist.rs has one)");
    }

    let mut failures = Vec::new();
    for case in &cases {
        let start = std::time::Instant::now();
        let o = atrous_limited(&case.args, case.data.as_deref());
        let err = stderr(&o);
        let line = err.trim_end();
        let problem = if o.status.code() != Some(1) {
            Some(format!("exit {:?}", o.status))
        } else if line.lines().count() != 1 || !line.starts_with("error: ") {
            Some("not one error line".to_owned())
        } else {
            case.needles.iter().find(|n| !line.contains(n.as_str())).map(|n| format!("lacks {n:?}"))
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}: {err}", case.name));
        }
        eprintln!("{:<48} {:>6.2} s  {line}", case.name, start.elapsed().as_secs_f64());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        !out.join("maps.npy").exists() && !out.join("model.safetensors").exists(),
        "a refused case wrote"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
