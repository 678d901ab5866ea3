//! `atrous saliency`: image-specific class saliency maps (Simonyan et al. 2014, §3) of test
//! images, as `maps.npy` + `index.json` + a PNG grid (input | map | overlay).

use crate::data::data_dir;
use crate::read_model;
use anyhow::{Result, bail, ensure};
use atrous_autograd::nn::DilNet;
use atrous_saliency::picture::saliency_grid;
use atrous_saliency::saliency::{Target, saliency_of_split};
use atrous_saliency::writer::{IndexEntry, write_index, write_npy, write_png};
use atrous_study::data::load_test;
use serde_json::json;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

/// A half-open range of image indices, written `A..B` (or a single index `A`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRange(pub Range<usize>);

impl std::str::FromStr for ImageRange {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let num = |t: &str| t.trim().parse::<usize>().map_err(|_| format!("{t:?} is not an image index"));
        let range = match s.split_once("..") {
            Some((a, b)) => match b.strip_prefix('=') {
                Some(b) => num(a)?..num(b)?.saturating_add(1),
                None => num(a)?..num(b)?,
            },
            None => num(s)?..num(s)?.saturating_add(1),
        };
        if range.is_empty() {
            return Err(format!("image range {s:?} is empty (write START..END with START < END)"));
        }
        Ok(ImageRange(range))
    }
}

impl ImageRange {
    /// The indices, after checking they exist in a split of `n` images.
    pub fn indices(&self, n: usize) -> Result<Vec<usize>> {
        ensure!(
            self.0.end <= n,
            "image range {}..{} reaches past the {n} test images",
            self.0.start,
            self.0.end
        );
        Ok(self.0.clone().collect())
    }
}

/// Checks that a model reads 28×28 MNIST digits.
pub fn check_mnist_model(model: &DilNet) -> Result<()> {
    if model.config.side != atrous_tensor::mnist::IMAGE_SIDE {
        bail!("the model reads {0}×{0} images, MNIST digits are 28×28", model.config.side);
    }
    Ok(())
}

/// A `json!` object as the map `write_index` extends.
pub fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The flags every explanation command shares: the model, the data and how to draw.
#[derive(Clone, Debug, clap::Args)]
pub struct ExplainArgs {
    /// Model file written by `atrous train`.
    #[arg(long)]
    pub model: PathBuf,
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Upscaling factor of the pictures (nearest neighbour), 1..=64.
    #[arg(long, default_value_t = 4)]
    pub scale: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

impl ExplainArgs {
    /// Checks the flags, sizes the thread pool and reads the model (an MNIST model).
    pub fn start(&self) -> Result<DilNet> {
        ensure!((1..=64).contains(&self.scale), "--scale must be in 1..=64");
        crate::set_threads(self.threads)?;
        let model = read_model(&self.model)?;
        check_mnist_model(&model)?;
        Ok(model)
    }
}

/// Arguments of `atrous saliency`.
#[derive(Clone, Debug, clap::Args)]
pub struct SaliencyArgs {
    /// Model, data, pictures, threads.
    #[command(flatten)]
    pub common: ExplainArgs,
    /// Test images to explain, START..END (half-open) or one index.
    #[arg(long, default_value = "0..64")]
    pub images: ImageRange,
    /// Class whose score (logit) is explained: predicted, label, or a class 0..9.
    #[arg(long, default_value = "predicted")]
    pub target: Target,
    /// Images per forward/backward pass.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Images in the PNG grid, one column each (the first images of the range).
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    /// Output folder: maps.npy, index.json, saliency.png.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `atrous saliency`.
pub fn run(args: &SaliencyArgs) -> Result<()> {
    ensure!(args.batch > 0, "--batch must be at least 1");
    let model = args.common.start()?;
    if let Target::Class(c) = args.target {
        ensure!(c < model.config.classes, "target class {c} is outside 0..{}", model.config.classes - 1);
    }
    let test = load_test(&data_dir(args.common.data.as_deref())?, None)?;
    let indices = args.images.indices(test.n)?;

    let start = Instant::now();
    let s = saliency_of_split(&model, &test, &indices, args.target, args.batch)?;
    let seconds = start.elapsed().as_secs_f64();

    let n = indices.len();
    write_npy(&args.out.join("maps.npy"), &[n, 28, 28], s.maps.as_slice())?;
    let labels = test.batch(&indices).labels;
    let entries: Vec<IndexEntry> = (0..n)
        .map(|i| IndexEntry {
            slot: i,
            image: Some(indices[i]),
            label: Some(labels[i]),
            prediction: s.predictions[i],
            target: s.targets[i],
            score: s.scores[i],
        })
        .collect();
    let extra = json!({
        "split": "test",
        "maps": "maps.npy",
        "map": "|dS_c/dx|, x = pixels in [0, 1], S_c = logit of the target class",
        "target": format!("{:?}", args.target),
        "model": args.common.model,
        "dilations": model.config.dilations,
        "seconds": seconds,
    });
    write_index(&args.out.join("index.json"), &entries, object(extra))?;
    let show = args.show.min(n);
    if show > 0 {
        let x = test.batch(&indices[..show]).x;
        let grid = saliency_grid(x.as_slice(), &s.maps.as_slice()[..show * 784], 28, args.common.scale);
        write_png(&args.out.join("saliency.png"), &grid)?;
    }
    let correct = s.predictions.iter().zip(&labels).filter(|(p, y)| p == y).count();
    println!(
        "{n} saliency maps in {seconds:.3} s ({:.0} images/s); {correct}/{n} predicted correctly; wrote {}",
        n as f64 / seconds.max(1e-9),
        args.out.display()
    );
    Ok(())
}
