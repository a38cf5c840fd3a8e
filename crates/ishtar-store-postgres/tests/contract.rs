//! The store ports' contract (`ishtar-store-contract`) against a real Postgres: every check
//! gets a database of its own, cloned from the migrated template.

use std::sync::Arc;

use ishtar_store_contract::Stores;
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};
use ishtar_test_support::TestDatabase;

/// A fresh, empty store on a database of its own, dropped with the returned stores.
async fn stores() -> Stores {
    let db = TestDatabase::new().await;
    let pool = ishtar_store_postgres::connect(&PgConfig::new(db.url()))
        .await
        .expect("the test database accepts connections");
    Stores::of(Arc::new(PgStore::new(pool, ContactCipher::new(&[3u8; 32])))).holding(db)
}

ishtar_store_contract::contract_tests!(stores);
