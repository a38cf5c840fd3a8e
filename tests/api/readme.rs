//! The README's agent loop runs as written (issue 12): its curl block, with `BASE` pointed
//! at a test app, against the real server. It needs `bash`, `curl` and `jq`; without them
//! it says so and skips.

use std::process::Command;

use crate::helpers::spawn_app;

/// The first shell block after the heading `## The agent loop, with curl`.
fn agent_loop_block(readme: &str) -> String {
    let section = readme
        .split("## The agent loop, with curl")
        .nth(1)
        .expect("the README has the agent loop section");
    let start = section.find("```sh\n").expect("a shell block") + "```sh\n".len();
    let end = section[start..].find("```").expect("the block ends") + start;
    section[start..end].to_owned()
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn the_readme_agent_loop_runs_as_written() {
    if !(have("bash") && have("curl") && have("jq")) {
        eprintln!("skipped: the README test needs bash, curl and jq");
        return;
    }
    let app = spawn_app().await;
    let block = agent_loop_block(include_str!("../../README.md"));
    assert!(block.contains("BASE=http://127.0.0.1:8080"), "{block}");
    let script = block.replace(
        "BASE=http://127.0.0.1:8080",
        &format!("BASE={}", app.address),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
    })
    .await
    .expect("joined")
    .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
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
