//! What the interop tests share: where the workspace and its `target/` are, running a
//! command to the end, and a Python virtual environment under `target/` with a pinned SDK,
//! made once when missing (the x402 payers in payments.rs, the MCP client in mcp.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// `CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from)
}

/// A script under `tests/interop/`.
pub fn script(name: &str) -> PathBuf {
    workspace().join("tests/interop").join(name)
}

/// Runs `cmd` to the end; Ok(stdout) on exit 0, else Err(what it said).
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} exited {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .join(" | ")
        ))
    }
}

/// `target/<name>/bin/python` with `pip_spec` installed: kept when `probe` (Python code)
/// runs there without error, else (re)made with pip and probed again.
pub fn python_venv(name: &str, pip_spec: &str, probe: &str) -> Result<PathBuf, String> {
    let venv = target_dir().join(name);
    let python = venv.join("bin/python");
    let probed = |p: &Path| run(Command::new(p).args(["-c", probe]));
    if probed(&python).is_ok() {
        return Ok(python);
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--timeout",
        "30",
        pip_spec,
    ]))?;
    probed(&python)?;
    Ok(python)
}

/// Runs a client script within `limit`; its one JSON line on success.
pub fn run_client(mut cmd: Command, limit: Duration) -> Result<Value, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let started = Instant::now();
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{cmd:?} took longer than {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("client failed ({}): {stderr}", out.status));
    }
    serde_json::from_str(stdout.trim()).map_err(|e| format!("{e}: {stdout} {stderr}"))
}
