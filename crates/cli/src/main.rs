//! `atrous`: train dilated CNNs on MNIST, evaluate them, and look at what they see.
//!
//! Each subcommand lives in its own `cmd_*` module: clap arguments, validated into a library
//! configuration before any tensor is touched, then a `run` function. Errors travel up as
//! `anyhow` chains and are printed once, on one line, by `main`; usage errors keep clap's whole
//! message (what is wrong, suggestions, allowed values, the usage line) and exit with 2.

#![forbid(unsafe_code)]

mod cmd_class_model;
mod cmd_eval;
mod cmd_evaluate;
mod cmd_learn;
mod cmd_localize;
mod cmd_saliency;
mod cmd_study;
mod cmd_train;
mod data;
mod progress;

use clap::{Parser, Subcommand};

// Training allocates and frees multi-megabyte activations every step. glibc's malloc returns such
// blocks to the OS at once, so each step page-faults them back in (measured: ~15% of a training
// profile in the kernel's page-fault path). mimalloc keeps freed pages for reuse.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "atrous",
    version,
    about = "Dilated CNNs on MNIST: training, saliency maps, the dilation study"
)]
#[command(args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a DilNet on MNIST.
    Train(cmd_train::TrainArgs),
    /// Test accuracy and loss of a model file.
    Eval(cmd_eval::EvalArgs),
    /// Image-specific class saliency maps |∂S_c/∂x| of test images (Simonyan et al. §3).
    Saliency(cmd_saliency::SaliencyArgs),
    /// Check attribution methods: deletion/insertion, randomisation sanity checks, max-sensitivity.
    Evaluate(cmd_evaluate::EvaluateArgs),
    /// Class model visualisation: argmax_I S_c(I + m) − λ‖I‖² by gradient ascent (§2).
    ClassModel(cmd_class_model::ClassModelArgs),
    /// Weakly supervised localisation: saliency-seeded graph cut, scored against the ink (§3.1).
    Localize(cmd_localize::LocalizeArgs),
    /// Train DilNet at several dilations × seeds and report accuracy, significance and saliency statistics.
    Study(cmd_study::StudyArgs),
    /// Learn each layer's dilation by gradient descent over a mixture of candidate dilations.
    LearnDilation(cmd_learn::LearnArgs),
}

/// Largest `--threads` accepted: far above any machine this runs on, low enough that a typo
/// cannot start thousands of threads.
const MAX_THREADS: usize = 1024;

/// Refuses a nonsense `--threads` before any work.
pub(crate) fn check_threads(threads: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        threads <= MAX_THREADS,
        "--threads {threads} is not a sensible thread count (at most {MAX_THREADS})"
    );
    Ok(())
}

/// Sizes the worker pool once (the workspace's one thread policy); 0 keeps one worker per core.
pub(crate) fn set_threads(threads: usize) -> anyhow::Result<()> {
    check_threads(threads)?;
    atrous_tensor::parallel::set_global_threads(threads)
        .map_err(|e| anyhow::anyhow!("cannot start {threads} worker threads: {e}"))
}

/// Reads a DilNet model file, naming the file in any error.
pub(crate) fn read_model(path: &std::path::Path) -> anyhow::Result<atrous_autograd::nn::DilNet> {
    use anyhow::Context;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    let (model, _) = atrous_autograd::io::load_dilnet(&bytes)
        .with_context(|| format!("{} is not a usable atrous model", path.display()))?;
    Ok(model)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => cmd_train::run(&args),
        Command::Eval(args) => cmd_eval::run(&args),
        Command::Study(args) => cmd_study::run(&args),
        Command::LearnDilation(args) => cmd_learn::run(&args),
        Command::Saliency(args) => cmd_saliency::run(&args),
        Command::Evaluate(args) => cmd_evaluate::run(&args),
        Command::ClassModel(args) => cmd_class_model::run(&args),
        Command::Localize(args) => cmd_localize::run(&args),
    }
}

/// `n noun` or `n nouns`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// clap's message as clap renders it, its closing "try '--help'" pointing at the help of the
/// subcommand being run. `--help` and `--version` print to stdout and succeed.
fn usage_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let mut cli = <Cli as clap::CommandFactory>::command();
    cli.build();
    let first = std::env::args_os().nth(1);
    let sub = first.as_ref().and_then(|a| a.to_str()).and_then(|a| cli.find_subcommand(a).cloned());
    let mut text = e.render().to_string();
    let hint = match sub {
        Some(mut sub) => {
            if !text.contains("Usage:") {
                // clap leaves the usage out of some errors (a value not among the allowed ones).
                text = text.replacen("\n\nFor more", &format!("\n\n{}\n\nFor more", sub.render_usage()), 1);
            }
            format!(
                "hint: 'atrous {} --help' lists every flag with its default and accepted values.",
                sub.get_name()
            )
        }
        None => "hint: 'atrous --help' lists the commands; 'atrous <COMMAND> --help' their flags.".to_owned(),
    };
    eprint!("{}", text.replace("For more information, try '--help'.", &hint));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// One line: the whole cause chain, outermost first, each cause once (a library message that
/// already ends with its cause's text does not get it repeated).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if line.is_empty() {
            line = cause;
        } else if !line.ends_with(&cause) {
            line = format!("{line}: {cause}");
        }
    }
    line
}
