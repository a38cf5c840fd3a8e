# Ishtar — `just` lists the recipes. Each is a plain cargo/psql command you can run without just.

_default:
    @just --list

# Run the venue on its defaults (creates and migrates postgres://postgres@localhost/ishtar)
run:
    cargo run -p ishtar

# Run the whole test suite (needs PostgreSQL on 127.0.0.1:5432 as postgres)
test:
    cargo test --workspace

# Everything CI runs
ci:
    bash .ci/run

# The contract fuzzer: schemathesis against /openapi.json on the debug build (docs/openapi.md)
fuzz:
    cargo build -p ishtar --bin ishtar
    bash scripts/fuzz-contract.sh

# Format the code
fmt:
    cargo fmt --all

# Lints as CI runs them
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Create the database if missing and apply migrations, then exit
migrate:
    cargo run -p ishtar -- migrate

# Drop leftover per-test databases (after an interrupted test run)
clean-test-dbs:
    psql -h 127.0.0.1 -U postgres -Atc "SELECT 'DROP DATABASE \"' || datname || '\" WITH (FORCE);' FROM pg_database WHERE datname LIKE 'ishtar_t_%' OR datname LIKE 'ishtar_tpl_%'" | psql -h 127.0.0.1 -U postgres -q

# Load benchmark of the intake path with wrk and pgbench (writes figures to stdout; see docs/benchmarks.md)
bench-load:
    bash scripts/bench-load.sh
