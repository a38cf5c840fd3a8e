use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = ishtar::cli::Cli::parse();
    ishtar::telemetry::init();
    match ishtar::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ishtar: {e}");
            ExitCode::FAILURE
        }
    }
}
