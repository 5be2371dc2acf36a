//! A TCP proxy in front of a test server whose line can be cut and
//! restored: cut, it drops every connection and refuses new ones (the
//! network gone, as a device sees it); restored, it listens on the same
//! port again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    /// `http://127.0.0.1:PORT`, to give the app instead of the server's.
    pub base: String,
    addr: std::net::SocketAddr,
    target: String,
    up: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
    runtime: tokio::runtime::Runtime,
}

/// Forward connections from `listener` to `target` while `up` holds.
async fn forward(listener: TcpListener, target: String, up: Arc<AtomicBool>) {
    let mut open = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut inbound, _)) = accepted else { continue };
                let target = target.clone();
                open.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        // Either side closing ends both.
                        drop(tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await);
                    }
                });
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {
                if !up.load(Ordering::SeqCst) {
                    // Dropping the set aborts every connection; the listener goes with us.
                    open.abort_all();
                    return;
                }
            }
        }
    }
}

impl Proxy {
    /// A proxy to `server` (`http://HOST:PORT`).
    pub fn start(server: &str) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let target = server.trim_start_matches("http://").to_owned();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("address");
        let up = Arc::new(AtomicBool::new(true));
        let task = runtime.spawn(forward(listener, target.clone(), up.clone()));
        Self { base: format!("http://{addr}"), addr, target, up, task: Some(task), runtime }
    }

    /// Cut the line: every connection dropped, none accepted.
    pub fn cut(&mut self) {
        self.up.store(false, Ordering::SeqCst);
        if let Some(task) = self.task.take() {
            self.runtime.block_on(task).expect("the proxy stopped");
        }
    }

    /// Listen again on the same port.
    pub fn restore(&mut self) {
        self.up.store(true, Ordering::SeqCst);
        let listener = self.runtime.block_on(TcpListener::bind(self.addr)).expect("the same port again");
        self.task = Some(self.runtime.spawn(forward(listener, self.target.clone(), self.up.clone())));
    }
}
