//! Running CPU-heavy work off the async workers, through the [`Offload`] port, and
//! yielding inside long async loops, without naming a runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::error::ProviderError;
use crate::ports::{BoxFuture, Offload};

/// Runs `f` through `offload` and returns its result.
///
/// # Errors
/// The job panicked or could not be started.
pub async fn run<T, F>(offload: &dyn Offload, f: F) -> Result<T, ProviderError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    offload
        .run_blocking(Box::new(move || {
            let value = f();
            *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
        }))
        .await?;
    let value = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    value.ok_or_else(|| ProviderError::unavailable("the offloaded job left no result"))
}

/// Runs `task` through `offload`'s background runtime and returns its result.
///
/// # Errors
/// The task panicked or could not be started.
pub async fn spawn<T, F>(offload: &dyn Offload, task: F) -> Result<T, ProviderError>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    offload
        .spawn(Box::pin(async move {
            let value = task.await;
            *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
        }))
        .await?;
    let value = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    value.ok_or_else(|| ProviderError::unavailable("the background task left no result"))
}

/// Runs every job inline, on the caller's thread: for tests and tools that have no
/// request workers to protect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inline;

impl Offload for Inline {
    fn run_blocking(
        &self,
        job: Box<dyn FnOnce() + Send + 'static>,
    ) -> BoxFuture<'static, Result<(), ProviderError>> {
        job();
        Box::pin(std::future::ready(Ok(())))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, Result<(), ProviderError>> {
        Box::pin(async move {
            task.await;
            Ok(())
        })
    }
}

/// Yields once to the executor, so a long loop of short synchronous steps (screening
/// thousands of gambits) lets other tasks on the same worker run in between.
pub fn yield_now() -> impl Future<Output = ()> {
    YieldNow { yielded: false }
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn run_returns_the_jobs_value() {
        let v = run(&Inline, || 6 * 7).await.expect("runs");
        assert_eq!(v, 42);
    }

    #[tokio::test]
    async fn spawn_returns_the_tasks_value() {
        let v = spawn(&Inline, async { 6 * 7 }).await.expect("runs");
        assert_eq!(v, 42);
    }

    #[tokio::test]
    async fn yield_now_completes() {
        yield_now().await;
    }
}
