//! `atrous learn-dilation`: learns each layer's dilation, for several seeds, by one of three
//! methods: the bilevel softmax mixture (first-order DARTS, `atrous_study::bilevel_search`), a
//! real-valued dilation per layer (`atrous_study::continuous_search`), or the earlier single-level
//! mixture (`atrous_study::search`). The first two read only the study's training and validation
//! parts and write per seed a record, plus `trajectory.csv` and `final.csv` over all seeds.
//! `--gumbel` makes the mixture mix with annealed Gumbel-softmax samples (`mixture-gumbel`).

use crate::data::DataArgs;
use crate::progress::Progress;
use anyhow::{Result, ensure};
use atrous_study::analysis::LearnedAnalysis;
use atrous_study::bilevel_search::{
    Gumbel, MixturePlan, MixtureRecord, SearchData, StopReason, mixture_record_path, mixture_seed,
    read_mixture_record,
};
use atrous_study::continuous_search::{
    ContinuousRecord, ContinuousSettings, continuous_seed_on, read_record, record_path,
};
use atrous_study::data::load_splits;
use atrous_study::report::render_learned;
use atrous_study::{Observer, SearchPlan, run_search};
use atrous_tensor::files::write_atomic;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How the dilation is learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Bilevel softmax mixture of candidate dilations (first-order DARTS): weights on the
    /// training part, mixing logits on the validation part.
    Mixture,
    /// One real-valued dilation per layer, learned by gradient descent; judged on validation.
    Continuous,
    /// The earlier single-level mixture with one shared kernel, trained on the training file and
    /// judged on the test set (kept to reproduce earlier results).
    SingleLevel,
}

/// Arguments of `atrous learn-dilation`.
#[derive(Clone, Debug, clap::Args)]
pub struct LearnArgs {
    /// How the dilation is learned.
    #[arg(long, value_enum, default_value_t = Method::Mixture)]
    pub method: Method,
    /// Mixture: every candidate reads one shared kernel (the ablation) instead of its own.
    #[arg(long)]
    pub shared_kernel: bool,
    /// Candidate dilations mixed in every conv layer (mixture methods).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4", allow_negative_numbers = true)]
    pub candidates: Vec<usize>,
    /// Seeds (0..N): does every seed learn the same dilations?
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub seeds: u64,
    /// Training epochs per seed (the limit, for the bilevel mixture; a continuous search of
    /// another length is judged apart in Q1.md).
    #[arg(long, default_value_t = atrous_study::q1::records::DEFAULT_EPOCHS, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Learning rate of the kernels (SGD, momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Learning rate of the mixing logits (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Bilevel mixture: stop once no layer's chosen dilation has changed for this many steps.
    #[arg(long, default_value_t = 500, allow_negative_numbers = true)]
    pub patience_steps: usize,
    /// Mixture: mix with Gumbel-softmax samples softmax((a + g)/τ) instead of softmax(a) (method
    /// `mixture-gumbel`); the recorded weights and the choice stay softmax(a).
    #[arg(long)]
    pub gumbel: bool,
    /// Gumbel-softmax: temperature at the first step (falls exponentially to --tau-end).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub tau_start: f32,
    /// Gumbel-softmax: temperature at the last planned step.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub tau_end: f32,
    /// Continuous: learning rate of the dilations (plain SGD).
    #[arg(long, default_value_t = atrous_study::q1::records::DEFAULT_DILATION_LR, allow_negative_numbers = true)]
    pub dilation_lr: f32,
    /// Continuous: starting dilation of every layer (kept in [1, 4]); searches from another start
    /// are judged apart in Q1.md (`continuous from d=…`).
    #[arg(long, default_value_t = atrous_study::q1::records::DEFAULT_START as f32, allow_negative_numbers = true)]
    pub initial_dilation: f32,
    /// Mixture and continuous: validation images split off the training file (the study's split).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true)]
    pub validation: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder: one record per seed (`seed-S.json` or `continuous-seed-S.json`),
    /// `trajectory.csv` and `final.csv` (single-level: `LEARNED.md`).
    #[arg(long, default_value = "runs/learn")]
    pub out: PathBuf,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The search settings shared by `learn-dilation` and `study`.
pub struct LearnFlags {
    /// Candidate dilations.
    pub candidates: Vec<usize>,
    /// Seeds.
    pub seeds: u64,
    /// Epochs per seed.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Kernel learning rate.
    pub lr: f32,
    /// Mixing-logit learning rate.
    pub arch_lr: f32,
}

impl LearnFlags {
    /// The search plan (output folder to be set by the caller).
    pub fn plan(&self, data: &DataArgs) -> SearchPlan {
        SearchPlan {
            candidates: self.candidates.clone(),
            seeds: self.seeds,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            momentum: 0.9,
            arch_lr: self.arch_lr,
            train_limit: data.train_limit,
            test_limit: data.test_limit,
            out: PathBuf::new(),
        }
    }

    /// Checks a plan, naming the flags at fault.
    pub fn check(plan: &SearchPlan) -> Result<()> {
        ensure!(!plan.candidates.is_empty(), "--candidates needs at least one dilation");
        ensure!(plan.seeds > 0, "--seeds must be at least 1");
        ensure!(plan.epochs > 0, "--epochs must be at least 1");
        ensure!(plan.batch_size > 0, "--batch-size must be at least 1");
        ensure!(plan.lr.is_finite() && plan.lr > 0.0, "--lr must be a positive number, got {}", plan.lr);
        ensure!(
            plan.arch_lr.is_finite() && plan.arch_lr > 0.0,
            "--arch-lr must be a positive number, got {}",
            plan.arch_lr
        );
        plan.validate()?;
        // Every layer of the search network runs each candidate dilation: about that many
        // reference networks' worth of activations per image.
        let reference = atrous_study::TrainRecipe {
            batch_size: plan.batch_size,
            ..atrous_study::TrainRecipe::reference(1)
        };
        let per_candidate = atrous_study::memory::training_bytes(&reference);
        let subject = || {
            format!(
                "one search step at --batch-size {} over {} candidate dilations",
                plan.batch_size,
                plan.candidates.len()
            )
        };
        let needed = per_candidate.saturating_mul(plan.candidates.len() as u64);
        crate::cmd_train::check_memory(needed, subject, "lower --batch-size")?;
        Ok(())
    }
}

/// Runs `atrous learn-dilation`.
pub fn run(args: &LearnArgs) -> Result<()> {
    args.data.validate()?;
    crate::check_threads(args.threads)?;
    let flags = LearnFlags {
        candidates: args.candidates.clone(),
        seeds: args.seeds,
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        arch_lr: args.arch_lr,
    };
    let plan = SearchPlan { out: args.out.clone(), ..flags.plan(&args.data) };
    LearnFlags::check(&plan)?;
    for (flag, tau) in [("--tau-start", args.tau_start), ("--tau-end", args.tau_end)] {
        ensure!(tau.is_finite() && tau > 0.0, "{flag} must be a positive number, got {tau}");
    }
    ensure!(!args.gumbel || args.method == Method::Mixture, "--gumbel applies to --method mixture only");
    if args.method == Method::SingleLevel {
        ensure!(!args.shared_kernel, "--shared-kernel: the single-level search always shares its kernel");
        crate::set_threads(args.threads)?;
        let (train, test) = load_splits(&args.data.dir()?, plan.train_limit, plan.test_limit)?;
        let records = run_search(&plan, &train, &test, &Progress::new(args.quiet))?;
        let md = format!("# Learned dilations\n\n{}", render_learned(&LearnedAnalysis::new(&plan, &records)));
        write_atomic(&args.out.join("LEARNED.md"), md.as_bytes())?;
        if !args.quiet {
            eprint!("{md}");
        }
        return Ok(());
    }
    ensure!(
        args.data.test_limit.is_none(),
        "--test-limit: the {} search reads no test data",
        if args.method == Method::Mixture { "mixture" } else { "continuous" }
    );
    ensure!(args.validation > 0, "--validation must be at least 1 (the search is judged on it)");
    ensure!(args.patience_steps > 0, "--patience-steps must be at least 1");
    if args.method == Method::Continuous {
        ensure!(!args.shared_kernel, "--shared-kernel applies to --method mixture only");
        ensure!(
            args.dilation_lr.is_finite() && args.dilation_lr > 0.0,
            "--dilation-lr must be a positive number, got {}",
            args.dilation_lr
        );
        ensure!(
            (1.0..=4.0).contains(&args.initial_dilation),
            "--initial-dilation must lie in [1, 4], got {}",
            args.initial_dilation
        );
    }
    crate::set_threads(args.threads)?;
    let data = SearchData::load(&args.data.dir()?, args.validation, args.data.train_limit)?;
    let progress = Progress::new(args.quiet);
    for seed in 0..args.seeds {
        let line = match args.method {
            Method::Mixture => {
                mixture_line(&mixture_seed(&mixture_plan(args), seed, &data, &args.out, &progress)?)
            }
            _ => {
                let settings = continuous_settings(args, &data);
                let r = continuous_seed_on(&settings, seed, &data, &args.out, &progress)?;
                format!(
                    "seed {seed}: dilations {:.3?}, validation {:.2}%, {:.0} s",
                    r.dilations,
                    100.0 * r.validation_accuracy,
                    r.seconds
                )
            }
        };
        progress.message(&line);
    }
    // Both methods' records of these seeds in the folder go into the tables, mixture first, so
    // one folder can hold both methods side by side and the tables do not depend on which ran last.
    let (mut trajectory, mut finals) = (String::new(), String::new());
    for seed in 0..args.seeds {
        if let Some(r) = read_mixture_record(&mixture_record_path(&args.out, seed)) {
            mixture_rows(&r, &mut trajectory, &mut finals);
        }
    }
    for seed in 0..args.seeds {
        if let Some(r) = read_record(&record_path(&args.out, seed)) {
            continuous_rows(&r, &mut trajectory, &mut finals);
        }
    }
    let header = "method,seed,step,layer,candidate,value\n";
    write_atomic(&args.out.join("trajectory.csv"), format!("{header}{trajectory}").as_bytes())?;
    let header = "method,seed,layer,candidate,value\n";
    write_atomic(&args.out.join("final.csv"), format!("{header}{finals}").as_bytes())?;
    Ok(())
}

fn mixture_plan(args: &LearnArgs) -> MixturePlan {
    MixturePlan {
        candidates: args.candidates.clone(),
        shared_kernel: args.shared_kernel,
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        momentum: 0.9,
        arch_lr: args.arch_lr,
        patience_steps: args.patience_steps,
        validation: args.validation,
        train_limit: args.data.train_limit,
        gumbel: args.gumbel.then_some(Gumbel { tau_start: args.tau_start, tau_end: args.tau_end }),
    }
}

fn continuous_settings(args: &LearnArgs, data: &SearchData) -> ContinuousSettings {
    ContinuousSettings {
        initial: [args.initial_dilation; 3],
        range: (1.0, 4.0),
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        momentum: 0.9,
        dilation_lr: args.dilation_lr,
        train_images: data.train().n,
        validation_images: data.validation().n,
    }
}

const LAYERS: [&str; 3] = ["conv1", "conv2", "conv3"];

fn mixture_method(r: &MixtureRecord) -> String {
    let base = if r.settings.shared_kernel { "mixture-shared" } else { "mixture" };
    if r.settings.gumbel.is_some() { format!("{base}-gumbel") } else { base.to_string() }
}

fn mixture_rows(r: &MixtureRecord, trajectory: &mut String, finals: &mut String) {
    let (method, seed) = (mixture_method(r), r.settings.seed);
    for point in &r.trajectory {
        for (layer, w) in LAYERS.iter().zip(&point.weights) {
            for (d, v) in r.settings.candidates.iter().zip(w) {
                let _ = writeln!(trajectory, "{method},{seed},{},{layer},{d},{v}", point.step);
            }
        }
    }
    for (layer, w) in LAYERS.iter().zip(&r.weights) {
        for (d, v) in r.settings.candidates.iter().zip(w) {
            let _ = writeln!(finals, "{method},{seed},{layer},{d},{v}");
        }
    }
}

fn mixture_line(r: &MixtureRecord) -> String {
    let why = match r.stopped {
        StopReason::Patience => format!("stable for {} steps", r.settings.patience_steps),
        StopReason::EpochLimit => format!("epoch limit ({} epochs)", r.settings.epochs),
    };
    format!(
        "seed {}: chose {:?}, validation {:.2}% (mixed network), stopped at step {} ({why}), {:.0} s; retrain: {}",
        r.settings.seed,
        r.chosen,
        100.0 * r.validation_accuracy,
        r.steps,
        r.seconds,
        r.retrain_command
    )
}

fn continuous_rows(r: &ContinuousRecord, trajectory: &mut String, finals: &mut String) {
    for point in &r.trajectory {
        for (layer, d) in LAYERS.iter().zip(point.dilations) {
            let _ = writeln!(trajectory, "continuous,{},{},{layer},d,{d}", r.seed, point.step);
        }
    }
    for (layer, d) in LAYERS.iter().zip(r.dilations) {
        let _ = writeln!(finals, "continuous,{},{layer},d,{d}", r.seed);
    }
}
