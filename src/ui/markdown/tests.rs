//! The markdown module's tests.

use super::*;

#[test]
fn blocks_start_after_blank_lines() {
    let text = "one\n\ntwo\nstill two\n\n\nthree";
    let starts = block_starts(text, 0);
    assert_eq!(starts.iter().map(|&s| &text[s..s + 3]).collect::<Vec<_>>(), vec!["one", "two", "thr"]);
    assert_eq!(block_starts("trailing\n\n", 0), vec![0]);
    assert_eq!(block_starts(text, starts[1]), starts[1..].to_vec());
}

#[test]
fn blocks_split_at_blank_lines_but_not_inside_code_fences() {
    let text = "Intro\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\nAfter";
    let starts = block_starts(text, 0);
    let blocks: Vec<&str> =
        starts.iter().enumerate().map(|(i, &s)| &text[s..starts.get(i + 1).copied().unwrap_or(text.len())]).collect();
    assert_eq!(blocks, vec!["Intro\n\n", "```rust\nfn a() {}\n\nfn b() {}\n```\n\n", "After"]);
    assert_eq!(block_starts("streaming\n\n", 0), vec![0]);
}

/// The parts of a block, laid out 400 points wide in white.
fn parts(source: &str) -> Vec<Part> {
    let ctx = egui::Context::default();
    let mut out = Vec::new();
    ctx.run_ui(egui::RawInput::default(), |ui| out = block_parts(ui, source, 400.0, Color32::GRAY))
        .textures_delta
        .clear();
    out
}

/// The text of a part that has one.
fn rich(part: &Part) -> &Rich {
    match part {
        Part::Text(r) | Part::Code(r, _) | Part::Quote(r) | Part::Math(r) => r,
        Part::Table(_) => panic!("a table has no one text"),
    }
}

/// The text of a block of one part.
fn plain(source: &str) -> String {
    let parts = parts(source);
    assert_eq!(parts.len(), 1, "{source:?} is one part: {parts:?}");
    rich(&parts[0]).job.text.clone()
}

/// The first part's text.
fn first(source: &str) -> Rich {
    rich(&parts(source)[0]).clone()
}

#[test]
fn code_is_coloured_by_language() {
    let job = first("```rust\nfn main() { let x = 42; }\n```").job;
    let mut colours: Vec<Color32> = job.sections.iter().map(|s| s.format.color).collect();
    colours.dedup();
    assert!(colours.len() >= 3, "keywords, names and numbers differ: {colours:?}");
}

fn links(source: &str) -> Vec<(String, String)> {
    let Rich { job, links, .. } = first(source);
    let chars: Vec<char> = job.text.chars().collect();
    links.into_iter().map(|l| (chars[l.chars].iter().collect(), l.url)).collect()
}

/// (colour, text) of each section of a block's job.
fn coloured(source: &str) -> Vec<(Color32, String)> {
    let job = first(source).job;
    job.sections
        .iter()
        .map(|s| (s.format.color, job.text[s.byte_range.start.0..s.byte_range.end.0].to_owned()))
        .collect()
}

#[test]
fn code_highlighted_as_it_streams_in_matches_highlighting_it_whole() {
    let code = "```rust\n/* a comment\nover lines */\nfn main() {\n    let s = \"text\";\n    let n = 42;\n}\n```";
    let mut cuts: Vec<usize> = code.char_indices().map(|(i, _)| i).filter(|&i| i > 8).collect();
    cuts.push(code.len());
    for &cut in &cuts {
        // Grown a piece at a time (the cache continues earlier work)…
        let streamed = coloured(&code[..cut]);
        // …and from nothing.
        code::forget_highlighting();
        let whole = coloured(&code[..cut]);
        assert_eq!(streamed, whole, "at {cut}: {:?}", &code[..cut]);
    }
    let colours: std::collections::HashSet<_> = coloured(code).into_iter().map(|(c, _)| c).collect();
    assert!(colours.len() >= 4, "comment, keyword, string, number differ: {colours:?}");
}

#[test]
fn links_know_their_text_and_address() {
    assert_eq!(
        links("Read **[the “docs”](https://example.com/d)** first."),
        vec![("the “docs”".to_owned(), "https://example.com/d".to_owned())]
    );
    assert_eq!(
        links("Ünïcode first, then https://example.org/a_(b). And http://x.io, done"),
        vec![
            ("https://example.org/a_(b)".to_owned(), "https://example.org/a_(b)".to_owned()),
            ("http://x.io".to_owned(), "http://x.io".to_owned())
        ]
    );
    assert_eq!(
        links("<https://auto.link/x>"),
        vec![("https://auto.link/x".to_owned(), "https://auto.link/x".to_owned())]
    );
    assert!(links("`https://in.code/x` and https:// alone").is_empty());
    assert_eq!(links("(see https://x.org/y)")[0].1, "https://x.org/y");
    assert!(openable("HTTPS://example.com") && openable("mailto:a@b.c"));
    assert!(!openable("javascript:alert(1)") && !openable("file:///etc/passwd") && !openable("slack://x"));
}

#[test]
fn markdown_becomes_readable_text() {
    assert_eq!(plain("# Title"), "Title");
    assert_eq!(plain("Some **bold** and `code`."), "Some bold and code.");
    assert_eq!(plain("- one\n- two"), "• one\n• two");
    assert_eq!(plain("1. a\n2. b"), "1. a\n2. b");
    assert_eq!(plain("Euler: $e^{i\\pi}+1=0$"), "Euler: e^{i\\pi}+1=0");
    let parts = parts("```rust\nfn main() {}\n```");
    assert!(
        matches!(&parts[..], [Part::Code(r, code)] if r.job.text == "rust\nfn main() {}" && code == "fn main() {}")
    );
    assert_eq!(plain("```\nplain\n\ncode\n```"), "plain\n\ncode");
    assert_eq!(plain("<b>raw</b> html"), "<b>raw</b> html");
}

#[test]
fn a_nested_item_starts_its_own_line_indented_by_depth() {
    for source in ["- a\n  - b\n- c", "1. a\n   1. b\n2. c"] {
        let Rich { job, .. } = first(source);
        let lines: Vec<&str> = job.text.lines().collect();
        assert_eq!(lines.len(), 3, "{:?}", job.text);
        assert!(lines[0].ends_with('a') && lines[1].ends_with('b') && lines[2].ends_with('c'), "{:?}", job.text);
        // The nested item's marker starts further right than its parent's.
        let indent = |line: usize| {
            let at = job.text.match_indices('\n').nth(line - 1).map_or(0, |(i, _)| i + 1);
            job.sections.iter().find(|s| s.byte_range.start.0 == at).map_or(0.0, |s| s.leading_space)
        };
        assert!(indent(1) > 10.0 && indent(2) == 0.0, "{:?}", job.sections);
    }
}

#[test]
fn task_items_leave_room_for_a_box_and_show_no_markup() {
    let Rich { job, tasks, .. } = first("- [x] salt\n- [ ] flour\n- plain");
    assert_eq!(job.text, "salt\nflour\n• plain");
    assert_eq!(tasks, vec![Task { char: 0, done: true }, Task { char: 5, done: false }]);
    let room = job.sections.iter().find(|s| s.byte_range.start.0 == 5).map(|s| s.leading_space);
    assert!(room > Some(10.0), "room for the box before 'flour'");
}

#[test]
fn a_table_is_a_grid_of_cells_with_the_header_bold_and_columns_aligned() {
    let parts = parts("| Fruit | Price | Note |\n|:-----|:-----:|----:|\n| apple | 1 | **ok** |\n| pear | 2 |");
    let [Part::Table(table)] = &parts[..] else { panic!("one table: {parts:?}") };
    let text = |r: usize| table.rows[r].iter().map(|c| c.job.text.as_str()).collect::<Vec<_>>();
    assert_eq!(text(0), vec!["Fruit", "Price", "Note"]);
    assert_eq!(text(1), vec!["apple", "1", "ok"]);
    assert_eq!(text(2), vec!["pear", "2", ""], "a short row gets empty cells");
    assert_eq!(table.align, vec![egui::Align::Min, egui::Align::Center, egui::Align::Max]);
    let colour = |r: usize, c: usize| table.rows[r][c].job.sections[0].format.color;
    assert_ne!(colour(0, 0), colour(1, 0), "the header is bold (strong)");
    // Prose and a table in one block are two parts.
    let parts = self::parts("Prices:\n| a | b |\n|---|---|\n| 1 | 2 |");
    assert!(matches!(&parts[..], [Part::Text(_), Part::Table(_)]), "{parts:?}");
}

#[test]
fn columns_keep_their_width_when_they_fit_and_share_the_room_when_not() {
    assert_eq!(column_widths(&[10.0, 20.0], 100.0), vec![10.0, 20.0]);
    // The narrow column keeps its width; the two wide share the rest.
    assert_eq!(column_widths(&[10.0, 200.0, 300.0], 110.0), vec![10.0, 50.0, 50.0]);
}

#[test]
fn quotes_and_display_math_are_their_own_parts() {
    let parts = parts("Intro\n> quoted **text**\n> more");
    let [Part::Text(intro), Part::Quote(quote)] = &parts[..] else { panic!("{parts:?}") };
    assert_eq!((intro.job.text.as_str(), quote.job.text.as_str()), ("Intro", "quoted text more"));
    assert_ne!(quote.job.sections[0].format.color, Color32::GRAY, "a quote is weaker");
    assert_eq!(quote.job.wrap.max_width, 400.0 - QUOTE_INDENT);

    let parts = self::parts("$$\n\\int_0^1 x\\,dx\n$$");
    let [Part::Math(math)] = &parts[..] else { panic!("{parts:?}") };
    assert_eq!(math.job.text, "\\int_0^1 x\\,dx");
    // Inline math is monospace on its own tint, not code's.
    let job = first("a `code` and $x^2$").job;
    let bg = |t: &str| {
        job.sections
            .iter()
            .find(|s| &job.text[s.byte_range.start.0..s.byte_range.end.0] == t)
            .map(|s| s.format.background)
    };
    assert!(bg("x^2").is_some() && bg("x^2") != bg("code") && bg("x^2") != bg("a "), "{:?}", job.sections);
}
