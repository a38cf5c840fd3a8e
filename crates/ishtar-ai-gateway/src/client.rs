//! The HTTP plumbing the three adapters share: one `reqwest::Client`, the bearer header,
//! per-attempt timeouts, bounded retries with backoff, capped response reads.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;

use ishtar_domain::ProviderError;

use crate::GatewayConfig;

/// The most bytes read from one answer (a 64-text batch of 1536-d vectors is ~2 MB).
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// What one attempt came to.
enum Attempt {
    Done(Vec<u8>),
    /// Not worth another try (other 4xx, timeouts, bad bodies).
    Fatal(ProviderError),
    /// 429, 5xx or a connection failure; `retry_after` from the header, if any.
    Retry {
        error: ProviderError,
        retry_after: Option<Duration>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    auth: Option<HeaderValue>,
    pub(crate) cfg: GatewayConfig,
}

impl Client {
    /// # Errors
    /// [`ProviderError::rejected`] when the base URL or key is unusable;
    /// `Unavailable` when the HTTP client cannot be built.
    pub(crate) fn new(cfg: GatewayConfig) -> Result<Self, ProviderError> {
        let parsed = reqwest::Url::parse(&cfg.base_url)
            .map_err(|_| ProviderError::rejected("gateway base url is not a url"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ProviderError::rejected("gateway base url must be http(s)"));
        }
        let auth = match &cfg.api_key {
            Some(key) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| {
                        ProviderError::rejected("gateway api key is not a header value")
                    })?;
                // Keeps the value out of reqwest's and hyper's debug output.
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ishtar-venue/1")
            .build()
            .map_err(|_| ProviderError::unavailable("http client could not be built"))?;
        Ok(Self {
            http,
            base: cfg.base_url.trim_end_matches('/').to_owned(),
            auth,
            cfg,
        })
    }

    /// POSTs `body` as JSON to `{base}{path}` and parses the answer as `T`, retrying as the
    /// config allows. `op` names the call in logs (never the body).
    pub(crate) async fn post_json<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &str,
        body: &B,
    ) -> Result<T, ProviderError> {
        let bytes = self.post_with_retries(op, path, body).await?;
        serde_json::from_slice(&bytes)
            // Position only: serde's messages can quote the answer, which can quote the input.
            .map_err(|e| {
                ProviderError::malformed(format!(
                    "{op}: unreadable json at line {} column {}",
                    e.line(),
                    e.column()
                ))
            })
    }

    async fn post_with_retries<B: Serialize + Sync>(
        &self,
        op: &'static str,
        path: &str,
        body: &B,
    ) -> Result<Vec<u8>, ProviderError> {
        let url = format!("{}{path}", self.base);
        let mut retries = 0_u32;
        loop {
            match self.attempt(&url, body).await {
                Attempt::Done(bytes) => return Ok(bytes),
                Attempt::Fatal(error) => {
                    tracing::warn!(op, error = %error, "gateway call failed");
                    return Err(error);
                }
                Attempt::Retry { error, retry_after } => {
                    if retries >= self.cfg.max_retries {
                        tracing::warn!(op, retries, error = %error, "gateway call gave up");
                        return Err(error);
                    }
                    let delay = retry_delay(
                        retries,
                        retry_after,
                        self.cfg.backoff_base,
                        self.cfg.backoff_max,
                    );
                    tracing::info!(
                        op,
                        retry = retries + 1,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error = %error,
                        "gateway call will be retried"
                    );
                    tokio::time::sleep(delay).await;
                    retries += 1;
                }
            }
        }
    }

    async fn attempt<B: Serialize + Sync>(&self, url: &str, body: &B) -> Attempt {
        let mut req = self.http.post(url).json(body);
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let work = async {
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) if e.is_timeout() => return Attempt::Fatal(unavailable("timeout")),
                Err(e) if e.is_connect() => {
                    return Attempt::Retry {
                        error: unavailable("connect failed"),
                        retry_after: None,
                    };
                }
                Err(_) => return Attempt::Fatal(unavailable("request failed")),
            };
            let status = res.status();
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                return Attempt::Retry {
                    error: unavailable(format!("status {}", status.as_u16())),
                    retry_after: retry_after(res.headers()),
                };
            }
            if !status.is_success() {
                // The body is not read: providers may echo the input back.
                return Attempt::Fatal(ProviderError::rejected(format!(
                    "status {}",
                    status.as_u16()
                )));
            }
            match read_capped(res).await {
                Ok(bytes) => Attempt::Done(bytes),
                Err(e) => Attempt::Fatal(e),
            }
        };
        // reqwest's own timeout covers the same ground; this one also bounds the body read.
        tokio::time::timeout(self.cfg.timeout, work)
            .await
            .unwrap_or_else(|_| Attempt::Fatal(unavailable("timeout")))
    }
}

fn unavailable(m: impl Into<String>) -> ProviderError {
    ProviderError::unavailable(m)
}

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    let mut out = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(ProviderError::malformed("response too large"));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.is_timeout() => return Err(unavailable("timeout")),
            Err(_) => return Err(unavailable("read failed")),
        }
    }
}

/// `Retry-After` in delta-seconds; HTTP dates are ignored (the backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The wait before retry number `retries + 1`: `base × 2^retries`, or the server's
/// `Retry-After` when that is longer, never more than `max`.
pub(crate) fn retry_delay(
    retries: u32,
    retry_after: Option<Duration>,
    base: Duration,
    max: Duration,
) -> Duration {
    let backoff = base.saturating_mul(2_u32.saturating_pow(retries.min(16)));
    backoff.max(retry_after.unwrap_or_default()).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_and_is_capped() {
        let d = |n| retry_delay(n, None, 100 * MS, 1000 * MS);
        assert_eq!(
            [d(0), d(1), d(2), d(3), d(4), d(40)],
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_capped_too() {
        let secs = Duration::from_secs;
        assert_eq!(retry_delay(0, Some(secs(3)), 100 * MS, secs(10)), secs(3));
        assert_eq!(retry_delay(0, Some(secs(60)), 100 * MS, secs(10)), secs(10));
        assert_eq!(retry_delay(3, Some(secs(0)), 100 * MS, secs(10)), 800 * MS);
    }

    #[test]
    fn retry_after_reads_delta_seconds_only() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(RETRY_AFTER, HeaderValue::from_static(v));
            retry_after(&m)
        };
        assert_eq!(h("7"), Some(Duration::from_secs(7)));
        assert_eq!(h(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(h("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn bad_base_urls_and_keys_are_refused_up_front() {
        for base in ["not a url", "ftp://example.com/v1"] {
            let r = Client::new(GatewayConfig {
                base_url: base.into(),
                ..GatewayConfig::default()
            });
            assert!(matches!(r, Err(ProviderError::Rejected { .. })), "{base}");
        }
        let r = Client::new(GatewayConfig {
            api_key: Some("line\nbreak".into()),
            ..GatewayConfig::default()
        });
        assert!(matches!(r, Err(ProviderError::Rejected { .. })));
    }
}
