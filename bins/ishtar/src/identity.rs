//! The identity adapters (issue 5): Privy sign-in verification and Didit identity checks,
//! built from the configuration. Unconfigured is allowed and fails closed (every claim
//! 401, no identity session, every webhook rejected); a malformed setting is a start-up
//! error.

use std::sync::Arc;

use ishtar_didit::{DiditClient, DiditConfig};
use ishtar_privy::{PrivyConfig, PrivyVerifier};

use crate::{Config, StartError};

/// The built adapters.
pub struct IdentityAdapters {
    pub login: Arc<PrivyVerifier>,
    pub identity: Arc<DiditClient>,
}

fn non_blank(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The Privy app id the claim page signs in with: only when both the app id and the
/// verification key are set (otherwise the page says sign-in is unavailable). The key's
/// validity is checked when the adapters are built.
pub fn claim_app_id(config: &Config) -> Option<String> {
    non_blank(config.privy_verification_key.as_ref())?;
    non_blank(config.privy_app_id.as_ref())
}

/// Where Didit sends the human's browser after its hosted flow.
pub fn didit_callback(public_url: &str) -> String {
    format!("{}/claim/done", public_url.trim().trim_end_matches('/'))
}

/// Builds both adapters.
///
/// # Errors
/// [`StartError::Config`] for a verification key that is not a P-256 SPKI PEM public key,
/// or a Didit base URL that is not http(s).
pub fn adapters(config: &Config) -> Result<IdentityAdapters, StartError> {
    let login = PrivyVerifier::new(PrivyConfig {
        app_id: config.privy_app_id.clone(),
        verification_key_pem: config.privy_verification_key.clone(),
        ..PrivyConfig::default()
    })
    .map_err(|e| StartError::Config(format!("ISHTAR_PRIVY_VERIFICATION_KEY: {e}")))?;
    let identity = DiditClient::new(DiditConfig {
        base_url: config.didit_base_url.clone(),
        api_key: config.didit_api_key.clone(),
        workflow_id: config.didit_workflow_id.clone(),
        callback_url: Some(didit_callback(&config.public_url)),
        webhook_secret: config.didit_webhook_secret.clone(),
        ..DiditConfig::default()
    })
    .map_err(|e| StartError::Config(format!("ISHTAR_DIDIT_BASE_URL: {e}")))?;
    if !login.is_configured() {
        tracing::warn!("Privy is not configured: every invite claim will be refused (401)");
    }
    if !identity.sessions_configured() {
        tracing::warn!("Didit sessions are not configured: claims succeed with diditUrl null");
    }
    if !identity.webhooks_configured() {
        tracing::warn!("Didit webhook secret is not set: every identity webhook is rejected");
    }
    Ok(IdentityAdapters {
        login: Arc::new(login),
        identity: Arc::new(identity),
    })
}
