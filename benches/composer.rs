//! The composer with a 200 KB draft: a frame while idle (nothing typed:
//! what a repaint for any other reason costs) and a frame that types one
//! character. Measured headless through the same rig as the chat view.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "rig/mod.rs"]
mod rig;

use criterion::{Criterion, criterion_group, criterion_main};
use rig::{Rig, seed};

fn big_draft(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &[], 0);
    let mut rig = Rig::new(dir.path());
    rig.ready(0);
    rig.frame();
    let line = "A long line of pasted text, the kind a log file or a whole article brings along.\n";
    let draft = line.repeat(200 * 1024 / line.len());
    rig.frame_with(vec![egui::Event::Paste(draft.clone())]);
    for _ in 0..3 {
        rig.frame();
    }
    assert_eq!(rig.app.composer_text().len(), draft.len(), "the draft is in the composer");
    let mut group = c.benchmark_group("composer_200kb_draft");
    group.bench_function("idle_frame", |b| b.iter(|| rig.frame()));
    group.bench_function("typing_frame", |b| b.iter(|| rig.frame_with(vec![egui::Event::Text("x".to_owned())])));
    group.finish();
}

criterion_group!(benches, big_draft);
criterion_main!(benches);
