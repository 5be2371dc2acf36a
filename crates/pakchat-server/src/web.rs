//! `--web-dir DIR`: the web app (what `scripts/web.sh` builds into
//! `dist/`) served beside the API, so one process hosts the app and its
//! sync endpoints on one origin.
//!
//! Only files inside the folder are served, by name: `/` is `index.html`;
//! a path with a segment that is empty, starts with a dot or holds a
//! backslash is not looked up at all (no way out of the folder, no hidden
//! files). Each file goes with its MIME type (`application/wasm` for the
//! module, which browsers need to compile it as it downloads), `nosniff`,
//! and `no-cache`: the bundle's file names stay the same from one build to
//! the next, so a browser must ask again to get a new release.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::api::AppState;

/// The folder the web app is served from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebDir {
    root: PathBuf,
}

impl WebDir {
    /// The web app in `root`, which must hold an `index.html`.
    ///
    /// # Errors
    /// One line saying what is missing.
    pub fn open(root: &Path) -> Result<Self, String> {
        if !root.join("index.html").is_file() {
            return Err(format!(
                "--web-dir: {} has no index.html (build the web app with scripts/web.sh)",
                root.display()
            ));
        }
        Ok(Self { root: root.to_owned() })
    }

    /// The file a request path names, if it may be served.
    fn file(&self, path: &str) -> Option<PathBuf> {
        let path = path.strip_prefix('/')?;
        if path.is_empty() {
            return Some(self.root.join("index.html"));
        }
        let mut file = self.root.clone();
        for segment in path.split('/') {
            if segment.is_empty() || segment.starts_with('.') || segment.contains('\\') {
                return None;
            }
            file.push(segment);
        }
        Some(file)
    }
}

/// The MIME type of a file served by its extension.
fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Any path the API does not answer: a file of the web app, or 404.
pub(crate) async fn page(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let Some(file) = state.web.as_ref().and_then(|web| web.file(uri.path())) else { return not_found() };
    let read = tokio::task::spawn_blocking({
        let file = file.clone();
        move || std::fs::read(file)
    })
    .await;
    match read {
        Ok(Ok(bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(&file)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Ok(Err(e)) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory) => {
            not_found()
        }
        Ok(Err(e)) => {
            tracing::warn!(err = %e, "a file of the web app could not be read");
            (StatusCode::INTERNAL_SERVER_ERROR, "the file could not be read").into_response()
        }
        Err(e) => {
            tracing::warn!(err = %e, "reading a file of the web app failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the file could not be read").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_folder_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        let web = WebDir::open(dir.path()).unwrap();
        assert_eq!(web.file("/"), Some(dir.path().join("index.html")));
        assert_eq!(web.file("/pakchat_bg.wasm"), Some(dir.path().join("pakchat_bg.wasm")));
        assert_eq!(web.file("/fonts/a.ttf"), Some(dir.path().join("fonts").join("a.ttf")));
        for refused in ["/../secret", "/a/../../b", "/.env", "//etc/passwd", "/a//b", "/a\\..\\b", "nothing"] {
            assert_eq!(web.file(refused), None, "{refused}");
        }
        let empty = tempfile::tempdir().unwrap();
        assert!(WebDir::open(empty.path()).unwrap_err().contains("no index.html"));
    }

    #[test]
    fn the_module_goes_as_wasm_and_the_page_as_html() {
        assert_eq!(mime(Path::new("pakchat_bg.wasm")), "application/wasm");
        assert_eq!(mime(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(mime(Path::new("pakchat.js")), "text/javascript; charset=utf-8");
        assert_eq!(mime(Path::new("LICENSE")), "application/octet-stream");
    }
}
