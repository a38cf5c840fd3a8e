//! The binary itself: start-up failures are one clear line, never a panic.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::process::Command;

#[test]
fn an_unreachable_database_is_one_line_and_exit_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
        .env(
            "DATABASE_URL",
            "postgres://postgres:secret@127.0.0.1:1/ishtar",
        )
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("ishtar: cannot reach the database server at"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret"),
        "the password is redacted: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_short_admin_token_is_one_line_and_exit_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
        .env("ISHTAR_ADMIN_TOKEN", "hunter2-is-not-a-secret")
        // The check comes before the database is even tried.
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/ishtar")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("ishtar: configuration: ISHTAR_ADMIN_TOKEN is too short"),
        "{stderr}"
    );
    assert!(stderr.contains("at least 32"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the token is never echoed: {stderr}"
    );
}

#[test]
fn help_lists_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "ISHTAR_BIND", "DATABASE_URL"] {
        assert!(text.contains(word), "{word}");
    }
}

#[test]
fn every_command_has_its_own_help() {
    for (command, needle) in [
        ("serve", "serve HTTP"),
        ("migrate", "migrations"),
        ("beat", "match beat"),
        ("erase", "--owner <N>"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(needle), "{command} --help: {text}");
    }
}

#[test]
fn serve_with_the_memory_store_starts_without_a_database_and_says_so() {
    use std::io::BufRead as _;
    // A closed port: the server would exit at once if it tried to reach a database.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ishtar"))
        .args(["serve", "--store", "memory"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/ishtar")
        .env("ISHTAR_BIND", "127.0.0.1:0")
        .env("ISHTAR_BACKGROUND", "false")
        .env("RUST_LOG", "off")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        first.starts_with("ishtar: ISHTAR_STORE=memory: NOTHING IS DURABLE"),
        "{first}"
    );
    assert!(still_running, "the server keeps serving from memory");
}

#[test]
fn other_commands_refuse_the_memory_store_in_one_line() {
    for command in ["migrate", "beat"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
            .arg(command)
            .env("ISHTAR_STORE", "memory")
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "ishtar: `ishtar {command}` needs the Postgres store"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn serve_help_names_the_store_and_its_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_ishtar"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["--store", "ISHTAR_STORE", "memory", "NOT durable"] {
        assert!(text.contains(word), "{word}: {text}");
    }
}
