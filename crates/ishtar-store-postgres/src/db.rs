//! Connecting: create the database if missing, run the embedded migrations, build the pool.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The connection pool.
pub type PgPool = Pool<AsyncPgConnection>;

/// How to reach Postgres.
#[derive(Debug, Clone)]
pub struct PgConfig {
    pub url: String,
    pub pool_size: usize,
    /// How long a caller waits for a free connection before the store is "unavailable".
    pub wait_timeout: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
}

impl PgConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 16,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A start-up failure, worded for a one-line message.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a postgres URL with a database name: {0}")]
    BadUrl(String),
    #[error("cannot reach the database server at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error("cannot create database {name}: {cause}")]
    Create { name: String, cause: String },
    #[error("migrations failed: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// `url` with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Creates the database `url` names if it does not exist (connecting to `postgres` on the
/// same server to do so). Safe when several instances start at once.
///
/// # Errors
/// [`DbError`] when the server cannot be reached or the database cannot be created.
pub async fn ensure_database(url: &str, timeout: Duration) -> Result<(), DbError> {
    let parsed = url::Url::parse(url).map_err(|_| DbError::BadUrl(redact(url)))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() || !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(DbError::BadUrl(redact(url)));
    }
    let unreachable = |cause: String| DbError::Unreachable {
        url: redact(url),
        cause,
    };
    // Fast path: the database is there.
    match tokio::time::timeout(timeout, AsyncPgConnection::establish(url)).await {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(e)) if !e.to_string().contains("does not exist") => {
            return Err(unreachable(e.to_string()));
        }
        Err(_) => return Err(unreachable("timed out".into())),
        Ok(Err(_)) => {}
    }
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut conn = tokio::time::timeout(timeout, AsyncPgConnection::establish(admin_url.as_str()))
        .await
        .map_err(|_| unreachable("timed out".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(format!("CREATE DATABASE {quoted}"))
        .execute(&mut conn)
        .await
    {
        Ok(_) => {
            tracing::info!(database = %name, "created the database");
            Ok(())
        }
        // 42P04 duplicate_database: another instance won the race.
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(DbError::Create {
            name,
            cause: e.to_string(),
        }),
    }
}

/// Applies pending migrations. The harness is synchronous, so it runs on the blocking pool
/// through the async connection wrapper (docs/rules.md#dependency-pitfalls).
///
/// # Errors
/// [`DbError::Migrate`].
pub async fn migrate(url: &str) -> Result<usize, DbError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> Result<usize, DbError> {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            diesel::Connection::establish(&url).map_err(|e| DbError::Migrate(e.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| DbError::Migrate(e.to_string()))?;
        Ok(applied.len())
    })
    .await
    .map_err(|e| DbError::Migrate(e.to_string()))?
}

/// Builds the pool with explicit wait, create and recycle timeouts (deadpool's defaults
/// wait forever) and checks that one connection opens.
///
/// # Errors
/// [`DbError`] when the pool cannot be built or the first connection fails.
pub async fn connect(cfg: &PgConfig) -> Result<PgPool, DbError> {
    // `Fast` recycling: a checked-out connection is not pinged with `SELECT 1` (the
    // default costs one extra round trip per checkout, a quarter of the intake path's).
    // A connection whose socket closed is still discarded (`is_broken` checks it), and a
    // statement on one that died unnoticed fails as `StoreError::Unavailable`, like any
    // other store failure.
    let mut manager_config = ManagerConfig::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        cfg.url.clone(),
        manager_config,
    );
    let pool = Pool::builder(manager)
        .max_size(cfg.pool_size)
        .wait_timeout(Some(cfg.wait_timeout))
        .create_timeout(Some(cfg.connect_timeout))
        .recycle_timeout(Some(cfg.connect_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))?;
    let mut conn = pool.get().await.map_err(|e| DbError::Unreachable {
        url: redact(&cfg.url),
        cause: e.to_string(),
    })?;
    diesel::select(1.into_sql::<diesel::sql_types::Integer>())
        .get_result::<i32>(&mut conn)
        .await
        .map_err(|e| DbError::Unreachable {
            url: redact(&cfg.url),
            cause: e.to_string(),
        })?;
    Ok(pool)
}
