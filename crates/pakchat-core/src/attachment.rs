//! Attached files: what they are and where their (sealed) bytes live.

use serde::{Deserialize, Serialize};

use super::{AttachmentId, MessageId, Stamp, ThreadId};

/// The kinds of file Pak.Chat attaches, decided from their bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileKind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// WebP image.
    WebP,
    /// GIF image (its first frame is what models see).
    Gif,
    /// PDF document.
    Pdf,
    /// UTF-8 / UTF-16 text: prose, data, source code.
    Text,
}

impl FileKind {
    /// The MIME type providers are told.
    #[must_use]
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
            Self::Pdf => "application/pdf",
            Self::Text => "text/plain",
        }
    }

    /// The usual file-name extension, e.g. `png`.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::WebP => "webp",
            Self::Gif => "gif",
            Self::Pdf => "pdf",
            Self::Text => "txt",
        }
    }

    /// Whether it is an image.
    #[must_use]
    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::WebP | Self::Gif)
    }

    /// In words, e.g. "a PNG image".
    #[must_use]
    pub fn described(self) -> &'static str {
        match self {
            Self::Png => "a PNG image",
            Self::Jpeg => "a JPEG image",
            Self::WebP => "a WebP image",
            Self::Gif => "a GIF image",
            Self::Pdf => "a PDF document",
            Self::Text => "a text file",
        }
    }
}

/// A stored blob: the keyed hash of its content (so identical files are
/// stored once, and the id says nothing about the content to anyone without
/// the profile's key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobId(pub [u8; 32]);

/// One attached file (sealed at rest, like its blobs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// The thread it belongs to.
    pub thread_id: ThreadId,
    /// The message it was sent with; `None` while it waits in the composer.
    pub message_id: Option<MessageId>,
    /// The file name, as the user's system gave it.
    pub name: String,
    /// What it is (from its bytes).
    pub kind: FileKind,
    /// Its size in bytes.
    pub size: u64,
    /// The original content.
    pub blob: BlobId,
    /// An upright preview (images), at most 800 px on its longest side.
    pub preview: Option<BlobId>,
    /// Width and height of the preview.
    pub preview_size: Option<(u32, u32)>,
    /// Upright size of an image.
    pub dimensions: Option<(u32, u32)>,
    /// EXIF facts of a photo.
    pub exif: Option<ExifSummary>,
    /// Text extracted from a PDF, for models that cannot read PDFs.
    #[serde(default)]
    pub text: Option<BlobId>,
    /// A PDF's page count.
    #[serde(default)]
    pub pages: Option<u32>,
    /// The copy of a photo sent to providers without its metadata, made
    /// the first time it is sent.
    #[serde(default)]
    pub sent_copy: Option<(BlobId, FileKind)>,
    /// When it was attached, Unix milliseconds.
    pub created_ms: u64,
    /// Last-writer-wins version stamp.
    pub stamp: Stamp,
}

impl Attachment {
    /// A new attachment of the file `blob` in `thread_id`, waiting in the
    /// composer (no message yet), with no preview, facts or copies; set
    /// those with struct update syntax. Attached at the stamp's time.
    #[must_use]
    pub fn new(
        thread_id: ThreadId,
        name: impl Into<String>,
        kind: FileKind,
        size: u64,
        blob: BlobId,
        stamp: Stamp,
    ) -> Self {
        Self {
            id: AttachmentId::new(),
            thread_id,
            message_id: None,
            name: name.into(),
            kind,
            size,
            blob,
            preview: None,
            preview_size: None,
            dimensions: None,
            exif: None,
            text: None,
            pages: None,
            sent_copy: None,
            created_ms: stamp.hlc.millis,
            stamp,
        }
    }

    /// Every blob this record names: the original, its preview, a PDF's
    /// text and the copy sent without metadata.
    #[must_use]
    pub fn blobs(&self) -> Vec<BlobId> {
        [Some(self.blob), self.preview, self.text, self.sent_copy.map(|(b, _)| b)].into_iter().flatten().collect()
    }
}

/// Where a file's content is on the account's server: sealed chunks of at
/// most 1 MiB, named by keyed hashes of their content (see `pakchat-sync`).
/// Travels inside a synced attachment (so only devices holding the account
/// key read it), and is kept beside a file this device has not downloaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileManifest {
    /// The file's id on every device of the account: a hash of its content
    /// keyed by the account key.
    pub blob: BlobId,
    /// Its size in bytes.
    pub len: u64,
    /// Its chunks in order: 64 hex digits each.
    pub chunks: Vec<String>,
}

/// What a photo's EXIF says, in words.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExifSummary {
    /// Make and model, e.g. "Google Pixel 8".
    pub camera: Option<String>,
    /// When it was taken, as recorded (camera local time).
    pub taken: Option<String>,
    /// Latitude and longitude in degrees (south and west negative).
    pub location: Option<(f64, f64)>,
}

impl ExifSummary {
    /// The location in words, e.g. "33.68440° N, 73.04790° E".
    #[must_use]
    pub fn location_text(&self) -> Option<String> {
        let (lat, lon) = self.location?;
        let ns = if lat < 0.0 { 'S' } else { 'N' };
        let ew = if lon < 0.0 { 'W' } else { 'E' };
        Some(format!("{:.5}° {ns}, {:.5}° {ew}", lat.abs(), lon.abs()))
    }
}

/// "12.3 MB", "512 bytes".
#[must_use]
pub fn human_size(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}
