use super::*;

/// A `w`×`h` JPEG, left half red and right half blue, as stored.
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(
        w,
        h,
        |x, _| if x < w / 2 { image::Rgb([220, 0, 0]) } else { image::Rgb([0, 0, 220]) },
    );
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)).unwrap();
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 200, 30, 128]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
    out
}

/// A big-endian TIFF/EXIF block: Make "PakCam", Model "One", Orientation 6
/// (stored rotated: turn 90° clockwise to show), and a GPS position of
/// 33° 41' 3.84" N, 73° 2' 52.44" E.
fn exif_block() -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\0*\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(typ.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // IFD0 at 8: 4 entries (2 + 4*12 + 4 = 54 bytes) → data from 62.
    let make_at: u32 = 62; // "PakCam\0" (7 bytes)
    let gps_at: u32 = 70;
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 0x010f, 2, 7, make_at.to_be_bytes());
    entry(&mut t, 0x0110, 2, 4, *b"One\0");
    entry(&mut t, 0x0112, 3, 1, [0, 6, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps_at.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend(b"PakCam\0\0"); // padded to 70
    assert_eq!(t.len(), 70);
    // GPS IFD at 70: 4 entries (54 bytes) → rationals from 124.
    let lat_at: u32 = 124;
    let lon_at: u32 = 148;
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, lat_at.to_be_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, lon_at.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 124);
    for (n, d) in [(33, 1), (41, 1), (384, 100), (73, 1), (2, 1), (5244, 100)] {
        t.extend(u32::to_be_bytes(n));
        t.extend(u32::to_be_bytes(d));
    }
    t
}

/// `jpeg` with an APP1 EXIF segment right after its start marker.
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_block());
    let mut out = jpeg[..2].to_vec();
    out.extend([0xff, 0xe1]);
    out.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

/// A PNG header claiming 100,000 × 100,000 pixels over a few bytes of data.
const BOMB: &[u8] = include_bytes!("../../../tests/fixtures/bomb_100000x100000.png");

#[test]
fn a_photo_is_turned_upright_previewed_small_and_its_exif_read() {
    let original = with_exif(&jpeg(1200, 600));
    let p = process("photo.jpg", &original, DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(p.kind, FileKind::Jpeg);
    assert_eq!(p.dimensions, Some((600, 1200)), "orientation 6 turns it on its side");
    let preview = p.preview.unwrap();
    assert_eq!((preview.width, preview.height), (400, 800));
    let shown = image::load_from_memory(&preview.bytes).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (400, 800));
    // Turned clockwise: the stored left (red) half is now on top.
    let top = shown.get_pixel(200, 100);
    let bottom = shown.get_pixel(200, 700);
    assert!(top[0] > 150 && top[2] < 80, "top is red: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 80, "bottom is blue: {bottom:?}");
    let exif = p.exif.unwrap();
    assert_eq!(exif.camera.as_deref(), Some("PakCam One"));
    let (lat, lon) = exif.location.unwrap();
    assert!((lat - 33.6844).abs() < 1e-4 && (lon - 73.0479).abs() < 1e-4, "{lat}, {lon}");
    assert_eq!(exif.location_text().as_deref(), Some("33.68440° N, 73.04790° E"));
}

#[test]
fn the_copy_sent_to_a_provider_has_no_location_unless_asked() {
    let original = with_exif(&jpeg(1200, 600));
    let (sent, kind) = image_for_sending("photo.jpg", FileKind::Jpeg, &original, true).unwrap();
    assert_eq!(kind, FileKind::Jpeg);
    assert!(metadata::summary(&sent).is_none(), "no EXIF left");
    assert!(!sent.windows(4).any(|w| w == b"Exif") && !sent.windows(6).any(|w| w == b"PakCam"));
    let upright = image::load_from_memory(&sent).unwrap();
    assert_eq!((upright.width(), upright.height()), (600, 1200), "still upright without the tag");
    let (kept, _) = image_for_sending("photo.jpg", FileKind::Jpeg, &original, false).unwrap();
    assert_eq!(kept, original, "the user chose to send it as it is");
    let plain = jpeg(64, 64);
    assert_eq!(image_for_sending("p.jpg", FileKind::Jpeg, &plain, true).unwrap().0, plain, "nothing to strip");
}

#[test]
fn each_bad_file_gets_its_own_clear_message() {
    let err = |name: &str, bytes: &[u8]| process(name, bytes, DEFAULT_MAX_BYTES).unwrap_err().to_string();
    assert_eq!(err("empty.txt", b""), "“empty.txt” is empty; it was not attached.");
    assert_eq!(
        err("cat.png", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
        "“cat.png” is named like a PNG image but is really a program (ELF executable); it was not attached."
    );
    assert_eq!(
        err("setup.exe", b"MZ\x90\0\x03\0\0\0"),
        "“setup.exe” is a program (Windows executable), not an image (PNG, JPEG, WebP, GIF), PDF or text file; it \
         was not attached."
    );
    let photo = jpeg(300, 200);
    assert_eq!(
        err("cut.jpg", &photo[..photo.len() / 3]),
        "“cut.jpg” looks like a JPEG image but is cut short or damaged; it was not attached."
    );
    let full = png(300, 200);
    assert_eq!(
        err("cut.png", &full[..full.len() / 2]),
        "“cut.png” looks like a PNG image but is cut short or damaged; it was not attached."
    );
    assert_eq!(
        err("bomb.png", BOMB),
        "“bomb.png” claims to be 100000 × 100000 pixels, more than the 64 megapixels (or 20000 pixels a side) \
         Pak.Chat opens; it was not attached."
    );
    assert_eq!(
        check_size("big.pdf", 31 * 1024 * 1024, DEFAULT_MAX_BYTES).unwrap_err().to_string(),
        "“big.pdf” is 31.0 MB; attachments can be at most 30.0 MB. It was not attached."
    );
    assert_eq!(
        err("notes.txt", &[0u8, 159, 146, 150, 0, 1, 2, 3]),
        "“notes.txt” is named like a text file but is really binary data of an unknown kind; it was not attached."
    );
}

#[test]
fn files_are_known_by_their_bytes_not_their_names() {
    // A PNG named .jpg is a PNG; text in any encoding with a mark is text.
    let p = process("really-a-png.jpg", &png(10, 10), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!((p.kind, p.dimensions), (FileKind::Png, Some((10, 10))));
    assert!(p.preview.unwrap().bytes.starts_with(b"\x89PNG"), "transparency keeps a PNG preview");
    let t = process("data.csv", "a,b\n1,2\n".as_bytes(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!((t.kind, t.text.as_deref()), (FileKind::Text, Some("a,b\n1,2\n")));
    let utf16: Vec<u8> = b"\xff\xfe".iter().copied().chain("hé".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    assert_eq!(process("w.txt", &utf16, DEFAULT_MAX_BYTES).unwrap().text.as_deref(), Some("hé"));
    assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Kind(FileKind::Pdf));
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Kind(FileKind::WebP));
    assert_eq!(sniff(b"GIF89a"), Sniffed::Kind(FileKind::Gif));
}

#[test]
fn random_bytes_never_panic() {
    use proptest::prelude::*;
    proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..2048), prefix in 0usize..5)| {
        let heads: [&[u8]; 5] = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"RIFF\0\0\0\0WEBP"];
        let mut data = heads[prefix].to_vec();
        data.extend(&bytes);
        // Either a file of the kind its bytes say, or a refusal naming it.
        match process("x", &data, DEFAULT_MAX_BYTES) {
            Ok(p) => prop_assert_eq!(sniff(&data), Sniffed::Kind(p.kind)),
            Err(r) => {
                let text = r.to_string();
                prop_assert!(text.starts_with("“x”") && text.contains("attached"), "{}", text);
            }
        }
    });
}

#[test]
fn a_pdf_gives_its_text_and_page_count_and_a_broken_one_is_still_taken() {
    let pdf = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/two_pages.pdf")).unwrap();
    let p = process("two_pages.pdf", &pdf, DEFAULT_MAX_BYTES).unwrap();
    assert_eq!((p.kind, p.pages), (FileKind::Pdf, Some(2)));
    let text = p.text.unwrap();
    assert!(text.contains("Hello from a PDF") && text.contains("The river is the Indus"), "{text:?}");
    // Cut in half: no text, but still a PDF the providers that read PDFs can take.
    let broken = process("broken.pdf", &pdf[..pdf.len() / 2], DEFAULT_MAX_BYTES).unwrap();
    assert_eq!((broken.kind, broken.text, broken.pages), (FileKind::Pdf, None, None));
}
