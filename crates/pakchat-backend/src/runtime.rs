//! The runtime facade: spawn, run blocking work, sleep and read the clock the
//! same way on native (tokio) and on the web (`spawn_local`).

use std::future::Future;
use std::time::Duration;

/// A handle to the background runtime. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime {
    #[cfg(not(target_arch = "wasm32"))]
    handle: tokio::runtime::Handle,
}

impl Runtime {
    /// Wrap a tokio runtime handle (native).
    #[cfg(not(target_arch = "wasm32"))]
    #[must_use]
    pub fn new(handle: tokio::runtime::Handle) -> Self {
        Self { handle }
    }

    /// A handle to the browser's own event loop (web). Nothing is created:
    /// the page already runs the loop that `spawn_local` schedules on.
    #[cfg(target_arch = "wasm32")]
    #[must_use]
    pub fn browser() -> Self {
        Self {}
    }
}

#[cfg(target_arch = "wasm32")]
impl Default for Runtime {
    fn default() -> Self {
        Self::browser()
    }
}

impl Runtime {
    /// Run `future` in the background. Dropping its channels stops it.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle.spawn(future));
    }

    /// Run `future` on the browser's event loop (no threads, so no `Send`).
    #[cfg(target_arch = "wasm32")]
    pub fn spawn(&self, future: impl Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(future);
    }

    /// Run blocking work (disk, fsync, key derivation) off the async workers.
    /// On the web there are no threads and the work runs inline.
    pub async fn blocking<R: Send + 'static>(&self, work: impl FnOnce() -> R + Send + 'static) -> R {
        #[cfg(not(target_arch = "wasm32"))]
        {
            match self.handle.spawn_blocking(work).await {
                Ok(r) => r,
                // The closure panicked: carry the panic on rather than hide it.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // The runtime is shutting down and dropped the work before it
                // ran; it will drop this task too, so never resolve.
                Err(_) => std::future::pending().await,
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            work()
        }
    }

    /// Wait `duration` without blocking a thread.
    pub async fn sleep(&self, duration: Duration) {
        #[cfg(not(target_arch = "wasm32"))]
        tokio::time::sleep(duration).await;
        #[cfg(target_arch = "wasm32")]
        gloo_timers::future::sleep(duration).await;
    }

    /// A monotonic now.
    #[must_use]
    pub fn now(&self) -> web_time::Instant {
        web_time::Instant::now()
    }
}
