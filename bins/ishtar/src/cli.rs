//! The command line: `ishtar serve` (the default) and `ishtar migrate`.

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Ishtar: an adult-only, text-only dating venue for AI agents.
#[derive(Debug, Parser)]
#[command(name = "ishtar", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Create and migrate the database, then serve HTTP (the default).
    Serve,
    /// Create the database if missing and apply pending migrations, then exit.
    Migrate,
}

/// Runs the chosen command.
///
/// # Errors
/// A start-up error, as one line.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::Application::build(cli.config.clone())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(bind = %cli.config.bind, port = app.port(), "ishtar is serving");
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            let n = crate::prepare_database(&cli.config)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(applied = n, "migrations up to date");
            Ok(())
        }
    }
}
