//! `isotherm`: see `isotherm --help`.

use clap::Parser;
use isotherm_server::cli::Cli;

/// Query answers allocate many small values; mimalloc halved the allocator's
/// share of a rollup query's CPU time against glibc's (BENCHMARKS.md, pgbench).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    isotherm_server::run(cli)
}
