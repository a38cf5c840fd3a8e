//! The store ports' contract (`ishtar-store-contract`) against the in-memory store: the
//! same checks the Postgres store passes, each on a fresh, empty venue.

ishtar_store_contract::contract_tests!(|| async {
    ishtar_store_contract::Stores::of(std::sync::Arc::new(
        ishtar_store_memory::MemoryStore::default(),
    ))
});
