//! One running Pak.Chat per profile: a second launch on the same profile
//! hands over to the running one, which opens a window, instead of failing
//! on the profile's lock.
//!
//! The running instance listens on a Unix socket in the profile folder
//! (`instance.sock`, mode 0600), bound only once it holds the store's lock,
//! so a stale socket left by a crash is simply replaced. The protocol is
//! one line each way: the newcomer sends [`REQUEST`], the running instance
//! answers [`ANSWER`] and shows a window. Nothing else is accepted and
//! nothing of the user's crosses the socket. On platforms without Unix
//! sockets a second launch is told the profile is busy, as before.

#[cfg(unix)]
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::time::Duration;

/// The socket's file name inside the profile folder.
pub const SOCKET_NAME: &str = "instance.sock";
/// What a second launch sends.
pub const REQUEST: &str = "pakchat open-window 1";
/// What the running instance answers.
pub const ANSWER: &str = "ok";
/// How long either side waits for the other.
#[cfg(unix)]
const WAIT: Duration = Duration::from_secs(2);

/// Where the socket of the profile in `dir` lives.
#[must_use]
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_NAME)
}

/// Ask the instance running on the profile in `dir` to open a window.
/// `true` when it answered; `false` when none listens (start normally).
#[cfg(unix)]
#[must_use]
pub fn hand_over(dir: &Path) -> bool {
    let path = socket_path(dir);
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(&path) else { return false };
    let sent = stream
        .set_read_timeout(Some(WAIT))
        .and_then(|()| stream.set_write_timeout(Some(WAIT)))
        .and_then(|()| stream.write_all(format!("{REQUEST}\n").as_bytes()));
    if let Err(e) = sent {
        tracing::warn!(err = %e, "the running instance did not take the request");
        return false;
    }
    let mut answer = String::new();
    match BufReader::new(stream).read_line(&mut answer) {
        Ok(_) if answer.trim_end() == ANSWER => true,
        Ok(_) => {
            tracing::warn!("the running instance gave an unexpected answer");
            false
        }
        Err(e) => {
            tracing::warn!(err = %e, "the running instance did not answer");
            false
        }
    }
}

/// Without Unix sockets there is no hand-over.
#[cfg(not(unix))]
#[must_use]
pub fn hand_over(_dir: &Path) -> bool {
    false
}

/// Listens for second launches while the app runs; removes its socket
/// when dropped.
#[derive(Debug)]
pub struct Listener {
    path: PathBuf,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(err = %e, "the instance socket could not be removed");
        }
    }
}

/// Listen on the socket of the profile in `dir` (the caller holds the
/// profile's lock). `on_request` runs, on the listening thread, for every
/// well-formed request.
///
/// # Errors
/// The socket cannot be made (e.g. its path is too long for the system).
#[cfg(unix)]
pub fn listen(dir: &Path, on_request: impl Fn() + Send + 'static) -> std::io::Result<Listener> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = socket_path(dir);
    // Only the lock holder binds: a socket file here is a crashed run's.
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = std::os::unix::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new().name("pakchat-instance".to_owned()).spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if answer(stream) {
                on_request();
            }
        }
    })?;
    Ok(Listener { path })
}

/// Without Unix sockets there is nothing to listen on.
///
/// # Errors
/// Always: unsupported here.
#[cfg(not(unix))]
pub fn listen(_dir: &Path, _on_request: impl Fn() + Send + 'static) -> std::io::Result<Listener> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "no Unix sockets on this platform"))
}

/// Read one request and answer it; `true` when it was well-formed.
#[cfg(unix)]
fn answer(stream: std::os::unix::net::UnixStream) -> bool {
    if stream.set_read_timeout(Some(WAIT)).and_then(|()| stream.set_write_timeout(Some(WAIT))).is_err() {
        return false;
    }
    let mut line = String::new();
    // A line longer than the request is not one.
    let mut reader = BufReader::new(std::io::Read::take(&stream, 64));
    if reader.read_line(&mut line).is_err() || line.trim_end() != REQUEST {
        tracing::warn!("a malformed request on the instance socket was ignored");
        return false;
    }
    let mut stream = stream;
    if let Err(e) = stream.write_all(format!("{ANSWER}\n").as_bytes()) {
        tracing::warn!(err = %e, "could not answer a second launch");
    }
    true
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_is_answered_and_a_stale_socket_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!hand_over(dir.path()), "nobody listens yet");
        // A crashed run left its socket file behind.
        std::fs::write(socket_path(dir.path()), b"").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let listener = listen(dir.path(), move || tx.send(()).unwrap()).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(socket_path(dir.path())).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(hand_over(dir.path()));
        rx.recv_timeout(WAIT).expect("the request reached the running instance");
        // Something else on the socket opens no window.
        let mut other = std::os::unix::net::UnixStream::connect(socket_path(dir.path())).unwrap();
        other.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        drop(other);
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        drop(listener);
        assert!(!socket_path(dir.path()).exists(), "the socket goes with the app");
        assert!(!hand_over(dir.path()));
    }
}
