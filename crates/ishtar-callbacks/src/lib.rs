//! Calls to agents' callback URLs (docs/rules.md#callback-urls), as the domain's
//! [`CallbackClient`] port.
//!
//! Rules: https only; the host is resolved first and every resolved address must be public
//! (no loopback, private, link-local, site-local, CGNAT or metadata ranges, and no IPv6
//! form embedding an IPv4 address — `is_public_ip` lists them) unless private callbacks
//! are allowed for development; the connection is pinned to the checked addresses (no
//! second lookup an attacker could rebind); no redirects, no proxies; short timeouts; the
//! response is read up to a small cap.

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use ishtar_domain::ProviderError;
use ishtar_domain::intake::is_public_ip;
use ishtar_domain::ports::CallbackClient;

/// The header a notification's signature travels in:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256>` ([`ishtar_domain::notify::sign`]).
pub const SIGNATURE_HEADER: &str = "X-Ishtar-Signature";

/// Limits for callback calls.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// `ISHTAR_ALLOW_PRIVATE_CALLBACKS`: allow http and non-public addresses.
    pub allow_private: bool,
    /// Connect + request + response, all told.
    pub timeout: Duration,
    /// The most bytes read from a response.
    pub max_response_bytes: usize,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(5),
            max_response_bytes: 4096,
        }
    }
}

/// The reqwest callback client.
#[derive(Debug, Clone)]
pub struct HttpCallbackClient {
    cfg: CallbackConfig,
}

#[derive(Deserialize)]
struct EchoBody {
    echo: String,
}

fn unavailable(m: impl Into<String>) -> ProviderError {
    ProviderError::unavailable(m)
}

impl HttpCallbackClient {
    pub fn new(cfg: CallbackConfig) -> Self {
        Self { cfg }
    }

    /// Resolves and checks the URL's host; returns the parsed URL and the pinned addresses.
    ///
    /// # Errors
    /// [`ProviderError::rejected`] when the URL breaks a rule; `Unavailable` when DNS fails.
    pub async fn vet(
        &self,
        raw: &str,
    ) -> Result<(url::Url, String, Vec<SocketAddr>), ProviderError> {
        let url =
            url::Url::parse(raw).map_err(|e| ProviderError::rejected("bad url").with_source(e))?;
        match url.scheme() {
            "https" => {}
            "http" if self.cfg.allow_private => {}
            _ => return Err(ProviderError::rejected("https only")),
        }
        let host = url
            .host_str()
            .ok_or_else(|| ProviderError::rejected("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| ProviderError::rejected("no port"))?;
        let addrs: Vec<SocketAddr> = tokio::time::timeout(
            self.cfg.timeout,
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await
        .map_err(|_| unavailable("dns timeout"))?
        .map_err(|e| unavailable("dns failure").with_source(e))?
        .collect();
        if addrs.is_empty() {
            return Err(unavailable("no address"));
        }
        if !self.cfg.allow_private && addrs.iter().any(|a| !is_public_ip(a.ip())) {
            return Err(ProviderError::rejected("address not allowed"));
        }
        Ok((url, host, addrs))
    }

    async fn post_json(
        &self,
        raw: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, ProviderError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ProviderError::malformed(e.to_string()).with_source(e))?;
        self.post_bytes(raw, bytes, None).await
    }

    async fn post_bytes(
        &self,
        raw: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Result<Vec<u8>, ProviderError> {
        let (url, host, addrs) = self.vet(raw).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.cfg.timeout)
            .connect_timeout(self.cfg.timeout)
            .resolve_to_addrs(&host, &addrs)
            .user_agent("ishtar-venue/1")
            .build()
            .map_err(|e| unavailable(e.to_string()).with_source(e))?;
        let work = async {
            let mut req = client
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            if let Some(sig) = signature {
                req = req.header(SIGNATURE_HEADER, sig);
            }
            let res = req.send().await.map_err(|e| {
                let why = if e.is_timeout() {
                    "timeout"
                } else {
                    "connect failed"
                };
                unavailable(why).with_source(e)
            })?;
            if !res.status().is_success() {
                return Err(ProviderError::rejected(format!(
                    "status {}",
                    res.status().as_u16()
                )));
            }
            let mut res = res;
            let mut out = Vec::new();
            while let Some(chunk) = res
                .chunk()
                .await
                .map_err(|e| unavailable("read failed").with_source(e))?
            {
                if out.len() + chunk.len() > self.cfg.max_response_bytes {
                    return Err(ProviderError::malformed("response too large"));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out)
        };
        tokio::time::timeout(self.cfg.timeout, work)
            .await
            .map_err(|_| unavailable("timeout"))?
    }
}

#[async_trait]
impl CallbackClient for HttpCallbackClient {
    async fn challenge(&self, url: &str, nonce: &str) -> Result<String, ProviderError> {
        let bytes = self
            .post_json(url, &serde_json::json!({ "challenge": nonce }))
            .await?;
        serde_json::from_slice::<EchoBody>(&bytes)
            .map(|b| b.echo)
            // No source: serde's message can quote the agent's answer.
            .map_err(|_| ProviderError::malformed("expected {\"echo\": …}"))
    }

    async fn deliver(
        &self,
        url: &str,
        body: Vec<u8>,
        signature: String,
    ) -> Result<(), ProviderError> {
        // One bound for the whole call (resolution included), so a delivery never outlives
        // the timeout its lease is sized from (docs/notifications.md).
        tokio::time::timeout(
            self.cfg.timeout,
            self.post_bytes(url, body, Some(signature)),
        )
        .await
        .map_err(|_| unavailable("timeout"))?
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> HttpCallbackClient {
        HttpCallbackClient::new(CallbackConfig {
            timeout: Duration::from_secs(2),
            ..CallbackConfig::default()
        })
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused_after_resolution() {
        // `localhost` resolves (via /etc/hosts) to 127.0.0.1/::1: refused at connect time
        // even though the name itself is not an address.
        let r = strict().vet("https://localhost:9/cb").await;
        assert!(matches!(r, Err(ProviderError::Rejected { .. })), "{r:?}");
    }

    #[tokio::test]
    async fn literal_private_addresses_and_plain_http_are_refused() {
        for url in [
            "https://127.0.0.1/cb",
            "https://10.0.0.1/cb",
            "https://[::1]/cb",
            "https://169.254.169.254/",
            "http://93.184.216.34/",
        ] {
            let r = strict().vet(url).await;
            assert!(
                matches!(r, Err(ProviderError::Rejected { .. })),
                "{url}: {r:?}"
            );
        }
    }

    /// Issue 11: IPv6 spellings that reach an IPv4 address, and site-local.
    #[tokio::test]
    async fn ipv6_forms_that_embed_a_private_ipv4_are_refused() {
        for (url, form) in [
            ("https://[::7f00:1]/cb", "IPv4-compatible loopback"),
            ("https://[::a00:1]/cb", "IPv4-compatible private"),
            ("https://[::808:808]/cb", "IPv4-compatible, even public"),
            ("https://[::ffff:0:7f00:1]/cb", "IPv4-translated loopback"),
            (
                "https://[::ffff:0:808:808]/cb",
                "IPv4-translated, even public",
            ),
            ("https://[::ffff:127.0.0.1]/cb", "IPv4-mapped loopback"),
            ("https://[::ffff:8.8.8.8]/cb", "IPv4-mapped, even public"),
            ("https://[2002:7f00:1::]/cb", "6to4 of loopback"),
            (
                "https://[2002:a9fe:a9fe::1]/cb",
                "6to4 of the metadata address",
            ),
            ("https://[2002:808:808::1]/cb", "6to4, even public"),
            ("https://[64:ff9b::7f00:1]/cb", "NAT64 of loopback"),
            (
                "https://[64:ff9b::a9fe:a9fe]/cb",
                "NAT64 of the metadata address",
            ),
            ("https://[64:ff9b:1::a00:1]/cb", "local-use NAT64"),
            (
                "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/cb",
                "Teredo",
            ),
            ("https://[fec0::1]/cb", "site-local"),
            ("https://[feff:ffff::1]/cb", "site-local, top of the range"),
        ] {
            let r = strict().vet(url).await;
            assert!(
                matches!(&r, Err(ProviderError::Rejected { reason: m, .. }) if m == "address not allowed"),
                "{form} ({url}): {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn nat64_of_a_public_ipv4_and_plain_public_ipv6_are_allowed() {
        for url in [
            "https://[64:ff9b::808:808]/cb",
            "https://[2606:4700:4700::1111]/cb",
        ] {
            let r = strict().vet(url).await;
            assert!(r.is_ok(), "{url}: {r:?}");
        }
    }

    #[tokio::test]
    async fn a_refused_address_is_never_contacted() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok();
        let port = listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
            .unwrap_or(9);
        let r = strict()
            .challenge(&format!("https://127.0.0.1:{port}/cb"), "n")
            .await;
        assert!(matches!(r, Err(ProviderError::Rejected { .. })));
        if let Some(l) = listener {
            let accepted = tokio::time::timeout(Duration::from_millis(100), l.accept()).await;
            assert!(accepted.is_err(), "no connection was made");
        }
    }
}
