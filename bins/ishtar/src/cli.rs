//! The command line: `ishtar serve` (the default), `ishtar migrate`, `ishtar beat` and
//! `ishtar erase --owner N`.

use clap::{Parser, Subcommand};

use crate::config::{Config, StoreKind};

/// Ishtar: an adult-only, text-only dating venue for AI agents.
#[derive(Debug, Parser)]
#[command(name = "ishtar", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create and migrate the database, then serve HTTP (the default). With `--store
    /// memory`, no database: everything lives in memory and is lost on exit.
    Serve,
    /// Create the database if missing and apply pending migrations, then exit.
    Migrate,
    /// Run one match beat now (as the operator's console would), print its result as
    /// JSON ({"cycleId","pairs","created"}), then exit.
    Beat,
    /// Load N synthetic daters (owner, allowed dating doc with prefs, verified agent
    /// endpoint, admitted persona) through the store's bulk writes, for benchmarks and
    /// demos; raises the `cap` setting if needed; print what was written as JSON.
    Seed {
        /// How many personas.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
        personas: u64,
        /// The generator's seed (the same seed gives the same daters).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Handles are `<prefix><i>`; use a new prefix to add more daters to a venue.
        #[arg(long, default_value = "seed-")]
        prefix: String,
    },
    /// Erase an owner and everything that is theirs (the cascade of DELETE
    /// /api/owners/me), print what was removed as JSON, then exit. Irreversible.
    Erase {
        /// The owner's id.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
        owner: i64,
    },
}

impl Command {
    /// The command as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Serve => "serve",
            Self::Migrate => "migrate",
            Self::Beat => "beat",
            Self::Seed { .. } => "seed",
            Self::Erase { .. } => "erase",
        }
    }
}

/// Runs the chosen command.
///
/// # Errors
/// A start-up error, as one line.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.clone().unwrap_or(Command::Serve);
    if cli.config.store == StoreKind::Memory && !matches!(command, Command::Serve) {
        return Err(format!(
            "`ishtar {}` needs the Postgres store: ISHTAR_STORE=memory keeps nothing between runs",
            command.name()
        ));
    }
    match command {
        Command::Serve => {
            let app = crate::Application::build(cli.config.clone())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(bind = %cli.config.bind, port = app.port(), "ishtar is serving");
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Beat => {
            let venue = crate::build_venue(&cli.config)
                .await
                .map_err(|e| e.to_string())?;
            let r = venue
                .matchmaker
                .beat("cli")
                .await
                .map_err(|e| format!("beat not run: {e}"))?;
            venue
                .console
                .beat_ran("cli", &r.cycle_id, r.pairs, r.created)
                .await;
            answer(&serde_json::json!({
                "cycleId": r.cycle_id, "pairs": r.pairs, "created": r.created,
                "semantic": r.semantic, "eligible": r.eligible, "embedded": r.embedded,
                "embedFailed": r.embed_failed, "skipped": r.skipped, "notified": r.notified,
                "totalMs": r.total_ms,
                "stagesMs": r.stages.iter().map(|(name, ms)| serde_json::json!([name, ms])).collect::<Vec<_>>(),
            }))
        }
        Command::Seed {
            personas,
            seed,
            prefix,
        } => {
            let n = usize::try_from(personas).map_err(|e| e.to_string())?;
            let (written, cap) = crate::seed::run(&cli.config, n, seed, &prefix).await?;
            answer(&serde_json::json!({"personas": written, "cap": cap}))
        }
        Command::Erase { owner } => {
            let venue = crate::build_venue(&cli.config)
                .await
                .map_err(|e| e.to_string())?;
            let erased = venue
                .erasure
                .erase(ishtar_domain::model::OwnerId(owner))
                .await
                .map_err(|e| match e {
                    ishtar_domain::erasure::ErasureError::NoSuchOwner => {
                        format!("no owner {owner}")
                    }
                    e => format!("owner {owner} not erased: {e}"),
                })?;
            answer(&serde_json::json!({
                "ok": true, "ownerId": owner, "erased": erased.to_json(),
            }))
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

/// Prints a command's answer (one JSON line on stdout).
fn answer(v: &serde_json::Value) -> Result<(), String> {
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "{v}").map_err(|e| e.to_string())
}
