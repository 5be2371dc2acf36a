//! Files: picked, dropped, pasted, refused, sent to the model, deleted with their thread; images made.

use super::*;

/// A photo, a text file to drop, and the files to pick: the photo and one
/// of every kind the app refuses (a disguised program, an empty file, a
/// cut JPEG, a file over the size limit, a decompression bomb). Returns the
/// photo's bytes, the text file, and the picks.
fn files_of_every_kind(dir: &std::path::Path) -> (Vec<u8>, std::path::PathBuf, Vec<std::path::PathBuf>) {
    let photo = dir.join("photo.jpg");
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(640, 480, image::Rgb([30, 120, 200]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    std::fs::write(&photo, &jpeg).unwrap();
    let evil = dir.join("evil.png");
    std::fs::write(&evil, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "twelve bytes").unwrap();
    // Every kind of bad file, through the same path.
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 3]).unwrap();
    let big = dir.join("big.pdf");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(31 * 1024 * 1024).unwrap();
    let bomb_path = dir.join("huge.png");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bomb_100000x100000.png"), &bomb_path).unwrap();

    (jpeg, notes, vec![photo, evil, empty, cut, big, bomb_path])
}

/// Ctrl+V where the clipboard has no text and no image (egui pastes
/// nothing, only the key's release comes through): the clipboard's file
/// list is read; here, with no clipboard to read, that is said. After a
/// paste egui did make, or a typed V, nothing more is asked.
fn ctrl_v_reads_the_clipboard_only_when_egui_pasted_nothing(app: &mut App) {
    let waiting = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().open.as_ref().map_or(0, |o| o.waiting_attachments().len())
    };
    let before = waiting(&app.harness);
    let release_v = egui::Event::Key {
        key: Key::V,
        physical_key: None,
        pressed: false,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    };
    // (The release that followed the paste of the address above.)
    app.harness.event(release_v.clone());
    app.harness.step();
    app.harness.event(egui::Event::Key {
        key: Key::V,
        physical_key: None,
        pressed: false,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    app.wait_for("an answer to Ctrl+V", |h| {
        present(h, "Nothing to paste: the clipboard holds no text, image or files.") || waiting(h) > before
    });
    // After a paste that egui did make, the release asks nothing more.
    let nothing = "Nothing to paste: the clipboard holds no text, image or files.";
    let notes = app.label_count(nothing);
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.event(egui::Event::Paste("just text".to_owned()));
    app.harness.event(release_v);
    for _ in 0..20 {
        app.harness.step();
    }
    assert_eq!(app.label_count(nothing), notes, "a paste of text was answered as an empty clipboard");
    // Nor does a typed V (its press came through).
    app.harness.key_press(Key::V);
    for _ in 0..20 {
        app.harness.step();
    }
    assert_eq!(app.label_count(nothing), notes, "a typed V was taken for Ctrl+V");
    assert_eq!(app.harness.state().composer_text(), "just text");
}

#[test]
fn files_come_in_by_picker_and_drop_wait_in_the_bar_and_show_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let (jpeg, notes, picked) = files_of_every_kind(dir.path());
    let mut app = new_app(config_picking(dir.path(), true, picked));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    // The picker's path: one file taken, one refused with the reason.
    app.click("Attach files…");
    app.wait_for("the photo in the bar", |h| present(h, "Remove photo.jpg"));
    for refusal in [
        "“evil.png” is named like a PNG image but is really a program (ELF executable); it was not attached.",
        "“empty.txt” is empty; it was not attached.",
        "“cut.jpg” looks like a JPEG image but is cut short or damaged; it was not attached.",
        "“big.pdf” is 31.0 MB; attachments can be at most 30.0 MB. It was not attached.",
        "“huge.png” claims to be 100000 × 100000 pixels, more than the 64 megapixels (or 20000 pixels a side) \
         Pak.Chat opens; it was not attached.",
    ] {
        app.wait_for(refusal, |h| present(h, refusal));
    }
    let size = pakchat::media::human_size(jpeg.len() as u64);
    assert!(app.has_label(&format!("photo.jpg · {size}")), "name and size in the bar");
    // A drop on the window.
    app.harness.input_mut().dropped_files.push(Arc::new(Dropped(notes)));
    app.harness.step();
    app.wait_for("the dropped file", |h| present(h, "notes.txt · 12 bytes"));
    app.click_accesskit("Remove notes.txt");
    app.wait_for("it removed", |h| !present(h, "notes.txt · 12 bytes"));
    // A pasted image (a screenshot on the clipboard) becomes a PNG attachment.
    let shot = egui::ColorImage::new([40, 30], vec![egui::Color32::from_rgb(10, 200, 90); 40 * 30]);
    app.harness.input_mut().events.push(egui::Event::PasteImage(Arc::new(shot)));
    app.harness.step();
    app.wait_for("the pasted image", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.waiting_attachments().iter().any(|a| {
                a.name.starts_with("Pasted image ")
                    && a.kind == pakchat::domain::FileKind::Png
                    && a.dimensions == Some((40, 30))
            })
        })
    });
    let pasted = app.harness.state().view_model().open.as_ref().unwrap().waiting_attachments()[1].name.clone();
    app.click_accesskit(&format!("Remove {pasted}"));
    app.wait_for("it removed", |h| !present(h, &format!("Remove {pasted}")));
    // A file copied in a file manager pastes as its address: it is attached, not typed.
    let copied = dir.path().join("copied notes.txt");
    std::fs::write(&copied, "copied in a file manager").unwrap();
    let uri = format!("file://{}", copied.display().to_string().replace(' ', "%20"));
    let composer = app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
    composer.focus();
    app.harness.step();
    app.harness.input_mut().events.push(egui::Event::Paste(uri));
    app.harness.step();
    app.wait_for("the copied file", |h| present(h, "copied notes.txt · 24 bytes"));
    assert!(app.harness.state().composer_text().is_empty(), "the address was not typed");
    app.click_accesskit("Remove copied notes.txt");
    app.wait_for("it removed", |h| !present(h, "copied notes.txt · 24 bytes"));
    ctrl_v_reads_the_clipboard_only_when_egui_pasted_nothing(&mut app);
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.key_press(Key::Backspace);
    app.harness.step();
    app.close();

    // Waiting files survive a restart, thumbnail included.
    let mut app = reopen_thread(dir.path(), "New chat");
    app.wait_for("the photo still waiting", |h| {
        present(h, "Remove photo.jpg")
            && h.state().view_model().open.as_ref().is_some_and(|o| !o.view.chip_textures.is_empty())
    });
    for _ in 0..4 {
        app.harness.step();
    }

    // A refusal noted in the bar...
    let empty_again = dir.path().join("empty again.txt");
    std::fs::write(&empty_again, b"").unwrap();
    app.harness.input_mut().dropped_files.push(Arc::new(Dropped(empty_again)));
    let refused = "“empty again.txt” is empty; it was not attached.";
    app.wait_for("the refusal", |h| present(h, refused));

    // Sent with a message: the bar empties, the photo shows in the message,
    // and the note about the refused file goes with the bar.
    app.type_in_composer("look at this");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message with its image", |h| {
        present(h, "look at this")
            && !present(h, "Remove photo.jpg")
            && h.state().view_model().open.as_ref().is_some_and(|o| !o.view.textures.is_empty())
    });
    assert!(!app.has_label(refused), "the refusal stayed after sending");
    let sent = last_user_message(&app);
    assert_eq!(sent.attachments.len(), 1, "the photo went with the message, the removed file did not");
    app.close();
    {
        // Nothing of the refused or removed files was written: one record,
        // two blobs (the photo and its preview).
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
        assert_eq!(kv.scan_prefix(Table::Attachments, &[]).unwrap().len(), 1);
        let lengths =
            kv.scan_prefix(Table::Blobs, &[]).unwrap().iter().filter(|(k, _)| k.ends_with(&[0xff; 4])).count();
        assert_eq!(lengths, 2, "the photo and its preview, nothing else");
    }

    // After a restart the stored preview shows again.
    let mut app = reopen_thread(dir.path(), "look at this");
    app.wait_for("the image again", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| !o.view.textures.is_empty())
    });
    assert!(app.has_label("photo.jpg"), "the image is named for screen readers");
    app.close();
}

#[test]
fn a_photo_goes_to_the_model_upright_without_its_location_and_stays_whole_on_disk() {
    use base64::Engine as _;
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gps_rotated.jpg")).unwrap();
    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, &original).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![photo]));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Attach files…");
    app.wait_for("the photo in the bar", |h| present(h, "Remove photo.jpg"));
    let thread = app.harness.state().view_model().open.as_ref().unwrap().id;
    assert!(app.has_label("Send photo metadata too (location, camera)"), "the choice is offered, off");
    assert!(app.harness.state().view_model().settings.strip_photo_metadata);
    // A model that cannot read images is named before anything is sent.
    // The bar grew the bottom panel: let its layout settle before clicking in it.
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "o3-mini"));
    app.click("o3-mini");
    let refusal = "o3-mini cannot read images. Choose a model that can (e.g. GPT-4o mini, Claude or Gemini), or remove \
                   the image.";
    app.wait_for("the refusal", |h| present(h, refusal));
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.harness.step();
    assert_eq!(app.harness.state().composer_text(), "hello", "not sent, not lost");
    assert!(app.harness.state().view_model().pending_ids().is_empty() && app.has_label("Remove photo.jpg"));
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "GPT-4o mini"));
    app.click("GPT-4o mini");
    app.wait_for("no refusal", |h| !present(h, refusal));
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    app.wait_for("the reply to finish", |h| !present(h, "Stop"));

    // What the provider received.
    let journal = aimock_journal(&app, &server.base);
    let url = journal
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["body"]["messages"].as_array().cloned().unwrap_or_default())
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .find_map(|part| part["image_url"]["url"].as_str().map(str::to_owned))
        .expect("an image reached the provider");
    let sent = base64::engine::general_purpose::STANDARD
        .decode(url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL"))
        .unwrap();
    assert!(!sent.windows(4).any(|w| w == b"Exif"), "no EXIF block left");
    assert!(!sent.windows(6).any(|w| w == b"PakCam"), "no camera name left");
    let upright = image::load_from_memory(&sent).unwrap();
    assert_eq!((upright.width(), upright.height()), (600, 1200), "turned upright before its tag was dropped");

    // The viewer: its facts, the location flagged, Save as… writes the original.
    std::fs::remove_file(dir.path().join("photo.jpg")).unwrap();
    app.wait_for("the image in the message", |h| present(h, "photo.jpg"));
    app.click("photo.jpg");
    app.wait_for("the viewer", |h| {
        present(h, "Location recorded in this photo (GPS): 33.68440° N, 73.04790° E. It is not sent to models unless you allow it.")
            && h.query_all_by_label_contains("600 × 1200 pixels").next().is_some()
            && h.query_all_by_label_contains("PakCam One").next().is_some()
    });
    // AccessKit clicks: the viewer may still be fading in and moving.
    app.click_accesskit("100 %");
    app.click_accesskit("Save as…");
    app.wait_for("the save", |h| h.query_all_by_label_contains("Saved to ").next().is_some());
    assert_eq!(std::fs::read(dir.path().join("photo.jpg")).unwrap(), original, "the original, metadata and all");
    app.harness.key_press(Key::Escape);
    app.wait_for("the viewer to close", |h| !present(h, "Save as…"));
    app.close();

    // What stays on disk, sealed: the original, location and all.
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    let record = store.attachments(thread).unwrap().into_iter().next().unwrap().unwrap();
    assert_eq!(store.blob(&record.blob).unwrap().unwrap(), original);
    let exif = record.exif.unwrap();
    assert!(exif.location.is_some(), "the GPS position is known (and shown flagged) locally");
    assert_eq!(record.preview_size, Some((400, 800)), "the preview is upright and at most 800 px");
}

#[test]
fn a_deleted_thread_takes_its_messages_and_files_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.jpg");
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(320, 240, image::Rgb([200, 40, 40]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    std::fs::write(&photo, &jpeg).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![photo]));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    // Two threads with the same photo (stored once), one message each.
    let mut threads = Vec::new();
    for text in ["first with photo", "second with photo"] {
        app.apply_new_thread();
        app.click("Attach files…");
        app.wait_for("the photo", |h| present(h, "Remove photo.jpg"));
        app.type_in_composer(text);
        app.harness.key_press(Key::Enter);
        app.wait_for("the message", |h| present(h, text) && !present(h, "Remove photo.jpg"));
        threads.push(app.harness.state().view_model().open.as_ref().unwrap().id);
    }
    // Delete the second and quit before the undo window closes.
    app.chat_menu("Delete");
    app.wait_for("the undo offer", |h| present(h, "Undo"));
    app.close();
    // The next start finishes the deletion.
    let app = new_app(config(dir.path(), true));
    let mut app = app;
    app.wait_ready();
    app.wait_for("the remaining thread", |h| present(h, "first with photo"));
    app.close();

    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    let (kept, gone) = (threads[0], threads[1]);
    assert_eq!(store.message_count(gone).unwrap(), 0, "its messages are gone");
    assert!(store.attachments(gone).unwrap().is_empty(), "its attachment records are gone");
    let tombstone = store.thread(gone).unwrap().unwrap();
    assert!(tombstone.deleted && tombstone.title.is_empty(), "a tombstone without its title remains");
    // The photo is still there for the other thread, stored once.
    let record = store.attachments(kept).unwrap().into_iter().next().unwrap().unwrap();
    assert_eq!(store.blob(&record.blob).unwrap().unwrap(), jpeg);
    assert_eq!(store.message_count(kept).unwrap(), 1);
    drop(store); // Releases the profile's lock for the app.
    // Deleting that one too leaves no blob behind.
    let mut app = reopen_thread(dir.path(), "first with photo");
    app.chat_menu("Delete");
    app.wait_for("the undo offer", |h| present(h, "Undo"));
    app.close();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.close();
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    assert!(kv.scan_prefix(Table::Blobs, &[]).unwrap().is_empty(), "no blob is left");
    assert!(kv.scan_prefix(Table::Attachments, &[]).unwrap().is_empty());
}

#[test]
fn image_mode_makes_images_that_arrive_as_attachments_of_the_reply() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Make images");
    app.wait_for("the image choices", |h| present(h, "Image model") && present(h, "How many"));
    app.harness.get_by_label("How many").focus();
    app.harness.step();
    app.harness.key_press(Key::ArrowUp);
    app.harness.step();
    app.type_in_composer("a red fox");
    app.harness.key_press(Key::Enter);
    app.wait_for("the images", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.rows.values().any(|r| {
                matches!(&r.content, pakchat::ui::view_model::RowContent::Message(m)
                    if m.role == MsgRole::Assistant && m.status == MessageStatus::Done && m.attachments.len() == 2)
            }) && o.view.textures.len() == 2
        })
    });
    let reply = last_message(&app).unwrap();
    assert_eq!(reply.model.as_deref(), Some("gpt-image-1"));
    assert!(present(&app.harness, "image-1.png") && present(&app.harness, "image-2.png"), "both shown, named");
    // Esc leaves image mode; Enter asks for a reply again.
    app.harness.key_press(Key::Escape);
    app.harness.step();
    app.wait_for("image mode to close", |h| !present(h, "Image model"));
    app.close();
}

#[test]
fn a_pdf_goes_as_its_text_to_a_model_that_cannot_read_pdfs() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("two_pages.pdf");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two_pages.pdf"), &pdf).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![pdf]));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "o3-mini"));
    app.click("o3-mini");
    app.click("Attach files…");
    app.wait_for("the PDF in the bar", |h| present(h, "Remove two_pages.pdf"));
    assert!(app.harness.query_all_by_label_contains("cannot read").next().is_none(), "its text can go");
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    let journal = aimock_journal(&app, &server.base);
    let sent = journal
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["body"]["messages"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m["content"].as_str().map(str::to_owned))
        .find(|c| c.starts_with("hello"))
        .expect("the message reached the provider");
    assert!(sent.contains("--- two_pages.pdf (text of the PDF) ---"), "{sent}");
    app.wait_for("the PDF's line in the message", |h| present(h, "PDF · two_pages.pdf · 893 bytes · 2 pages"));
    // In line with the message's text, not floating in the middle of the row.
    let line = app.harness.get_by_label("PDF · two_pages.pdf · 893 bytes · 2 pages").rect();
    // The last node so named: the chat's title may read "hello" too.
    let text = app.harness.query_all_by_label("hello").last().unwrap().rect();
    assert!((line.left() - text.left()).abs() < 1.0, "the file line starts at {line:?}, the text at {text:?}");
    assert!(sent.contains("Hello from a PDF") && sent.contains("The river is the Indus"), "{sent}");
    app.close();
}

#[test]
fn a_file_picker_cancelled_on_the_start_screen_leaves_no_empty_chat() {
    let dir = tempfile::tempdir().unwrap();
    // The scripted picker picks nothing: a cancel.
    let mut app = new_app(config_picking(dir.path(), true, Vec::new()));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Attach files…");
    for _ in 0..20 {
        app.harness.step();
    }
    assert!(app.harness.state().view_model().threads.is_empty(), "a chat was made for nothing");
    assert!(app.has_label("No threads yet."), "an empty chat is listed");
    app.close();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread list", |h| present(h, "No threads yet."));
    // What is typed then makes its chat, and is kept.
    app.type_in_composer("after all, a question");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message stored", |h| {
        present(h, "after all, a question") && h.state().view_model().pending_ids().is_empty()
    });
    app.close();
    let mut app = reopen_thread(dir.path(), "after all, a question");
    app.wait_for("the message after a restart", |h| h.query_all_by_label("after all, a question").count() >= 2);
    app.close();
}
