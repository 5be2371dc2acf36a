//! The EXIF facts shown in the image viewer: camera, date taken, and the GPS
//! position (flagged, because it says where the photo was taken).

pub use pakchat_core::ExifSummary;

fn text(exif: &exif::Exif, tag: exif::Tag) -> Option<String> {
    let field = exif.get_field(tag, exif::In::PRIMARY)?;
    let value = match &field.value {
        exif::Value::Ascii(parts) => {
            parts.iter().map(|p| String::from_utf8_lossy(p).trim().to_owned()).collect::<Vec<_>>().join(" ")
        }
        _ => field.display_value().to_string(),
    };
    let value = value.trim().trim_matches('"').trim().to_owned();
    (!value.is_empty()).then_some(value)
}

fn degrees(exif: &exif::Exif, tag: exif::Tag, reference: exif::Tag, negative: &str) -> Option<f64> {
    let field = exif.get_field(tag, exif::In::PRIMARY)?;
    let exif::Value::Rational(parts) = &field.value else { return None };
    let [d, m, s] = parts.as_slice() else { return None };
    let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
    if !value.is_finite() {
        return None;
    }
    let sign = if text(exif, reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
    Some(sign * value)
}

/// The summary of the EXIF in `bytes` (JPEG, PNG, WebP); `None` when the
/// file carries no EXIF at all.
#[must_use]
pub fn summary(bytes: &[u8]) -> Option<ExifSummary> {
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)).ok()?;
    let camera = match (text(&exif, exif::Tag::Make), text(&exif, exif::Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    };
    let taken = text(&exif, exif::Tag::DateTimeOriginal).or_else(|| text(&exif, exif::Tag::DateTime));
    let lat = degrees(&exif, exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S");
    let lon = degrees(&exif, exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W");
    Some(ExifSummary { camera, taken, location: lat.zip(lon) })
}
