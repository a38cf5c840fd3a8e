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
