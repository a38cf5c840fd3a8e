//! Documentation that runs: the fenced blocks of a markdown text, and a shell block run
//! with bash against a test app (the README's agent loop in readme.rs, the served skill's
//! quick start in agent_docs.rs).

use std::process::Command;

/// The first fenced block of `lang` after the heading `heading` in `text`.
pub fn block_after(text: &str, heading: &str, lang: &str) -> String {
    let section = text
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no heading {heading}"));
    let fence = format!("```{lang}\n");
    let start = section.find(&fence).expect("a fenced block") + fence.len();
    let end = section[start..].find("```").expect("the block ends") + start;
    section[start..end].to_owned()
}

/// Whether bash, curl and jq (what the documented shell blocks use) are on this machine.
pub fn have_shell_tools() -> bool {
    ["bash", "curl", "jq"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs `script` with `bash -euo pipefail`; its stdout. Fails the test, with both outputs,
/// when the script fails.
pub async fn run_bash(script: String) -> String {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
    })
    .await
    .expect("joined")
    .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    stdout
}
