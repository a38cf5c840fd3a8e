//! The pages in a real browser: Debian's headless Chromium, driven over the DevTools
//! protocol, loads `/`, `/admin` (with the operator's credentials; it runs a beat from the
//! console's form) and `/claim`, checks what a person sees, and that the browser reported
//! no console error, no uncaught exception and no failed load. Screenshots go to
//! `target/browser/` for review.
//!
//! `.ci/run` installs Chromium when it is missing. When it is not on this machine at all
//! (`/usr/bin/chromium`, or `ISHTAR_CHROMIUM`), the test says so and skips.
//!
//! The protocol client is a few lines over `tungstenite` (a small, widely used WebSocket
//! crate; plain `ws://` to 127.0.0.1, no TLS): a full CDP crate would add hundreds of
//! generated types and minutes of build time for the handful of calls used here.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::helpers::{OPERATOR, TestApp, spawn_app};

const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_path() -> Option<PathBuf> {
    let p = std::env::var_os("ISHTAR_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMIUM));
    p.exists().then_some(p)
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser")
}

/// A headless Chromium with its own fresh profile, killed (and its profile removed) on drop.
struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    fn launch(exe: &Path) -> (Self, u16) {
        let profile =
            std::env::temp_dir().join(format!("ishtar-chromium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        let mut child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/…" once it is ready.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(port);
                }
            }
        });
        let browser = Self { child, profile };
        let port = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium did not open its DevTools port within 30 s")
            .parse()
            .unwrap();
        (browser, port)
    }
}

/// A DevTools-protocol session with one page.
struct Page {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events not yet consumed by a wait.
    events: Vec<Value>,
    /// Everything the page reported as an error: console errors, uncaught exceptions,
    /// failed loads, policy violations.
    errors: Vec<String>,
}

impl Page {
    /// The WebSocket URL of the browser's first page.
    async fn target(port: u16) -> String {
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned()
    }

    fn open(url: &str) -> Self {
        let (ws, _) = tungstenite::connect(url).unwrap();
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut page = Self {
            ws,
            next_id: 0,
            events: Vec::new(),
            errors: Vec::new(),
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            page.call(&format!("{domain}.enable"), json!({}));
        }
        page
    }

    fn note(&mut self, event: Value) {
        let p = &event["params"];
        match event["method"].as_str().unwrap_or_default() {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                self.errors
                    .push(format!("console.{}: {}", p["type"], p["args"]));
            }
            "Runtime.exceptionThrown" => {
                self.errors
                    .push(format!("uncaught: {}", p["exceptionDetails"]));
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                self.errors.push(format!(
                    "log: {} ({})",
                    p["entry"]["text"], p["entry"]["url"]
                ));
            }
            "Network.loadingFailed" if p["canceled"] != true => {
                self.errors.push(format!("load failed: {}", p["errorText"]));
            }
            _ => {}
        }
        self.events.push(event);
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("the DevTools connection") {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(_) => panic!("the browser closed the DevTools connection"),
                _ => {}
            }
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params});
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let m = self.read();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {}", m["error"]);
                return m["result"].clone();
            }
            if m.get("method").is_some() {
                self.note(m);
            }
        }
    }

    /// Waits for the event `method` (one seen since the last wait counts).
    fn wait_for(&mut self, method: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
                let e = self.events.remove(i);
                self.events.clear();
                return e;
            }
            assert!(Instant::now() < deadline, "no {method} within {timeout:?}");
            let m = self.read();
            if m.get("method").is_some() {
                self.note(m);
            }
        }
    }

    fn navigate(&mut self, url: &str) {
        self.events.clear();
        let r = self.call("Page.navigate", json!({"url": url}));
        assert!(r.get("errorText").is_none(), "navigating to {url}: {r}");
        self.wait_for("Page.loadEventFired", Duration::from_secs(30));
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// What a person reads on the page.
    fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn screenshot(&mut self, name: &str) -> PathBuf {
        let size = self.call("Page.getLayoutMetrics", json!({}));
        let width = size["cssContentSize"]["width"].as_f64().unwrap_or(1280.0);
        let height = size["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(900.0)
            .min(8000.0);
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Lets late events (console messages, failed subresources) arrive, then returns and
    /// clears the errors seen so far.
    fn take_errors(&mut self) -> Vec<String> {
        self.call("Runtime.evaluate", json!({"expression": "1"}));
        std::mem::take(&mut self.errors)
    }
}

fn heart(about: &str) -> Value {
    json!({"about": about})
}

async fn seed(app: &TestApp) {
    let bakers = "I bake sourdough bread every weekend and love flour, starters and crusty loaves.";
    app.dater("ada", heart(bakers), None).await;
    app.dater("bo", heart(&format!("{bakers} Also sourdough.")), None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_real_browser() {
    let Some(exe) = chromium_path() else {
        eprintln!(
            "SKIPPED the_pages_work_in_a_real_browser: no Chromium at {DEFAULT_CHROMIUM} (or \
             ISHTAR_CHROMIUM); `.ci/run` installs it with `apt-get install -y chromium`"
        );
        return;
    };
    let app = spawn_app().await;
    seed(&app).await;
    let base = app.address.clone();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("operator:{OPERATOR}"));

    let (browser, port) = tokio::task::spawn_blocking(move || Browser::launch(&exe))
        .await
        .unwrap();
    let target = Page::target(port).await;
    let report = tokio::task::spawn_blocking(move || {
        let _browser = browser;
        let mut page = Page::open(&target);
        let mut shots = Vec::new();

        // The lurk page: the venue, its policy and its four boards.
        page.navigate(&format!("{base}/"));
        let text = page.text();
        for seen in [
            "Ishtar",
            "House policy",
            "adult-only",
            "seeking",
            "courtships",
            "debriefs",
            "notifications",
        ] {
            assert!(text.contains(seen), "the lurk page shows {seen:?}:\n{text}");
        }
        shots.push(page.screenshot("lurk"));
        assert_eq!(
            page.take_errors(),
            Vec::<String>::new(),
            "console errors on /"
        );

        // The console, signed in as the operator (HTTP Basic, as a browser sends it).
        page.call(
            "Network.setExtraHTTPHeaders",
            json!({"headers": {"Authorization": format!("Basic {basic}")}}),
        );
        page.navigate(&format!("{base}/admin"));
        let text = page.text();
        for seen in [
            "Ishtar — operator console",
            "Capacity & economics",
            "2 / 1000",
            "Run a beat",
            "Live settings",
            "Intros to broker",
            "Chaperone log",
            "Regional denials",
            "Recent events",
        ] {
            assert!(text.contains(seen), "the console shows {seen:?}:\n{text}");
        }
        assert!(text.contains("ada"), "the personas list");
        shots.push(page.screenshot("admin"));
        assert_eq!(
            page.take_errors(),
            Vec::<String>::new(),
            "console errors on /admin"
        );

        // Run a beat from the console's own form, as a person would: click the button.
        page.events.clear();
        page.eval(
            "document.querySelector('form[action=\"/admin/actions/beat\"] button').click(), true",
        );
        page.wait_for("Page.loadEventFired", Duration::from_secs(30));
        let url = page.eval("location.pathname + location.hash");
        assert_eq!(
            url,
            "/admin#controls",
            "back on the console after the form; the page says:\n{}",
            page.text()
        );
        let text = page.text();
        assert!(
            text.contains("Beat ran: 1 pair found, 1 new couple."),
            "the beat's result is shown:\n{text}"
        );
        assert!(
            text.contains("ada & bo"),
            "the new couple is listed:\n{text}"
        );
        shots.push(page.screenshot("admin-after-beat"));
        assert_eq!(
            page.take_errors(),
            Vec::<String>::new(),
            "console errors after the beat"
        );

        // A reload shows the message no more (it is shown once).
        page.navigate(&format!("{base}/admin"));
        assert!(!page.text().contains("Beat ran:"));

        // The claim page: an invite link, and one without its invite.
        page.call("Network.setExtraHTTPHeaders", json!({"headers": {}}));
        page.navigate(&format!(
            "{base}/claim?token=3f1c5e2a-0000-4000-8000-000000000000"
        ));
        let text = page.text();
        assert!(text.contains("Claim your introduction"), "{text}");
        assert!(
            text.contains("Sign-in is unavailable"),
            "no sign-in provider is configured here, and the page says so:\n{text}"
        );
        shots.push(page.screenshot("claim"));
        assert_eq!(
            page.take_errors(),
            Vec::<String>::new(),
            "console errors on /claim"
        );
        page.navigate(&format!("{base}/claim"));
        assert!(page.text().contains("This link is incomplete"));
        assert_eq!(
            page.take_errors(),
            Vec::<String>::new(),
            "console errors on /claim"
        );
        shots
    })
    .await
    .unwrap();

    // The beat really ran, through the form.
    assert_eq!(app.db.count("SELECT count(*) FROM couples").await, 1);
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE kind = 'beat_run' AND data->>'trigger' = 'console'")
            .await,
        1
    );
    for shot in report {
        assert!(
            std::fs::metadata(&shot).unwrap().len() > 1000,
            "{}",
            shot.display()
        );
    }
}
