//! The command line: `isotherm serve | generate | push | demo`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "isotherm",
    version,
    about = "Aggregate SQL over Hive-partitioned Parquet weather data, on the PostgreSQL wire protocol"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open a data directory and serve SQL (PostgreSQL protocol) and the admin HTTP API.
    Serve(ServeArgs),
    /// Write a synthetic, deterministic weather dataset as Hive-partitioned Parquet.
    Generate(GenerateArgs),
    /// Upload every partition of a Hive-partitioned directory to a running server.
    Push(PushArgs),
    /// Generate a dataset, load it and serve it: the quickest way to try Isotherm.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address for PostgreSQL clients (port 0: any free port).
    #[arg(long, env = "ISOTHERM_LISTEN", default_value = "127.0.0.1:5433")]
    pub listen: String,
    /// Address for the admin HTTP API (port 0: any free port).
    #[arg(long, env = "ISOTHERM_ADMIN_LISTEN", default_value = "127.0.0.1:8433")]
    pub admin_listen: String,
    /// Largest Parquet body the admin API accepts, in MiB.
    #[arg(long, env = "ISOTHERM_MAX_BODY_MB", default_value_t = 1024)]
    pub max_body_mb: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The data directory (created if missing; one server per directory).
    #[arg(long, env = "ISOTHERM_DATA_DIR")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub listen: ListenArgs,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Output directory (date=YYYY-MM-DD/region=NAME/part-00000.parquet below it).
    #[arg(long)]
    pub out: PathBuf,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-01-01")]
    pub start: NaiveDate,
    /// Number of days.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Number of weather stations.
    #[arg(long, default_value_t = 4500)]
    pub stations: u32,
    /// Random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Minutes between readings (must divide 1440).
    #[arg(long, default_value_t = 60)]
    pub interval_minutes: u32,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Base URL of the admin API.
    #[arg(long, env = "ISOTHERM_ADMIN", default_value = "http://127.0.0.1:8433")]
    pub admin: String,
    /// Target table (created by the first push).
    #[arg(long)]
    pub table: String,
    /// Root of the Hive-partitioned directory.
    pub dir: PathBuf,
    /// Uploads in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Where the demo keeps its generated source files (D/source) and its data (D/data).
    #[arg(long, default_value = "./demo-data")]
    pub data_dir: PathBuf,
    /// Days of data to generate (from 2024-01-01).
    #[arg(long, default_value_t = 21)]
    pub days: u32,
    /// Number of weather stations.
    #[arg(long, default_value_t = 4500)]
    pub stations: u32,
    #[command(flatten)]
    pub listen: ListenArgs,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("isotherm").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_and_overrides() {
        let cli = parse(&["serve", "--data-dir", "/tmp/d"]).unwrap();
        let Command::Serve(s) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(s.data_dir, PathBuf::from("/tmp/d"));
        assert_eq!(s.listen.listen, "127.0.0.1:5433");
        assert_eq!(s.listen.admin_listen, "127.0.0.1:8433");
        assert_eq!(s.listen.max_body_mb, 1024);

        let cli = parse(&[
            "serve",
            "--data-dir",
            "d",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
            "--max-body-mb",
            "8",
        ])
        .unwrap();
        let Command::Serve(s) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(s.listen.listen, "127.0.0.1:0");
        assert_eq!(s.listen.admin_listen, "0.0.0.0:0");
        assert_eq!(s.listen.max_body_mb, 8);
    }

    #[test]
    fn generate_parses_dates_and_numbers() {
        let cli = parse(&[
            "generate",
            "--out",
            "o",
            "--start",
            "2023-12-30",
            "--days",
            "366",
            "--seed",
            "7",
        ])
        .unwrap();
        let Command::Generate(g) = cli.command else {
            panic!("not generate")
        };
        assert_eq!(g.start, NaiveDate::from_ymd_opt(2023, 12, 30).unwrap());
        assert_eq!(
            (g.days, g.stations, g.seed, g.interval_minutes),
            (366, 4500, 7, 60)
        );
        assert!(parse(&["generate", "--out", "o", "--start", "2023-13-01"]).is_err());
        assert!(parse(&["generate"]).is_err(), "--out is required");
    }

    #[test]
    fn push_and_demo() {
        let cli = parse(&[
            "push",
            "--admin",
            "http://h:1",
            "--table",
            "weather",
            "src",
            "--concurrency",
            "8",
        ])
        .unwrap();
        let Command::Push(p) = cli.command else {
            panic!("not push")
        };
        assert_eq!(
            (p.admin.as_str(), p.table.as_str(), p.concurrency),
            ("http://h:1", "weather", 8)
        );
        assert_eq!(p.dir, PathBuf::from("src"));
        assert!(parse(&["push", "--table", "t"]).is_err(), "DIR is required");

        let cli = parse(&["demo"]).unwrap();
        let Command::Demo(d) = cli.command else {
            panic!("not demo")
        };
        assert_eq!((d.data_dir, d.days), (PathBuf::from("./demo-data"), 21));
    }
}
