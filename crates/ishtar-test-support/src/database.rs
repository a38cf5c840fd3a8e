use std::sync::OnceLock;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

/// The server tests run against: `ISHTAR_TEST_DATABASE_URL`, else the local default.
/// Its path names the maintenance database (`/postgres`).
pub fn admin_url() -> String {
    std::env::var("ISHTAR_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn url_for(db: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{db}")
}

/// The template's name carries a hash of the migrations, so a changed migration gets a
/// fresh template and a stale one is never reused.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.strip_prefix(&dir).unwrap().to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    format!("ishtar_tpl_{}", &hex::encode(h.finalize())[..16])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url())
        .await
        .unwrap_or_else(|e| panic!("tests need PostgreSQL at {}: {e}", admin_url()))
}

async fn build_template(name: &str) {
    let mut conn = admin().await;
    // One builder across every test process; the others wait, then find it built.
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .unwrap();
    let exists = diesel::sql_query(format!(
        "SELECT 1 FROM pg_database WHERE datname = '{name}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap()
        > 0;
    if !exists {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut conn)
            .await
            .unwrap();
        ishtar_store_postgres::migrate(&url_for(&building))
            .await
            .unwrap();
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await
        .unwrap();
}

static TEMPLATE: OnceLock<String> = OnceLock::new();

fn template() -> &'static str {
    TEMPLATE.get_or_init(|| {
        let name = template_name();
        let n = name.clone();
        // Its own thread and runtime: the template outlives any one test's runtime.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(build_template(&n));
        })
        .join()
        .unwrap();
        name
    })
}

/// A database of its own for one test, dropped (forcibly) when it goes out of scope.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Clones the migrated template into a fresh database.
    pub async fn new() -> Self {
        let tpl = template();
        let name = format!("ishtar_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
            .execute(&mut conn)
            .await
            .unwrap();
        Self {
            url: url_for(&name),
            name,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A direct connection, for arranging and asserting on rows.
    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url).await.unwrap()
    }

    /// Runs one SQL statement (arrange / sabotage).
    pub async fn exec(&self, sql: &str) {
        let mut c = self.conn().await;
        diesel::sql_query(sql).execute(&mut c).await.unwrap();
    }

    /// The first column of the first row of `sql`, as text (`NULL` → `None`).
    pub async fn scalar(&self, sql: &str) -> Option<String> {
        use diesel::sql_types::{Nullable, Text};
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<Text>)]
            v: Option<String>,
        }
        let mut c = self.conn().await;
        diesel::sql_query(format!("SELECT ({sql})::text AS v"))
            .get_result::<Row>(&mut c)
            .await
            .unwrap()
            .v
    }

    /// A count from `sql` (`SELECT count(*) …`).
    pub async fn count(&self, sql: &str) -> i64 {
        self.scalar(sql)
            .await
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut conn = admin().await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        })
        .join();
    }
}
