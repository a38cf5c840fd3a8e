//! The configuration contract (design.md §7): environment variables, each also a flag.
//! Read once here; adapters get plain structs and never read the environment themselves.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use secrecy::SecretString;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost/ishtar";
pub const DEFAULT_GEO_HEADER: &str = "cf-ipcountry";
pub const DEFAULT_DATA_DIR: &str = ".ishtar";

/// Everything the venue reads from its environment.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Listen address.
    #[arg(long, env = "ISHTAR_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Postgres URL; the database is created if missing and migrated on start.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,

    /// Connections in the pool.
    #[arg(long, env = "ISHTAR_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: usize,

    /// Operator secret for /admin (none: the console is closed).
    #[arg(long, env = "ISHTAR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// Header carrying the client's ISO country, set by a trusted proxy.
    #[arg(long, env = "ISHTAR_GEO_HEADER", default_value = DEFAULT_GEO_HEADER)]
    pub geo_header: String,

    /// Initial denied countries, comma-separated (the `geo_denied` setting wins after).
    #[arg(long, env = "ISHTAR_GEO_DENIED", default_value = "")]
    pub geo_denied: String,

    /// Allow http and loopback/private callback URLs (local development and tests only).
    #[arg(long, env = "ISHTAR_ALLOW_PRIVATE_CALLBACKS", default_value = "false",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub allow_private_callbacks: bool,

    /// Time allowed for a callback round-trip, in milliseconds.
    #[arg(long, env = "ISHTAR_CALLBACK_TIMEOUT_MS", default_value_t = 5000)]
    pub callback_timeout_ms: u64,

    /// Base64 of 32 bytes for AES-256-GCM at rest (none: a dev key under the data dir).
    #[arg(long, env = "ISHTAR_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<SecretString>,

    /// Run the beat timer and the notification delivery loop (off only in tests that drive
    /// them by hand).
    #[arg(long, env = "ISHTAR_BACKGROUND", default_value = "true",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub background: bool,

    /// Where a generated development key is kept.
    #[arg(long, env = "ISHTAR_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_pool_size: 16,
            admin_token: None,
            geo_header: DEFAULT_GEO_HEADER.to_owned(),
            geo_denied: String::new(),
            allow_private_callbacks: false,
            callback_timeout_ms: 5000,
            encryption_key: None,
            background: true,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
        }
    }
}
