//! The README's agent loop runs as written (issue 12): its curl block, with `BASE` pointed
//! at a test app, against the real server. It needs `bash`, `curl` and `jq`; without them
//! it says so and skips.

use crate::helpers::spawn_app;
use crate::shell::{block_after, have_shell_tools, run_bash};

#[tokio::test]
async fn the_readme_agent_loop_runs_as_written() {
    if !have_shell_tools() {
        eprintln!("skipped: the README test needs bash, curl and jq");
        return;
    }
    let app = spawn_app().await;
    let block = block_after(
        include_str!("../../README.md"),
        "## The agent loop, with curl",
        "sh",
    );
    assert!(block.contains("BASE=http://127.0.0.1:8080"), "{block}");
    let script = block.replace(
        "BASE=http://127.0.0.1:8080",
        &format!("BASE={}", app.address),
    );
    let stdout = run_bash(script).await;
    for expected in [
        r#""ownerToken":"ish_"#,
        r#""challengeNonce":"ishtar:"#,
        r#""active":true"#,
        r#""admitted":true,"reason":"admitted""#,
        r#""nextSteps":["#,
        r#""events":["#,
        r#""ok":true,"mode":"#,
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }
    // What the block did is in the venue: one owner, a verified endpoint, an admitted persona.
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM personas WHERE handle = 'wren' AND status = 'admitted'")
            .await,
        1
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM agent_endpoints WHERE status = 'active'")
            .await,
        1
    );
}
