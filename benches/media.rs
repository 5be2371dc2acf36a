//! Attachment intake: the upright preview (at most 800 px) of a 12-megapixel
//! JPEG photo, off the UI thread, and the peak memory it takes, measured by
//! a counting allocator around one run.
#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use pakchat::media::{DEFAULT_MAX_BYTES, process};

/// The system allocator, counting bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only
// counters are updated around it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A 4000 × 3000 photo-like JPEG (smooth gradients and fine detail).
fn photo_12mp() -> Vec<u8> {
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 28;
        image::Rgb([(x / 16) as u8 ^ n as u8, (y / 12) as u8, ((x + y) / 28) as u8])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88)).unwrap();
    out
}

fn preview(c: &mut Criterion) {
    let jpeg = photo_12mp();
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let p = process("photo.jpg", &jpeg, DEFAULT_MAX_BYTES).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let shown = p.preview.as_ref().unwrap();
    eprintln!(
        "media: 12 MP JPEG ({} KB) -> {}x{} preview; peak memory during intake {:.1} MiB",
        jpeg.len() / 1024,
        shown.width,
        shown.height,
        peak as f64 / (1024.0 * 1024.0)
    );
    let mut group = c.benchmark_group("attachment_intake");
    group.sample_size(10);
    group.bench_function("jpeg_12mp_to_preview", |b| {
        b.iter(|| black_box(process("photo.jpg", black_box(&jpeg), DEFAULT_MAX_BYTES).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, preview);
criterion_main!(benches);
