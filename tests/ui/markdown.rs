//! Markdown in replies as a user and a screen reader meet it: tables as
//! grids of cells, nested lists on their own lines, task boxes, quotes, math.

use super::*;
use egui_kittest::kittest::NodeT as _;

const REPLY: &str = "## Prices\n\n\
| a | b |\n\
|:--|--:|\n\
| 1 | 2 |\n\
| a longer first cell | 300 |\n\
\n\
- parent item\n  - nested child\n- [x] done task\n- [ ] open task\n\
\n\
> quoted wisdom, a little weaker\n\
\n\
```rust\nfn main() {}\n```\n\
\n\
Inline $x^2$ next to `code`, then:\n\
\n\
$$\nE = mc^2\n$$\n";

/// A thread whose reply is [`REPLY`], open in a window tall enough to show it whole.
fn open_reply(dir: &std::path::Path) -> App {
    let thread = Thread::new(ThreadId::new(), "Markdown".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir, |store, _| {
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, "show me markdown".to_owned())).unwrap();
        let reply = Message { role: MsgRole::Assistant, ..message(thread.id, REPLY.to_owned()) };
        store.append_message(&reply).unwrap();
    });
    let mut app = reopen_thread(dir, "Markdown");
    app.harness.set_size(egui::vec2(900.0, 1000.0));
    app.wait_for("the reply", |h| present(h, "quoted wisdom, a little weaker") && present(h, "2"));
    for _ in 0..3 {
        app.harness.step();
    }
    app
}

#[test]
fn a_table_is_a_grid_of_separate_cells_in_aligned_columns() {
    let dir = tempfile::tempdir().unwrap();
    let app = open_reply(dir.path());
    for cell in ["a", "b", "1", "2", "a longer first cell", "300"] {
        assert_eq!(app.label_count(cell), 1, "cell {cell:?} is its own label");
    }
    assert!(app.harness.query_all_by_label_contains(" | ").next().is_none(), "no cell is drawn as pipes");
    let rect = |label: &str| app.harness.get_by_label(label).rect();
    let (a, b, one, two, long, big) =
        (rect("a"), rect("b"), rect("1"), rect("2"), rect("a longer first cell"), rect("300"));
    assert!(two.left() > one.right() && two.top() > b.bottom(), "2 is right of 1 and below b: {one:?} {two:?} {b:?}");
    assert!((one.top() - two.top()).abs() < 0.5 && (long.top() - big.top()).abs() < 0.5, "a row shares its top");
    // `:--` is left-aligned, `--:` right-aligned.
    assert!((a.left() - one.left()).abs() < 0.5 && (a.left() - long.left()).abs() < 0.5, "{a:?} {one:?} {long:?}");
    assert!((b.right() - two.right()).abs() < 0.5 && (b.right() - big.right()).abs() < 0.5, "{b:?} {two:?} {big:?}");
    // The second column starts after the longest first cell.
    assert!(b.left() > long.right(), "{b:?} {long:?}");
    app.close();
}

#[test]
fn lists_tasks_quotes_and_math_read_as_a_user_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open_reply(dir.path());
    // A look at it: PAKCHAT_MARKDOWN_SHOT=/tmp/markdown.png cargo test --test ui markdown
    if let Ok(path) = std::env::var("PAKCHAT_MARKDOWN_SHOT") {
        app.harness.render().unwrap().save(path).unwrap();
    }
    // The nested item is on a line of its own, and task items show boxes, not markup.
    assert!(app.has_label("• parent item\n• nested child\ndone task\nopen task"), "the list as read");
    for markup in ["[x]", "[ ]", "• [", "item•", "item •"] {
        assert!(app.harness.query_all_by_label_contains(markup).next().is_none(), "no {markup:?} shown");
    }
    let boxes: Vec<bool> = app
        .harness
        .query_all_by_role(Role::CheckBox)
        .map(|b| b.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True))
        .collect();
    assert_eq!(boxes, vec![true, false], "a checked and an open box");
    let done = app.harness.query_all_by_role(Role::CheckBox).next().unwrap().rect();
    let list = app.harness.get_by_label("• parent item\n• nested child\ndone task\nopen task").rect();
    let c = done.center();
    assert!(
        c.x > list.left() && c.x < list.left() + 16.0 && c.y > list.top() + 30.0 && c.y < list.bottom() - 10.0,
        "the box sits left of its item, on the third line: {done:?} {list:?}"
    );
    // The quote's text is there, indented past its bar.
    let quote = app.harness.get_by_label("quoted wisdom, a little weaker").rect();
    assert!(quote.left() > list.left() + 8.0, "{quote:?} {list:?}");
    // Math keeps its TeX, displayed math centred on its own.
    assert!(app.has_label("Inline x^2 next to code, then:"));
    let math = app.harness.get_by_label("E = mc^2").rect();
    let centre = (list.left() + app.harness.get_by_label("rust\nfn main() {}").rect().left()) / 2.0;
    assert!(math.left() > centre + 100.0, "displayed math is centred: {math:?}");
    app.close();
}

/// A share link's copy as the page's viewer draws it: the title, each
/// message's author and its Markdown; and a link that does not open says
/// why. (The page fetches the copy; here the viewer is handed one.)
#[test]
fn the_share_viewer_shows_the_copy_and_says_why_a_link_does_not_open() {
    use pakchat::backend::shares::{ShareError, SharedMessage, Snapshot};
    use pakchat::ui::share_view::{ShareViewer, Shared};
    let viewer = ShareViewer::default();
    let state = viewer.state.clone();
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(800.0, 600.0))
        .build_ui_state(|ui, viewer: &mut ShareViewer| viewer.ui(ui), viewer);
    harness.run_steps(2);
    assert!(present(&harness, "Opening the shared chat…"));
    assert_eq!(harness.state().announcement(), "Opening the shared chat…");

    let message = |role, model: Option<&str>, content: &str, files| SharedMessage {
        role,
        model: model.map(str::to_owned),
        content: content.to_owned(),
        files,
    };
    *state.lock().unwrap() = Shared::Shown(Snapshot {
        title: "Harbour plans".to_owned(),
        shared_ms: 1_765_000_000_000,
        messages: vec![
            message(MsgRole::User, None, "Meet at the harbour at nine", 1),
            message(MsgRole::Assistant, Some("gpt-4o-mini"), "## Bring\n\n- a map\n- a torch", 0),
        ],
    });
    harness.run_steps(3);
    for label in ["Harbour plans", "You", "Meet at the harbour at nine", "gpt-4o-mini", "(1 file not shared)"] {
        assert!(present(&harness, label), "{label:?} on the page");
    }
    assert!(harness.query_all_by_label_contains("a torch").next().is_some(), "the list item");
    assert!(!harness.query_all_by_label_contains("##").any(|_| true), "Markdown drawn, not shown raw");
    assert_eq!(harness.state().title(), "Harbour plans — shared on Pak.Chat");
    let heard = harness.state().announcement();
    assert!(heard.starts_with("Shared chat “Harbour plans” (2 messages, read-only). Last message — gpt-4o-mini:"));

    *state.lock().unwrap() = Shared::Failed(ShareError::Revoked.to_string());
    harness.run_steps(2);
    assert!(present(&harness, "This link was revoked by the person who shared it."));
    assert!(!present(&harness, "Harbour plans"));
}
