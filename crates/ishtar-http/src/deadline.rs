//! The request-body deadline (issue 11). actix's `client_request_timeout` bounds only the
//! request head: a client trickling its body a byte a second could hold a connection (and
//! a handler waiting on it) for as long as it liked. Every request body must now arrive in
//! full within the deadline (`ISHTAR_BODY_TIMEOUT_MS`), counted from when the request
//! reached the app. After it, reading the body fails, whichever extractor reads it, and the
//! answer is `408 {"error":"request body timeout"}` on a connection that is then closed.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use futures_util::Stream;
use serde_json::json;

/// The default time a whole request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body that fails once its deadline has passed.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    fired: Arc<AtomicBool>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // The deadline first: a steady trickle must not outlive it either. Polling the
        // timer also registers this task to be woken when it fires.
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.done = true;
            this.fired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body timeout",
            )))));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

/// The middleware: wraps the body in its deadline; when the deadline fired while a
/// handler or extractor read the body, the answer is the 408.
pub async fn body_deadline(
    timeout: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let fired = Arc::new(AtomicBool::new(false));
    match req.take_payload() {
        Payload::None => {}
        inner => req.set_payload(Payload::Stream {
            payload: Box::pin(Deadline {
                inner,
                sleep: Box::pin(sleep(timeout)),
                fired: fired.clone(),
                done: false,
            }),
        }),
    }
    let res = next.call(req).await?;
    if !fired.load(Ordering::Acquire) {
        return Ok(res.map_into_boxed_body());
    }
    tracing::warn!(path = %res.request().path(), "request body timed out");
    let (req, _) = res.into_parts();
    let timeout = HttpResponse::RequestTimeout()
        .force_close()
        .json(json!({"error": "request body timeout"}));
    Ok(ServiceResponse::new(req, timeout))
}
