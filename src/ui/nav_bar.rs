//! The navigation bar ("Show navigation bar" in the settings): a slim strip
//! beside the chat with one mark per message the user wrote, placed by its
//! row along the thread; a click brings that message to the top.
//!
//! Which rows are the user's comes from the backend ([`Command::LoadOutline`]),
//! read once per opened branch and then only for rows added since, so a
//! long thread is scanned once, off the UI thread. Marks closer than a pixel
//! share one, so drawing costs the bar's height, not the thread's length.

use crate::backend::Command;

use super::view_model::OpenThread;

/// Width of the strip, in points.
pub const WIDTH: f32 = 14.0;

/// What is known of the user's rows in the open branch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outline {
    /// The user's rows, ascending.
    pub rows: Vec<u64>,
    /// Rows below this have been looked at.
    known: u64,
    /// A request is on its way.
    asked: bool,
    /// Answers still to come for branches no longer shown.
    stale: u32,
}

impl Outline {
    /// The branch shown changed: start over.
    pub fn reset(&mut self) {
        if self.asked {
            self.stale += 1;
        }
        *self = Self { stale: self.stale, ..Self::default() };
    }

    /// The command to send when rows up to `count` are not known yet.
    pub fn wanted(&mut self, thread: crate::domain::ThreadId, count: u64) -> Option<Command> {
        if self.asked || self.known >= count {
            return None;
        }
        self.asked = true;
        Some(Command::LoadOutline { thread, from: self.known })
    }

    /// The backend's answer for rows `from .. count`.
    pub fn answer(&mut self, from: u64, count: u64, user_rows: Vec<u64>) {
        if self.stale > 0 {
            self.stale -= 1;
            return;
        }
        self.asked = false;
        if from > self.known {
            return;
        }
        self.rows.retain(|&r| r < from);
        self.rows.extend(user_rows);
        self.known = count;
    }
}

/// Draw the strip for `open`; commands it needs go to `send`.
pub fn nav_bar_ui(ui: &mut egui::Ui, open: &mut OpenThread, send: &mut dyn FnMut(Command)) {
    if let Some(command) = open.outline.wanted(open.id, open.count) {
        send(command);
    }
    let total = open.count + open.pending.len() as u64;
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 3.0, visuals.faint_bg_color);
    if total == 0 {
        return;
    }
    #[expect(clippy::cast_precision_loss)]
    let y_of = |row: u64| rect.top() + 4.0 + (rect.height() - 8.0) * (row as f32 + 0.5) / total as f32;
    let stroke = egui::Stroke::new(2.0, visuals.widgets.inactive.fg_stroke.color);
    let mut last_y = f32::NEG_INFINITY;
    for &row in &open.outline.rows {
        let y = y_of(row);
        if y - last_y >= 1.0 {
            painter.hline(rect.x_range().shrink(3.0), y, stroke);
            last_y = y;
        }
    }
    // Where the view is: a faint band at the anchor row.
    let here = y_of(open.view.list.anchor);
    painter.hline(rect.x_range(), here, egui::Stroke::new(1.0, visuals.selection.bg_fill));
    let mark_at = |y: f32| -> Option<u64> {
        let i = open.outline.rows.partition_point(|&r| y_of(r) < y);
        let candidates = [i.checked_sub(1), Some(i)];
        candidates
            .into_iter()
            .flatten()
            .filter_map(|i| open.outline.rows.get(i).copied())
            .min_by(|a, b| (y_of(*a) - y).abs().total_cmp(&(y_of(*b) - y).abs()))
    };
    let pointed = response.hover_pos().and_then(|p| mark_at(p.y));
    let count = open.outline.rows.len();
    // Screen readers (and tests) hear what the strip is for.
    response.widget_info(|| {
        let what = if count == 1 { "1 message".to_owned() } else { format!("{count} messages") };
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Navigation bar: {what} of yours"))
    });
    if let Some(row) = pointed {
        let n = open.outline.rows.partition_point(|&r| r < row) + 1;
        let response = response.on_hover_text(format!("Your message {n} of {count}"));
        if response.clicked() {
            open.view.jump_to = Some(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ThreadId;

    #[test]
    fn the_outline_asks_once_then_only_for_new_rows_and_drops_answers_for_old_branches() {
        let id = ThreadId::new();
        let mut o = Outline::default();
        assert!(matches!(o.wanted(id, 10), Some(Command::LoadOutline { from: 0, .. })));
        assert!(o.wanted(id, 10).is_none(), "one request at a time");
        o.answer(0, 10, vec![0, 2, 4]);
        assert_eq!(o.rows, vec![0, 2, 4]);
        assert!(o.wanted(id, 10).is_none(), "nothing new");
        assert!(matches!(o.wanted(id, 12), Some(Command::LoadOutline { from: 10, .. })));
        o.answer(10, 12, vec![10]);
        assert_eq!(o.rows, vec![0, 2, 4, 10]);

        // The branch changes while a request is out: its answer is dropped.
        assert!(o.wanted(id, 14).is_some());
        o.reset();
        assert!(o.rows.is_empty());
        assert!(matches!(o.wanted(id, 6), Some(Command::LoadOutline { from: 0, .. })));
        o.answer(12, 14, vec![12]);
        assert!(o.rows.is_empty(), "the old branch's answer is ignored");
        o.answer(0, 6, vec![0, 3]);
        assert_eq!(o.rows, vec![0, 3]);
    }
}
