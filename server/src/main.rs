//! `isotherm`: see `isotherm --help`.

use clap::Parser;
use isotherm_server::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    isotherm_server::run(cli)
}
