//! The test kit's fake OpenAI-compatible gateway, and the adapter config pointing at it.

use std::time::Duration;

use ishtar_ai_gateway::GatewayConfig;

pub use ishtar_test_kit::{FakeGateway, GatewayReply as Reply, gateway_chat as chat};

/// The adapter config for a [`FakeGateway`].
pub trait ConfigFor {
    /// A config pointing at this fake: key `sk-test`, short timeout and backoff.
    fn config(&self) -> GatewayConfig;
}

impl ConfigFor for FakeGateway {
    fn config(&self) -> GatewayConfig {
        GatewayConfig {
            base_url: self.base_url().to_owned(),
            api_key: Some("sk-test".into()),
            embed_model: "embed-m".into(),
            embed_dimensions: 4,
            chat_model: "chat-m".into(),
            guard_model: "guard-m".into(),
            timeout: Duration::from_millis(500),
            max_retries: 2,
            embed_batch: 2,
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(200),
        }
    }
}
