//! Attachments before they are stored: what a file really is (by its bytes,
//! never its name), whether it is safe to take, and what is made of it: an
//! upright preview at most [`PREVIEW_MAX`] pixels on its longest side, the
//! EXIF facts worth showing (camera, date taken, GPS position flagged as
//! such), the text of text files; and, when sending, a copy of an image
//! without its metadata (so without its location).
//!
//! Everything here is computation on bytes already in memory (no I/O): the
//! backend runs it on its blocking pool, never on the UI thread. Memory stays
//! bounded: files above the size cap are refused before they are read whole,
//! and an image's pixel count is checked from its header before a single
//! pixel is decoded.

mod metadata;
mod sniff;

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader};

pub use metadata::ExifSummary;
pub use pakchat_core::{human_size, pasted_file_paths};
pub use sniff::{Sniffed, decode_text, sniff};

use pakchat_core::FileKind;

/// Largest attachment accepted by default (configurable in settings).
pub const DEFAULT_MAX_BYTES: u64 = 30 * 1024 * 1024;
/// Longest side of a preview, in pixels.
pub const PREVIEW_MAX: u32 = 800;
/// Longest side of an image sent to a provider after its metadata was
/// stripped (providers scale larger images down anyway).
pub const SEND_MAX: u32 = 2048;
/// Most pixels an image may claim (a 64-megapixel photo; a decompression
/// bomb claims billions).
pub const MAX_PIXELS: u64 = 64_000_000;
/// Longest side an image may claim.
pub const MAX_SIDE: u32 = 20_000;
/// Most text kept from a PDF (about 50,000 words).
pub const MAX_PDF_TEXT_CHARS: usize = 300_000;
/// Most memory a decoder may ask for.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// Why a file was not attached; the text is what the user reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Zero bytes.
    #[error("“{name}” is empty; it was not attached.")]
    Empty {
        /// File name.
        name: String,
    },
    /// Above the size cap.
    #[error("“{name}” is {}; attachments can be at most {}. It was not attached.", human_size(*size), human_size(*max))]
    TooBig {
        /// File name.
        name: String,
        /// Its size.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// Named like one kind of file, really another (an executable named `.png`).
    #[error("“{name}” is named like {claimed} but is really {actual}; it was not attached.")]
    Disguised {
        /// File name.
        name: String,
        /// What its name says, e.g. "a PNG image".
        claimed: &'static str,
        /// What its bytes are, e.g. "a program (ELF executable)".
        actual: String,
    },
    /// Not something Pak.Chat attaches.
    #[error("“{name}” is {actual}, not an image (PNG, JPEG, WebP, GIF), PDF or text file; it was not attached.")]
    Unsupported {
        /// File name.
        name: String,
        /// What its bytes are.
        actual: String,
    },
    /// The right kind, but cut short or damaged.
    #[error("“{name}” looks like {} but is cut short or damaged; it was not attached.", kind.described())]
    Damaged {
        /// File name.
        name: String,
        /// What it looks like.
        kind: FileKind,
    },
    /// An image claiming more pixels than any photo has.
    #[error(
        "“{name}” claims to be {width} × {height} pixels, more than the {} megapixels (or {MAX_SIDE} pixels a side) \
         Pak.Chat opens; it was not attached.",
        MAX_PIXELS / 1_000_000
    )]
    TooManyPixels {
        /// File name.
        name: String,
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
    },
}

/// An encoded preview image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// JPEG (opaque images) or PNG (with transparency).
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Decoded pixels, ready to become a texture.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major RGBA, 4 bytes a pixel, not premultiplied.
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}×{})", self.width, self.height)
    }
}

/// Encode pixels (a pasted image) as a PNG.
#[must_use]
pub fn encode_png(pixels: &Pixels) -> Option<Vec<u8>> {
    let image = image::RgbaImage::from_raw(pixels.width, pixels.height, pixels.rgba.clone())?;
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).ok()?;
    Some(out)
}

/// Decode a stored preview for display, at most `max` pixels a side.
#[must_use]
pub fn decode_preview(bytes: &[u8], max: u32) -> Option<Pixels> {
    let image = image::load_from_memory(bytes).ok()?;
    let image = if image.width().max(image.height()) > max { image.thumbnail(max, max) } else { image };
    let rgba = image.to_rgba8();
    Some(Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() })
}

/// Decode an image to fit `max_width` × `max_height`, keeping its shape;
/// a smaller one keeps its own size (never blown up into a blur).
#[must_use]
pub fn decode_fitting(bytes: &[u8], max_width: u32, max_height: u32) -> Option<Pixels> {
    let image = image::load_from_memory(bytes).ok()?;
    let fits = image.width() <= max_width && image.height() <= max_height;
    let image = if fits { image } else { image.thumbnail(max_width, max_height) };
    let rgba = image.to_rgba8();
    Some(Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() })
}

/// Decode an image upright for the viewer, at most `max` pixels a side.
#[must_use]
pub fn decode_for_viewer(kind: FileKind, bytes: &[u8], max: u32) -> Option<Pixels> {
    let image = decode_upright("", kind, bytes).ok()?;
    let image = if image.width().max(image.height()) > max { image.thumbnail(max, max) } else { image };
    let rgba = image.to_rgba8();
    Some(Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() })
}

/// What intake made of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Processed {
    /// What it is.
    pub kind: FileKind,
    /// Upright size of an image.
    pub dimensions: Option<(u32, u32)>,
    /// Upright preview of an image.
    pub preview: Option<Preview>,
    /// EXIF facts of a photo.
    pub exif: Option<ExifSummary>,
    /// The text of a text file, or the text extracted from a PDF.
    pub text: Option<String>,
    /// A PDF's page count.
    pub pages: Option<u32>,
}

/// What a file name's extension claims, for the "disguised" message.
fn claimed_by_name(name: &str) -> Option<(FileKind, &'static str)> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => (FileKind::Png, "a PNG image"),
        "jpg" | "jpeg" => (FileKind::Jpeg, "a JPEG image"),
        "webp" => (FileKind::WebP, "a WebP image"),
        "gif" => (FileKind::Gif, "a GIF image"),
        "pdf" => (FileKind::Pdf, "a PDF document"),
        "txt" | "md" | "csv" | "json" | "xml" | "yaml" | "yml" | "toml" | "rs" | "py" | "js" | "ts" | "c" | "h"
        | "cpp" | "go" | "java" | "sh" | "html" | "css" | "sql" => (FileKind::Text, "a text file"),
        _ => return None,
    })
}

/// Check a file's size before reading it whole.
///
/// # Errors
/// [`Rejection::Empty`] or [`Rejection::TooBig`].
pub fn check_size(name: &str, size: u64, max: u64) -> Result<(), Rejection> {
    if size == 0 {
        return Err(Rejection::Empty { name: name.to_owned() });
    }
    if size > max {
        return Err(Rejection::TooBig { name: name.to_owned(), size, max });
    }
    Ok(())
}

/// Decide what `bytes` (named `name`) are and make previews and text of them.
///
/// # Errors
/// A [`Rejection`] saying why the file is not taken.
pub fn process(name: &str, bytes: &[u8], max_bytes: u64) -> Result<Processed, Rejection> {
    check_size(name, bytes.len() as u64, max_bytes)?;
    let kind = match sniff(bytes) {
        Sniffed::Kind(kind) => kind,
        Sniffed::Other(actual) => {
            return Err(match claimed_by_name(name) {
                Some((_, claimed)) => Rejection::Disguised { name: name.to_owned(), claimed, actual },
                None => Rejection::Unsupported { name: name.to_owned(), actual },
            });
        }
    };
    match kind {
        FileKind::Png | FileKind::Jpeg | FileKind::WebP | FileKind::Gif => process_image(name, kind, bytes),
        FileKind::Pdf => {
            // A PDF the extractor cannot read (or that breaks it) is still
            // attached; it just has no text for models that cannot read PDFs.
            let pages = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes)).ok();
            let (text, pages) = match pages {
                Some(Ok(pages)) => {
                    let text = pages.iter().map(|p| p.trim()).collect::<Vec<_>>().join("\n\n");
                    let text: String = text.chars().take(MAX_PDF_TEXT_CHARS).collect();
                    (Some(text).filter(|t| !t.trim().is_empty()), u32::try_from(pages.len()).ok())
                }
                Some(Err(e)) => {
                    tracing::info!(err = %e, "no text from a PDF");
                    (None, None)
                }
                None => {
                    tracing::warn!("the PDF text extractor failed on a file");
                    (None, None)
                }
            };
            Ok(Processed { kind, dimensions: None, preview: None, exif: None, text, pages })
        }
        FileKind::Text => {
            let text = sniff::decode_text(bytes).ok_or_else(|| Rejection::Damaged { name: name.to_owned(), kind })?;
            Ok(Processed { kind, dimensions: None, preview: None, exif: None, text: Some(text), pages: None })
        }
    }
}

fn image_format(kind: FileKind) -> ImageFormat {
    match kind {
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::WebP => ImageFormat::WebP,
        FileKind::Gif => ImageFormat::Gif,
        FileKind::Png | FileKind::Pdf | FileKind::Text => ImageFormat::Png,
    }
}

/// Decode an image upright, refusing bombs from their header alone.
fn decode_upright(name: &str, kind: FileKind, bytes: &[u8]) -> Result<DynamicImage, Rejection> {
    let damaged = || Rejection::Damaged { name: name.to_owned(), kind };
    let reader = ImageReader::with_format(Cursor::new(bytes), image_format(kind));
    let mut decoder = reader.into_decoder().map_err(|_| damaged())?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(damaged());
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(Rejection::TooManyPixels { name: name.to_owned(), width, height });
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    decoder.set_limits(limits).map_err(|_| damaged())?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| damaged())?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Encode `image` as JPEG (opaque) or PNG (with transparency).
fn encode(image: &DynamicImage, quality: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if image.color().has_alpha() {
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).ok()?;
    } else {
        let rgb = image.to_rgb8();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        rgb.write_with_encoder(encoder).ok()?;
    }
    Some(out)
}

/// Whether a JPEG's scan data ends with its end-of-image marker. The JPEG
/// decoder fills a cut-off picture with grey instead of failing, so a
/// truncated upload is caught here. (An EOI inside an EXIF thumbnail comes
/// before the last start-of-scan, so it does not count.)
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let Some(scan) = bytes.windows(2).rposition(|w| w == [0xff, 0xda]) else { return false };
    bytes[scan..].windows(2).any(|w| w == [0xff, 0xd9])
}

fn process_image(name: &str, kind: FileKind, bytes: &[u8]) -> Result<Processed, Rejection> {
    if kind == FileKind::Jpeg && !jpeg_is_whole(bytes) {
        return Err(Rejection::Damaged { name: name.to_owned(), kind });
    }
    let image = decode_upright(name, kind, bytes)?;
    let dimensions = (image.width(), image.height());
    let small =
        if dimensions.0.max(dimensions.1) > PREVIEW_MAX { image.thumbnail(PREVIEW_MAX, PREVIEW_MAX) } else { image };
    let preview = encode(&small, 82).map(|bytes| Preview { bytes, width: small.width(), height: small.height() });
    Ok(Processed {
        kind,
        dimensions: Some(dimensions),
        preview,
        exif: metadata::summary(bytes),
        text: None,
        pages: None,
    })
}

/// The bytes of an image to send to a provider. With `strip_metadata`, an
/// image carrying EXIF is decoded, turned upright, scaled to at most
/// [`SEND_MAX`] and encoded again, so no metadata (location included) leaves
/// the machine; otherwise (or when it has none) the original bytes go.
///
/// # Errors
/// [`Rejection::Damaged`] when the image no longer decodes.
pub fn image_for_sending(
    name: &str,
    kind: FileKind,
    bytes: &[u8],
    strip_metadata: bool,
) -> Result<(Vec<u8>, FileKind), Rejection> {
    if !strip_metadata || metadata::summary(bytes).is_none() {
        return Ok((bytes.to_vec(), kind));
    }
    let image = decode_upright(name, kind, bytes)?;
    let image = if image.width().max(image.height()) > SEND_MAX { image.thumbnail(SEND_MAX, SEND_MAX) } else { image };
    let out_kind = if image.color().has_alpha() { FileKind::Png } else { FileKind::Jpeg };
    let out = encode(&image, 90).ok_or_else(|| Rejection::Damaged { name: name.to_owned(), kind })?;
    Ok((out, out_kind))
}

#[cfg(test)]
mod tests;
