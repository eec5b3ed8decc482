//! Runs one CLI command: sets up logging and the tokio runtime, prints
//! summaries, and turns the outcome into the process exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::{Cli, Command, GenerateArgs, PushArgs};
use crate::error::Result;
use crate::generate::{self, GenerateConfig};
use crate::push::{self, PushConfig};

/// Logs go to stderr (stdout carries the ready line and summaries); the
/// level comes from `RUST_LOG`, default `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::ServerError::io("starting the tokio runtime", e))
}

pub fn run(cli: Cli) -> ExitCode {
    init_logging();
    let outcome = match cli.command {
        Command::Serve(args) => crate::serve::run_serve(args),
        Command::Generate(args) => run_generate(&args),
        Command::Push(args) => run_push(&args),
        Command::Demo(args) => crate::demo::run_demo(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_generate(args: &GenerateArgs) -> Result<ExitCode> {
    let cfg = GenerateConfig {
        out: args.out.clone(),
        start: args.start,
        days: args.days,
        stations: args.stations,
        seed: args.seed,
        interval_minutes: args.interval_minutes,
        threads: args.threads,
    };
    let summary = generate::generate(&cfg)?;
    println!("{summary} into {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

fn run_push(args: &PushArgs) -> Result<ExitCode> {
    let cfg = PushConfig {
        admin: args.admin.clone(),
        table: args.table.clone(),
        dir: args.dir.clone(),
        concurrency: args.concurrency,
        progress: true,
    };
    let summary = runtime()?.block_on(push::push(&cfg))?;
    println!("{summary}");
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
