//! Scroll position of the virtualized chat list, anchored to a row index
//! rather than a pixel offset, so a thread of any length costs the same: only
//! the rows on screen (and a few above them) are ever measured.

/// Where the list is scrolled to.
#[derive(Clone, Debug, PartialEq)]
pub struct ListState {
    /// The row at the top of the viewport.
    pub anchor: u64,
    /// How far that row's top is above the viewport's top (0 ≤ offset < its height).
    pub offset: f32,
    /// Stick to the newest message (the default, and after scrolling to the end).
    pub follow_bottom: bool,
}

impl Default for ListState {
    fn default() -> Self {
        Self { anchor: 0, offset: 0.0, follow_bottom: true }
    }
}

impl ListState {
    /// Place the list so the last row's bottom meets the viewport's bottom.
    pub fn resolve_bottom(&mut self, total: u64, viewport_h: f32, height: &mut impl FnMut(u64) -> f32) {
        let Some(mut i) = total.checked_sub(1) else {
            self.anchor = 0;
            self.offset = 0.0;
            return;
        };
        let mut remaining = viewport_h;
        loop {
            let h = height(i);
            if h >= remaining {
                self.anchor = i;
                self.offset = h - remaining;
                return;
            }
            remaining -= h;
            if i == 0 {
                // Everything fits: show from the top.
                self.anchor = 0;
                self.offset = 0.0;
                return;
            }
            i -= 1;
        }
    }

    fn normalize(&mut self, total: u64, height: &mut impl FnMut(u64) -> f32) {
        if total == 0 {
            *self = Self::default();
            return;
        }
        self.anchor = self.anchor.min(total - 1);
        while self.offset < 0.0 {
            if self.anchor == 0 {
                self.offset = 0.0;
                break;
            }
            self.anchor -= 1;
            self.offset += height(self.anchor);
        }
        while self.anchor + 1 < total {
            let h = height(self.anchor);
            if self.offset < h {
                break;
            }
            self.offset -= h;
            self.anchor += 1;
        }
    }

    /// If the rows from the anchor down do not fill the viewport, the list is
    /// at its end: stick to the bottom from now on.
    fn clamp_end(&mut self, total: u64, viewport_h: f32, height: &mut impl FnMut(u64) -> f32) {
        let mut filled = -self.offset;
        let mut i = self.anchor;
        while i < total && filled < viewport_h {
            filled += height(i);
            i += 1;
        }
        // Only when the last row was reached and its bottom is on screen.
        if i >= total && filled <= viewport_h {
            self.follow_bottom = true;
            self.resolve_bottom(total, viewport_h, height);
        }
    }

    /// Bring the state in line with `total` rows before drawing a frame.
    pub fn settle(&mut self, total: u64, viewport_h: f32, height: &mut impl FnMut(u64) -> f32) {
        if self.follow_bottom {
            self.resolve_bottom(total, viewport_h, height);
        } else {
            self.normalize(total, height);
            self.clamp_end(total, viewport_h, height);
        }
    }

    /// Scroll by `dy` pixels; positive moves the content down (towards older
    /// messages), as egui's scroll delta does.
    pub fn scroll_by(&mut self, dy: f32, total: u64, viewport_h: f32, height: &mut impl FnMut(u64) -> f32) {
        if dy == 0.0 || total == 0 {
            return;
        }
        if self.follow_bottom {
            self.resolve_bottom(total, viewport_h, height);
            self.follow_bottom = false;
        }
        self.offset -= dy;
        self.normalize(total, height);
        self.clamp_end(total, viewport_h, height);
    }

    /// Jump so the row at `fraction` (0 = first, 1 = last) of the thread is on top.
    pub fn jump_to_fraction(
        &mut self,
        fraction: f32,
        total: u64,
        viewport_h: f32,
        height: &mut impl FnMut(u64) -> f32,
    ) {
        if total == 0 {
            return;
        }
        let f = f64::from(fraction.clamp(0.0, 1.0));
        // Truncation is the point: a row index from a fraction of the length.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let row = (f * total as f64) as u64;
        self.jump_to_row(row, total, viewport_h, height);
    }

    /// Jump so `row` is on top (or as near as the end of the thread allows).
    pub fn jump_to_row(&mut self, row: u64, total: u64, viewport_h: f32, height: &mut impl FnMut(u64) -> f32) {
        if total == 0 {
            return;
        }
        self.anchor = row.min(total - 1);
        self.offset = 0.0;
        self.follow_bottom = false;
        self.clamp_end(total, viewport_h, height);
    }

    /// How far down the thread the viewport's top is, 0..=1.
    #[must_use]
    #[expect(clippy::cast_precision_loss)]
    pub fn fraction(&self, total: u64, anchor_height: f32) -> f32 {
        if total == 0 {
            return 0.0;
        }
        let within = if anchor_height > 0.0 { self.offset / anchor_height } else { 0.0 };
        ((self.anchor as f32 + within) / total as f32).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u64) -> f32 {
        // Uneven heights, like real messages.
        [40.0, 100.0, 60.0][usize::try_from(i % 3).unwrap()]
    }

    #[test]
    fn follow_bottom_puts_the_last_row_at_the_bottom() {
        let mut s = ListState::default();
        s.settle(100_000, 300.0, &mut h);
        // Rows from the anchor down, minus the offset, exactly fill 300 px.
        let mut filled = -s.offset;
        for i in s.anchor..100_000 {
            filled += h(i);
        }
        assert!((filled - 300.0).abs() < 1e-3, "filled {filled}");
        assert!(s.anchor > 99_990);
    }

    #[test]
    fn scrolling_up_and_back_down_returns_to_follow_mode() {
        let mut s = ListState::default();
        s.scroll_by(1000.0, 1000, 300.0, &mut h);
        assert!(!s.follow_bottom);
        let scrolled = s.anchor;
        assert!(scrolled < 1000 - 10);
        s.scroll_by(-5000.0, 1000, 300.0, &mut h);
        assert!(s.follow_bottom);
    }

    #[test]
    fn scrolling_past_the_top_stops_at_row_zero() {
        let mut s = ListState::default();
        s.scroll_by(1e9, 50, 300.0, &mut h);
        assert_eq!((s.anchor, s.offset), (0, 0.0));
    }

    #[test]
    fn a_short_thread_is_shown_from_the_top() {
        let mut s = ListState::default();
        s.settle(2, 300.0, &mut h);
        assert_eq!((s.anchor, s.offset), (0, 0.0));
        s.scroll_by(50.0, 2, 300.0, &mut h);
        assert!(s.follow_bottom);
    }

    #[test]
    fn jumping_to_the_middle_lands_mid_thread_and_only_measures_nearby_rows() {
        let mut measured = Vec::new();
        let mut spy = |i: u64| {
            measured.push(i);
            h(i)
        };
        let mut s = ListState::default();
        s.jump_to_fraction(0.5, 100_000, 300.0, &mut spy);
        assert_eq!(s.anchor, 50_000);
        assert!(measured.iter().all(|&i| (50_000..50_010).contains(&i)), "{measured:?}");
    }
}
