//! Attachments on screen: the bar above the composer (files waiting to be
//! sent: thumbnail, name, size, remove; and why a file was refused), and the
//! strip under a message (images as previews, other files as a line each).
//!
//! A row's image becomes a GPU texture only when the row is drawn; the
//! decoded pixels are asked for then, and textures not drawn in a frame are
//! released once more than [`MAX_TEXTURES`] are held, so what stays resident
//! is bounded by what is on screen, however many images the thread has.

use std::collections::HashMap;

use egui::{Rect, Ui, Vec2, pos2, vec2};

use crate::backend::{Command, ROW_IMAGE};
use crate::domain::human_size;
use crate::domain::{Attachment, AttachmentId, Message};

use super::view_model::OpenThread;

/// Textures kept beyond those drawn this frame.
pub const MAX_TEXTURES: usize = 48;
/// Height of a file's line in a message.
const FILE_LINE: f32 = 24.0;
/// Space between items of a strip.
const STRIP_GAP: f32 = 6.0;

/// The backend's image as egui's: the bytes are taken over, not copied, when
/// the image came with one owner (as it does out of an event).
#[must_use]
pub fn color_image(image: crate::backend::Image) -> std::sync::Arc<egui::ColorImage> {
    let crate::backend::Rgba { size, premultiplied } = std::sync::Arc::unwrap_or_clone(image);
    let pixels = bytemuck::allocation::try_cast_vec(premultiplied)
        .unwrap_or_else(|(_, bytes)| bytemuck::cast_slice::<u8, egui::Color32>(&bytes).to_vec());
    #[expect(clippy::cast_precision_loss, reason = "image sides are far below 2^24")]
    let source_size = egui::vec2(size[0] as f32, size[1] as f32);
    std::sync::Arc::new(egui::ColorImage { size, source_size, pixels })
}

/// An image pasted through egui, lent to the backend as it lies.
#[derive(Debug)]
pub struct PastedThroughEgui(pub std::sync::Arc<egui::ColorImage>);

impl crate::backend::PastedImage for PastedThroughEgui {
    fn size(&self) -> [usize; 2] {
        self.0.size
    }

    fn premultiplied(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0.pixels)
    }
}

/// A file dropped on the browser window, handed to the backend to read.
#[cfg(target_arch = "wasm32")]
#[derive(Debug)]
pub struct DroppedInBrowser(pub egui::DroppedFileHandle);

#[cfg(target_arch = "wasm32")]
impl crate::backend::BrowserFile for DroppedInBrowser {
    fn name(&self) -> String {
        self.0.path().to_string_lossy().into_owned()
    }

    fn read(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + '_>> {
        self.0.bytes_async()
    }
}

fn texture(ui: &Ui, name: &str, image: &std::sync::Arc<egui::ColorImage>) -> egui::TextureHandle {
    ui.ctx().load_texture(name, image.clone(), egui::TextureOptions::LINEAR)
}

/// How big an image attachment is drawn in a row.
fn shown_size(a: &Attachment) -> Vec2 {
    #[expect(clippy::cast_precision_loss)]
    let (w, h) = a.preview_size.map_or((ROW_IMAGE as f32, ROW_IMAGE as f32 * 0.75), |(w, h)| (w as f32, h as f32));
    #[expect(clippy::cast_precision_loss)]
    let scale = (ROW_IMAGE as f32 / w.max(h)).min(1.0);
    vec2((w * scale).max(1.0), (h * scale).max(1.0))
}

fn item_height(a: Option<&Attachment>) -> f32 {
    match a {
        Some(a) if a.kind.is_image() && a.preview_size.is_some() => shown_size(a).y,
        _ => FILE_LINE,
    }
}

/// The height of a message's attachment strip (0 without attachments).
#[must_use]
pub fn strip_height(attachments: &HashMap<AttachmentId, Attachment>, message: &Message) -> f32 {
    if message.attachments.is_empty() {
        return 0.0;
    }
    message.attachments.iter().map(|id| item_height(attachments.get(id)) + STRIP_GAP).sum::<f32>() + STRIP_GAP
}

/// "PDF · report.pdf · 1.2 MB".
fn file_line(a: &Attachment) -> String {
    let kind = match a.kind {
        crate::domain::FileKind::Pdf => "PDF",
        crate::domain::FileKind::Text => "Text",
        _ => "Image",
    };
    let pages = match a.pages {
        Some(1) => " · 1 page".to_owned(),
        Some(n) => format!(" · {n} pages"),
        None => String::new(),
    };
    format!("{kind} · {} · {}{pages}", a.name, human_size(a.size))
}

/// A line of text at the left of `rect`, in line with the message above
/// (`Ui::put` would centre it).
fn line_ui(ui: &mut Ui, rect: Rect, text: impl Into<egui::WidgetText>) {
    let layout = egui::Layout::left_to_right(egui::Align::Center);
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), |ui| ui.label(text));
}

/// Draw the strip of `ids` from `top_left`, `width` wide; asks for previews
/// it does not have and records the textures it drew.
/// Returns the image clicked, to open in the viewer.
pub fn strip_ui(
    ui: &mut Ui,
    clip: Rect,
    top_left: egui::Pos2,
    ids: &[AttachmentId],
    open: &mut OpenThread,
    drawn: &mut Vec<AttachmentId>,
    send: &mut dyn FnMut(Command),
) -> Option<AttachmentId> {
    let mut clicked = None;
    let mut y = top_left.y + STRIP_GAP;
    for id in ids {
        let Some(a) = open.attachments.get(id) else {
            let rect = Rect::from_min_size(pos2(top_left.x, y), vec2(300.0, FILE_LINE));
            line_ui(ui, rect, egui::RichText::new("Attachment (not loaded)").weak());
            y += FILE_LINE + STRIP_GAP;
            continue;
        };
        let h = item_height(Some(a));
        if !(a.kind.is_image() && a.preview_size.is_some()) {
            let rect = Rect::from_min_size(pos2(top_left.x, y), vec2(600.0, FILE_LINE));
            line_ui(ui, rect, file_line(a));
            y += h + STRIP_GAP;
            continue;
        }
        let rect = Rect::from_min_size(pos2(top_left.x, y), shown_size(a));
        y += h + STRIP_GAP;
        if !clip.intersects(rect) {
            continue;
        }
        if !open.view.textures.contains_key(id)
            && let Some(pixels) = open.previews.remove(id)
        {
            let handle = texture(ui, &a.name, &pixels);
            open.view.textures.insert(*id, handle);
        }
        match open.view.textures.get(id) {
            Some(tex) => {
                let image = egui::Image::new(tex)
                    .fit_to_exact_size(rect.size())
                    .alt_text(a.name.clone())
                    .sense(egui::Sense::click());
                // Clipped to the chat's viewport: a photo scrolled half out
                // of it was drawn over the chat's title bar.
                let response = ui
                    .scope(|ui| {
                        ui.set_clip_rect(clip.intersect(ui.clip_rect()));
                        ui.put(rect, image)
                    })
                    .inner
                    .on_hover_text(format!("{} (click to open)", a.name));
                if response.clicked() {
                    clicked = Some(*id);
                }
                drawn.push(*id);
            }
            None => {
                if open.previews_requested.insert(*id) {
                    send(Command::LoadPreview { thread: open.id, id: *id });
                }
                ui.painter().with_clip_rect(clip).rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                match open.view.previews_missing.get(id) {
                    Some(reason) => {
                        let again = ui
                            .put(rect, egui::Button::new(format!("{} did not download · Try again", a.name)))
                            .on_hover_text(reason.clone());
                        if again.clicked() {
                            open.view.previews_missing.remove(id);
                            open.previews_requested.remove(id);
                        }
                    }
                    None => {
                        ui.put(rect, egui::Label::new(egui::RichText::new("Loading image…").weak()));
                    }
                }
            }
        }
    }
    clicked
}

/// The image viewer: fit or 100 % (drag or scroll to pan), the facts of the
/// photo (its GPS position flagged), Save as…; Esc closes it.
pub fn viewer_ui(
    ui: &mut Ui,
    viewer: &mut Option<super::view_model::Viewer>,
    open: Option<&OpenThread>,
    policy: &super::policy::Policy,
    personal_hidden: bool,
    send: &mut dyn FnMut(Command),
) {
    let Some(v) = viewer.as_mut() else { return };
    let Some(a) = open.and_then(|o| o.attachments.get(&v.id)).cloned() else {
        *viewer = None;
        return;
    };
    // The image stays while the viewer is open, for Copy image.
    if !v.texture.contains_key(&a.id)
        && let Some(image) = &v.image
    {
        let handle = texture(ui, &a.name, image);
        v.texture.insert(a.id, handle);
    }
    let mut keep_open = !ui.input_mut(|i| super::commands::UiCommand::Escape.consume(i));
    egui::Window::new(format!("Image: {}", a.name))
        .id(egui::Id::unique("image_viewer"))
        .open(&mut keep_open)
        .default_size([820.0, 620.0])
        .resizable(true)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if ui.selectable_label(!v.actual_size, "Fit").clicked() {
                    v.actual_size = false;
                }
                if ui.selectable_label(v.actual_size, "100 %").clicked() {
                    v.actual_size = true;
                }
                if let Some(image) = v.image.as_ref().filter(|_| policy.clipboard)
                    && ui.button("Copy image").clicked()
                {
                    ui.ctx().copy_image((**image).clone());
                    v.status = Some("Copied.".to_owned());
                }
                if policy.file_dialogs && ui.button("Save as…").clicked() {
                    v.status = None;
                    send(Command::SaveAttachment { thread: v.thread, id: v.id });
                }
                if let Some(status) = &v.status {
                    ui.label(super::policy::without_home(status, personal_hidden));
                }
            });
            let mut facts = vec![human_size(a.size)];
            if let Some((w, h)) = a.dimensions {
                facts.insert(0, format!("{w} × {h} pixels"));
            }
            if let Some(exif) = &a.exif {
                facts.extend(exif.camera.clone());
                facts.extend(exif.taken.as_ref().map(|t| format!("taken {t}")));
            }
            ui.weak(facts.join(" · "));
            if let Some(place) = a.exif.as_ref().and_then(crate::domain::ExifSummary::location_text) {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Location recorded in this photo (GPS): {place}. It is not sent to models unless you allow it."
                    ),
                );
            }
            ui.separator();
            match v.texture.get(&a.id) {
                Some(tex) if v.actual_size => {
                    egui::ScrollArea::both().show(ui, |ui| {
                        ui.add(egui::Image::new(tex).fit_to_original_size(1.0).alt_text(a.name.clone()));
                    });
                }
                Some(tex) => {
                    // Fit: the whole image in the window's room (at least 720 × 480).
                    let room = ui.available_size().max(vec2(720.0, 480.0));
                    let size = tex.size_vec2();
                    let scale = (room.x / size.x).min(room.y / size.y).min(1.0);
                    ui.add(egui::Image::new(tex).fit_to_exact_size(size * scale).alt_text(a.name.clone()));
                }
                None => {
                    ui.spinner();
                }
            }
        });
    if !keep_open {
        *viewer = None;
    }
}

/// Release textures not drawn this frame once more than [`MAX_TEXTURES`] are held.
pub fn release_textures(open: &mut OpenThread, drawn: &[AttachmentId]) {
    if open.view.textures.len() > MAX_TEXTURES {
        open.view.textures.retain(|id, _| drawn.contains(id));
    }
}

/// The bar of files waiting to be sent, and notes on refused files.
pub fn attachment_bar_ui(
    ui: &mut Ui,
    open: &mut OpenThread,
    settings: &mut super::local_settings::LocalSettings,
    send: &mut dyn FnMut(Command),
) {
    let mut dismiss = None;
    for (i, note) in open.attach_notes.iter().enumerate() {
        if super::banner::banner(ui, ui.visuals().warn_fg_color, note, &["Dismiss"]).is_some() {
            dismiss = Some(i);
        }
    }
    if let Some(i) = dismiss {
        open.attach_notes.remove(i);
    }
    let waiting: Vec<Attachment> = open.waiting_attachments().into_iter().cloned().collect();
    if waiting.is_empty() {
        return;
    }
    let mut remove = None;
    ui.horizontal_wrapped(|ui| {
        for a in &waiting {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    if !open.view.chip_textures.contains_key(&a.id) {
                        // A thumbnail from intake, else (after a restart) the stored preview.
                        match open.thumbnails.get(&a.id).or_else(|| open.previews.get(&a.id)) {
                            Some(pixels) => {
                                let handle = texture(ui, &a.name, pixels);
                                open.view.chip_textures.insert(a.id, handle);
                                open.previews.remove(&a.id);
                            }
                            None if a.preview.is_some() && open.previews_requested.insert(a.id) => {
                                send(Command::LoadPreview { thread: open.id, id: a.id });
                            }
                            None => {}
                        }
                    }
                    if let Some(tex) = open.view.chip_textures.get(&a.id) {
                        let size = tex.size_vec2();
                        let scale = (40.0 / size.x.max(size.y)).min(1.0);
                        ui.add(egui::Image::new(tex).fit_to_exact_size(size * scale).alt_text(a.name.clone()));
                    }
                    ui.label(format!("{} · {}", a.name, human_size(a.size)));
                    let button = ui.small_button("✖");
                    let label = format!("Remove {}", a.name);
                    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                    if button.on_hover_text(&label).clicked() {
                        remove = Some(a.id);
                    }
                });
            });
        }
    });
    if waiting.iter().any(|a| a.exif.is_some()) {
        // Off by default: photos go without location and camera data.
        let mut keep = !settings.strip_photo_metadata;
        let label = "Send photo metadata too (location, camera)";
        if ui.checkbox(&mut keep, label).on_hover_text("Applies to every photo you send").changed() {
            settings.strip_photo_metadata = !keep;
            send(settings.save());
        }
    }
    if let Some(id) = remove {
        open.attachments.remove(&id);
        open.thumbnails.remove(&id);
        open.view.chip_textures.remove(&id);
        send(Command::RemoveAttachment { thread: open.id, id });
    }
}
