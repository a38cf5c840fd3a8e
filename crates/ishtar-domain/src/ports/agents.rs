//! Agent endpoints and their registration proofs.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{Endpoint, EndpointId, NewEndpoint};

/// Agent endpoints and their proofs.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Registers a `pending` endpoint with its challenge nonce.
    async fn register_endpoint(
        &self,
        endpoint: NewEndpoint,
        at: OffsetDateTime,
    ) -> Result<EndpointId, StoreError>;

    /// Reads an endpoint.
    async fn endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError>;

    /// Marks an endpoint `active`, recording how (`signature` or `callback`).
    async fn activate_endpoint(
        &self,
        id: EndpointId,
        via: &'static str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
