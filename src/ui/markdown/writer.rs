//! Writing a block's text: the [`Writer`] that appends to a [`LayoutJob`]
//! and the [`Formats`] prose, code and math are written in.

use egui::text::LayoutJob;
use egui::{Color32, FontFamily, FontId, Stroke, TextFormat, TextStyle, Ui, Visuals};
use pulldown_cmark::HeadingLevel;

/// Appends text to a job, holding back newlines until more text follows so a
/// block never ends in empty lines.
pub(super) struct Writer {
    pub(super) job: LayoutJob,
    newline: Option<TextFormat>,
    /// Space (points) before the next text: a list item's indent.
    indent: f32,
}

impl Writer {
    pub(super) fn new(wrap: f32) -> Self {
        let mut job = LayoutJob::default();
        job.wrap.max_width = wrap;
        Self { job, newline: None, indent: 0.0 }
    }

    /// Append `text`; returns the byte offset where it starts.
    pub(super) fn text(&mut self, text: &str, format: TextFormat) -> usize {
        if let Some(nl) = self.newline.take() {
            self.job.append("\n", 0.0, nl);
        }
        let start = self.job.text.len();
        self.job.append(text, std::mem::take(&mut self.indent), format);
        start
    }

    /// Append `text`.
    pub(super) fn put(&mut self, text: &str, format: TextFormat) {
        self.text(text, format);
    }

    /// End the line; a second call in a row leaves an empty line.
    pub(super) fn newline(&mut self, format: TextFormat) {
        if let Some(nl) = self.newline.replace(format) {
            self.job.append("\n", 0.0, nl);
        }
    }

    /// End the line unless it is ended already (or nothing is written yet).
    pub(super) fn end_line(&mut self, format: TextFormat) {
        if self.newline.is_none() && !self.job.text.is_empty() && !self.job.text.ends_with('\n') {
            self.newline = Some(format);
        }
    }

    /// Put `points` of space before the next text.
    pub(super) fn indent(&mut self, points: f32) {
        self.indent = points;
    }

    /// Whether an indent waits for text (an empty task item).
    pub(super) fn indent_waiting(&self) -> bool {
        self.indent > 0.0
    }

    /// Byte offset the next text will start at.
    pub(super) fn next_pos(&self) -> usize {
        self.job.text.len() + usize::from(self.newline.is_some())
    }
}

/// The tint behind math, inline and displayed: set apart from code's.
#[must_use]
pub fn math_bg(visuals: &Visuals) -> Color32 {
    visuals.selection.bg_fill.gamma_multiply(0.3)
}

/// The text formats of a block, from the style and the text colour.
pub(super) struct Formats {
    body: FontId,
    strong: Color32,
    link: Color32,
    pub(super) color: Color32,
    /// The language line of a code block.
    pub(super) weak: Color32,
    /// Inline code and code blocks.
    pub(super) code: TextFormat,
    /// Inline and displayed math (TeX as written).
    pub(super) math: TextFormat,
    /// Dark theme (for the highlighting theme).
    pub(super) dark: bool,
    /// Room a task item's box takes before its text.
    pub(super) task_space: f32,
}

impl Formats {
    pub(super) fn new(ui: &Ui, color: Color32) -> Self {
        let style = ui.style();
        let visuals = ui.visuals();
        let mono = TextStyle::Monospace.resolve(style);
        let mono = FontId::new(mono.size, FontFamily::Monospace);
        Self {
            body: TextStyle::Body.resolve(style),
            strong: visuals.strong_text_color(),
            link: visuals.hyperlink_color,
            color,
            weak: visuals.weak_text_color(),
            code: TextFormat { font_id: mono.clone(), color, background: visuals.code_bg_color, ..Default::default() },
            math: TextFormat { font_id: mono, color, background: math_bg(visuals), ..Default::default() },
            dark: visuals.dark_mode,
            task_space: style.spacing.icon_width + style.spacing.icon_spacing + 2.0,
        }
    }

    /// Prose in the given styles.
    pub(super) fn text(
        &self,
        bold: bool,
        italic: bool,
        strike: bool,
        heading: Option<HeadingLevel>,
        link_on: bool,
    ) -> TextFormat {
        let size = match heading {
            Some(HeadingLevel::H1) => self.body.size * 1.5,
            Some(HeadingLevel::H2) => self.body.size * 1.3,
            Some(_) => self.body.size * 1.15,
            None => self.body.size,
        };
        let color = if link_on {
            self.link
        } else if bold || heading.is_some() {
            self.strong
        } else {
            self.color
        };
        TextFormat {
            font_id: FontId::new(size, self.body.family.clone()),
            color,
            italics: italic,
            strikethrough: if strike { Stroke::new(1.0, self.color) } else { Stroke::NONE },
            underline: if link_on { Stroke::new(1.0, self.link) } else { Stroke::NONE },
            ..Default::default()
        }
    }
}
