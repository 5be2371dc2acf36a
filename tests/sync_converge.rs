//! Convergence, as a property: three devices of one person and the real
//! server; random creates, renames, pins, deletes, new and edited
//! messages and setting changes, with each device syncing at random moments
//! (so every other device is offline in between, and changes reach the
//! server in every order). After everyone has synced twice, every device
//! holds the same records, and they are the ones a reference
//! last-writer-wins model picks: for each record, the write with the
//! greatest stamp.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pakchat::domain::{
    Account, AccountUser, HlcClock, Message, MessageId, MessageStatus, Role, Settings, Stamp, ThemePreference, Thread,
    ThreadId,
};
use pakchat::store::{Argon2Params, KeySource, MemoryKv, MessageSlot, SealedStore, Store as _, ThreadSlot};
use proptest::prelude::*;

const CLIENT: &str = "pakchat-converge-test";
const DEVICES: usize = 3;
const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };

#[derive(Clone, Debug)]
enum Op {
    NewThread(usize),
    Rename(usize, usize),
    Pin(usize, usize),
    Delete(usize, usize),
    Write(usize, usize),
    Edit(usize, usize),
    Theme(usize, u8),
    Scale(usize, u8),
    Sync(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    prop_oneof![
        2 => d.clone().prop_map(Op::NewThread),
        2 => (d.clone(), 0..8usize).prop_map(|(d, t)| Op::Rename(d, t)),
        1 => (d.clone(), 0..8usize).prop_map(|(d, t)| Op::Pin(d, t)),
        1 => (d.clone(), 0..8usize).prop_map(|(d, t)| Op::Delete(d, t)),
        3 => (d.clone(), 0..8usize).prop_map(|(d, t)| Op::Write(d, t)),
        2 => (d.clone(), 0..16usize).prop_map(|(d, m)| Op::Edit(d, m)),
        1 => (d.clone(), 0..3u8).prop_map(|(d, v)| Op::Theme(d, v)),
        1 => (d.clone(), 0..3u8).prop_map(|(d, v)| Op::Scale(d, v)),
        3 => d.prop_map(Op::Sync),
    ]
}

struct Rig {
    idp: common::peers::Server,
    server: common::server::LocalServer,
}

fn rig() -> &'static Rig {
    static RIG: std::sync::OnceLock<Rig> = std::sync::OnceLock::new();
    RIG.get_or_init(|| {
        let idp = common::peers::oidc_mock();
        let server = common::server::LocalServer::start(&idp.base, CLIENT);
        Rig { idp, server }
    })
}

struct Device {
    store: SealedStore,
    clock: HlcClock,
}

/// The reference: every record's winning write so far, by record.
#[derive(Default)]
struct Model {
    threads: BTreeMap<ThreadId, (Stamp, (String, bool, bool))>,
    messages: BTreeMap<MessageId, (Stamp, String)>,
    theme: Option<(Stamp, ThemePreference)>,
    scale: Option<(Stamp, u32)>,
}

fn keep<V>(slot: &mut Option<(Stamp, V)>, stamp: Stamp, value: V) {
    if slot.as_ref().is_none_or(|(s, _)| stamp > *s) {
        *slot = Some((stamp, value));
    }
}

fn keep_in<K: Ord, V>(map: &mut BTreeMap<K, (Stamp, V)>, key: K, stamp: Stamp, value: V) {
    let mut slot = map.remove(&key);
    keep(&mut slot, stamp, value);
    if let Some(slot) = slot {
        map.insert(key, slot);
    }
}

const THEMES: [ThemePreference; 3] = [ThemePreference::Light, ThemePreference::Dark, ThemePreference::System];
const SCALES: [f32; 3] = [1.0, 1.25, 1.5];

/// A new person with `DEVICES` signed-in profiles sharing one sync key.
fn devices() -> Vec<Device> {
    static PEOPLE: AtomicU64 = AtomicU64::new(0);
    let rig = rig();
    let who = format!("converge-{}", PEOPLE.fetch_add(1, Ordering::Relaxed));
    let claims = serde_json::json!({ "sub": who, "email": format!("{who}@example.org") });
    let mut out = Vec::new();
    let mut key = None;
    for _ in 0..DEVICES {
        let token =
            rig.server.block_on(common::peers::session_token(&rig.server.base, &rig.idp.base, CLIENT, claims.clone()));
        let source = KeySource::Passphrase(zeroize::Zeroizing::new("p".to_owned()));
        let store = SealedStore::create(Arc::new(MemoryKv::new()), &source, FAST).unwrap();
        let account = Account {
            server: rig.server.base.clone(),
            token: token.clone(),
            expires_ms: i64::MAX,
            user: AccountUser::default(),
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
        let (id, bytes) = *key.get_or_insert_with(|| {
            let server = pakchat_sync::Server::new(&rig.server.base, &token).unwrap();
            let cheap = pakchat_sync::KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
            let (key, id, _) = rig.server.block_on(pakchat_sync::create_account_key(&server, cheap)).unwrap();
            (id, *key.as_bytes())
        });
        store.put_sync_key(Some((id, &bytes))).unwrap();
        let clock = HlcClock::new(store.device_id());
        out.push(Device { store, clock });
    }
    out
}

fn sync(device: &mut Device, now: u64) {
    let report = rig().server.block_on(pakchat::backend::sync::sync_once(&device.store)).expect("a sync round");
    assert_eq!(report.unreadable, 0);
    if let Some(newest) = report.newest {
        device.clock.observe(newest, now);
    }
}

/// A live or deleted thread of `device`, the `n`th modulo how many it has.
fn nth_thread(device: &Device, n: usize) -> Option<Thread> {
    let threads: Vec<Thread> = device
        .store
        .threads()
        .unwrap()
        .into_iter()
        .filter_map(|s| if let ThreadSlot::Ok(t) = s { Some(t) } else { None })
        .collect();
    (!threads.is_empty()).then(|| threads[n % threads.len()].clone())
}

fn all_messages(device: &Device) -> Vec<(u64, Message)> {
    let mut out = Vec::new();
    for slot in device.store.threads().unwrap() {
        let ThreadSlot::Ok(t) = slot else { panic!("an unreadable thread") };
        let count = device.store.message_count(t.id).unwrap();
        for (i, m) in device.store.messages(t.id, 0, usize::try_from(count).unwrap()).unwrap().into_iter().enumerate() {
            let MessageSlot::Ok(m) = m else { panic!("an unreadable message") };
            out.push((i as u64, m));
        }
    }
    out
}

fn run(ops: &[Op]) {
    let mut devices = devices();
    let mut model = Model::default();
    let mut now = 1_000u64;
    for op in ops {
        now += 1;
        apply(op, &mut devices, &mut model, now);
    }
    // Everyone back online: one round sends everything, the next takes it all in.
    for _ in 0..2 {
        for device in &mut devices {
            now += 1;
            sync(device, now);
        }
    }
    check(&devices, &model);
}

/// Do `op` on its device at time `now`, and note what it wrote in the model.
fn apply(op: &Op, devices: &mut [Device], model: &mut Model, now: u64) {
    match *op {
        Op::NewThread(d) => {
            let device = &mut devices[d];
            let thread = Thread::new(ThreadId::new(), format!("chat {now}"), now, device.clock.tick(now));
            device.store.put_thread(&thread).unwrap();
            keep_in(&mut model.threads, thread.id, thread.stamp, (thread.title.clone(), false, false));
        }
        Op::Rename(d, n) | Op::Pin(d, n) | Op::Delete(d, n) => {
            let device = &mut devices[d];
            let Some(mut thread) = nth_thread(device, n) else { return };
            match op {
                Op::Rename(..) => thread.title = format!("renamed {now} on {d}"),
                Op::Pin(..) => thread.pinned = !thread.pinned,
                _ => thread.deleted = true,
            }
            thread.stamp = device.clock.tick(now);
            device.store.put_thread(&thread).unwrap();
            let value = (thread.title.clone(), thread.pinned, thread.deleted);
            keep_in(&mut model.threads, thread.id, thread.stamp, value);
        }
        Op::Write(d, n) => {
            let device = &mut devices[d];
            let Some(thread) = nth_thread(device, n) else { return };
            let message = Message {
                id: MessageId::new(),
                thread_id: thread.id,
                parent_id: None,
                role: Role::User,
                content: format!("written {now} on {d}"),
                reasoning: String::new(),
                attachments: Vec::new(),
                model: None,
                status: MessageStatus::Done,
                failure: None,
                usage: None,
                created_ms: now,
                stamp: device.clock.tick(now),
            };
            device.store.append_message(&message).unwrap();
            keep_in(&mut model.messages, message.id, message.stamp, message.content.clone());
        }
        Op::Edit(d, n) => {
            let device = &mut devices[d];
            let messages = all_messages(device);
            if messages.is_empty() {
                return;
            }
            let (at, mut message) = messages[n % messages.len()].clone();
            message.content = format!("edited {now} on {d}");
            message.stamp = device.clock.tick(now);
            device.store.update_message(message.thread_id, at, &message).unwrap();
            keep_in(&mut model.messages, message.id, message.stamp, message.content.clone());
        }
        Op::Theme(d, v) | Op::Scale(d, v) => {
            let device = &mut devices[d];
            let mut settings = device.store.settings().unwrap();
            let before = settings.clone();
            match op {
                Op::Theme(..) => settings.theme = THEMES[usize::from(v)],
                _ => settings.text_scale = SCALES[usize::from(v)],
            }
            let stamp = device.clock.tick(now);
            settings.stamp = Some(stamp);
            device.store.put_settings(&settings).unwrap();
            if settings.theme != before.theme {
                keep(&mut model.theme, stamp, settings.theme);
            }
            if settings.text_scale.to_bits() != before.text_scale.to_bits() {
                keep(&mut model.scale, stamp, settings.text_scale.to_bits());
            }
        }
        Op::Sync(d) => sync(&mut devices[d], now),
    }
}

/// Every device holds what the model says won.
fn check(devices: &[Device], model: &Model) {
    let want_threads: BTreeMap<_, _> = model.threads.iter().map(|(id, (_, v))| (*id, v.clone())).collect();
    let want_messages: BTreeMap<_, _> = model.messages.iter().map(|(id, (_, v))| (*id, v.clone())).collect();
    let default = Settings::default();
    let want_theme = model.theme.map_or(default.theme, |(_, t)| t);
    let want_scale = model.scale.map_or(default.text_scale.to_bits(), |(_, s)| s);
    for (d, device) in devices.iter().enumerate() {
        let threads: BTreeMap<_, _> = device
            .store
            .threads()
            .unwrap()
            .into_iter()
            .map(|s| match s {
                ThreadSlot::Ok(t) => (t.id, (t.title, t.pinned, t.deleted)),
                ThreadSlot::Unreadable { .. } => panic!("an unreadable thread on {d}"),
            })
            .collect();
        assert_eq!(threads, want_threads, "threads on device {d}");
        let messages: BTreeMap<_, _> = all_messages(device).into_iter().map(|(_, m)| (m.id, m.content)).collect();
        assert_eq!(messages, want_messages, "messages on device {d}");
        let settings = device.store.settings().unwrap();
        assert_eq!((settings.theme, settings.text_scale.to_bits()), (want_theme, want_scale), "settings on {d}");
        assert!(device.store.outbox(10).unwrap().is_empty(), "nothing left waiting on {d}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn three_devices_converge_to_last_writer_wins(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops);
    }
}

#[test]
fn the_model_and_the_devices_agree_on_a_plain_story() {
    // One fixed run a person can read: A writes, B renames while A edits,
    // C deletes a chat A still writes in.
    use Op::*;
    run(&[NewThread(0), Write(0, 0), Sync(0), Sync(1), Rename(1, 0), Edit(0, 0), Sync(0), Sync(1), Sync(2)]);
    run(&[NewThread(0), Sync(0), Sync(2), Delete(2, 0), Write(0, 0), Theme(1, 1), Sync(2), Sync(0), Theme(0, 0)]);
}
