//! GitHub tables: each cell its own text, and how wide each column is.

use egui::Align;
use pulldown_cmark::{Alignment, Event, Tag, TagEnd};

use super::Rich;
use super::prose::Prose;
use super::writer::Formats;

/// A table's cells, as texts not yet wrapped (laid out per column width).
#[derive(Clone, Debug)]
pub struct Table {
    /// How each column is aligned (`:---:` centre, `---:` right).
    pub align: Vec<Align>,
    /// The rows; the first is the header.
    pub rows: Vec<Vec<Rich>>,
}

/// The narrowest a column is squeezed to (points), unless its text is narrower.
const MIN_COLUMN: f32 = 32.0;

/// A table from its events (`Start(Table)` to `End(Table)`).
pub(super) fn table(f: &Formats, events: &[Event<'_>]) -> Table {
    let mut align = Vec::new();
    let mut rows: Vec<Vec<Rich>> = Vec::new();
    let mut head = false;
    let mut cell: Option<usize> = None;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Table(a)) => {
                align = a
                    .iter()
                    .map(|a| match a {
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Max,
                        Alignment::None | Alignment::Left => Align::Min,
                    })
                    .collect();
            }
            Event::Start(Tag::TableHead) => {
                head = true;
                rows.push(Vec::new());
            }
            Event::End(TagEnd::TableHead) => head = false,
            Event::Start(Tag::TableRow) => rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => cell = Some(i + 1),
            Event::End(TagEnd::TableCell) => {
                if let (Some(from), Some(row)) = (cell.take(), rows.last_mut()) {
                    let mut prose = Prose::new(f, f32::INFINITY, head);
                    prose.events(&events[from..i]);
                    row.push(prose.finish().0);
                }
            }
            _ => {}
        }
    }
    Table { align, rows }
}

/// Column widths (text only, without padding) for columns whose text is
/// `natural` wide unwrapped, sharing `room`: all at their natural width when
/// they fit; else the narrow ones keep theirs and the rest share what is
/// left equally (and wrap).
#[must_use]
pub fn column_widths(natural: &[f32], room: f32) -> Vec<f32> {
    if natural.iter().sum::<f32>() <= room {
        return natural.to_vec();
    }
    let mut widths = natural.to_vec();
    let mut open: Vec<usize> = (0..natural.len()).collect();
    let mut left = room;
    while !open.is_empty() {
        #[expect(clippy::cast_precision_loss, reason = "a table has a few columns")]
        let share = left / open.len() as f32;
        let (fits, wide): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&c| natural[c] <= share);
        if fits.is_empty() {
            for c in wide {
                widths[c] = share.max(MIN_COLUMN.min(natural[c]));
            }
            break;
        }
        left -= fits.iter().map(|&c| natural[c]).sum::<f32>();
        open = wide;
    }
    widths
}
