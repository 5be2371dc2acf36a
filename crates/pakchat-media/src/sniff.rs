//! What a file is, from its first bytes.

use pakchat_core::FileKind;

/// The verdict on a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Something Pak.Chat attaches.
    Kind(FileKind),
    /// Something else, described for the user ("a program (ELF executable)").
    Other(String),
}

/// Look at the bytes, never the name.
#[must_use]
pub fn sniff(bytes: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Kind(FileKind::Png);
    }
    if starts(b"\xff\xd8\xff") {
        return Sniffed::Kind(FileKind::Jpeg);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::Kind(FileKind::Gif);
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Sniffed::Kind(FileKind::WebP);
    }
    // The PDF header may follow a little junk (the spec allows 1 KiB).
    if bytes.get(..1024.min(bytes.len())).is_some_and(|head| head.windows(5).any(|w| w == b"%PDF-")) {
        return Sniffed::Kind(FileKind::Pdf);
    }
    let other = |what: &str| Sniffed::Other(what.to_owned());
    if starts(b"\x7fELF") {
        return other("a program (ELF executable)");
    }
    if starts(b"MZ") {
        return other("a program (Windows executable)");
    }
    if [b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"]
        .iter()
        .any(|m| starts(*m))
    {
        return other("a program (Mach-O executable)");
    }
    if starts(b"\0asm") {
        return other("a program (WebAssembly)");
    }
    if starts(b"PK\x03\x04") {
        return other("an archive (ZIP, or a format built on it)");
    }
    if starts(b"\x1f\x8b") || starts(b"7z\xbc\xaf\x27\x1c") || starts(b"Rar!") {
        return other("a compressed archive");
    }
    if starts(b"BM") && bytes.len() > 14 {
        return other("a BMP image (not supported: convert it to PNG)");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return other("a TIFF image (not supported: convert it to PNG or JPEG)");
    }
    if bytes.get(4..12).is_some_and(|b| b.starts_with(b"ftyp")) {
        return other("an HEIC image or a video (not supported: convert it to JPEG)");
    }
    if decode_text(bytes).is_some() {
        return Sniffed::Kind(FileKind::Text);
    }
    other("binary data of an unknown kind")
}

/// The text of a text file: UTF-8 (a byte-order mark is dropped) or UTF-16
/// with its byte-order mark; `None` for binary data (NUL bytes, or many
/// control characters).
#[must_use]
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        std::str::from_utf8(rest).ok()?.to_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        utf16(rest, u16::from_be_bytes)?
    } else {
        std::str::from_utf8(bytes).ok()?.to_owned()
    };
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')).count();
    (!text.contains('\0') && controls * 100 <= text.chars().count()).then_some(text)
}

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| read([c[0], c[1]])).collect();
    String::from_utf16(&units).ok()
}
