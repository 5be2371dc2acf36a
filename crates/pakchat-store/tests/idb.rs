//! `IdbKv` in a real browser (headless Chromium through
//! `wasm-bindgen-test-runner`): what is written comes back after reopening,
//! exactly as a `MemoryKv` given the same operations holds it.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use pakchat_store::{IdbKv, Kv, KvError, MemoryKv, TabChange, TabHooks, Table};
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A database name no other test or earlier run uses.
fn fresh_name(what: &str) -> String {
    format!("pakchat-test-{what}-{}-{}", js_sys::Date::now(), js_sys::Math::random())
}

/// Wait `ms` milliseconds.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Open `name` to write, once the engine dropped before has let it go (it
/// writes until what it had queued is written).
async fn open_when_free(name: &str) -> IdbKv {
    for _ in 0..40 {
        let kv = IdbKv::open(name).await.unwrap();
        if kv.writes_here() {
            return kv;
        }
        drop(kv);
        pause(50).await;
    }
    panic!("{name} stayed held after its engine was dropped");
}

/// Wait (two seconds at most) until `done` says so.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..40 {
        if done() {
            return;
        }
        pause(50).await;
    }
    panic!("{what}: not within two seconds");
}

/// The changes an engine's hooks heard.
type Heard = Rc<RefCell<Vec<TabChange>>>;

/// Hooks that count the asks and keep the changes heard.
fn recording() -> (TabHooks, Rc<Cell<u32>>, Heard) {
    let (asks, changes) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(Vec::new())));
    let (asked, changed) = (Rc::clone(&asks), Rc::clone(&changes));
    let hooks = TabHooks {
        asked: Box::new(move || asked.set(asked.get() + 1)),
        changed: Box::new(move |change| changed.borrow_mut().push(change)),
    };
    (hooks, asks, changes)
}

/// A tiny deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const TABLES: [Table; 4] = [Table::Meta, Table::Messages, Table::Blobs, Table::Outbox];

/// Apply the same `count` generated inserts, removes and clears to both.
fn same_operations(seed: u64, count: usize, kvs: &[&dyn Kv]) {
    let mut rng = Rng(seed);
    for step in 0..count {
        let table = TABLES[usize::try_from(rng.below(4)).unwrap()];
        // Keys of 0 to 3 bytes over a small alphabet, including 0x00 and
        // 0xFF, so prefixes, empty keys and byte order all matter.
        let len = usize::try_from(rng.below(4)).unwrap();
        let key: Vec<u8> =
            (0..len).map(|_| [0x00, 0x01, 0x7F, 0x80, 0xFF][usize::try_from(rng.below(5)).unwrap()]).collect();
        let value = format!("value {step}").into_bytes();
        let choice = rng.below(20);
        for kv in kvs {
            match choice {
                0 => kv.clear(table).unwrap(),
                1..=5 => kv.remove(table, &key).unwrap(),
                _ => kv.insert(table, &key, &value).unwrap(),
            }
        }
    }
}

/// Every query of the Kv trait gives the same answers on both.
fn assert_same(expected: &dyn Kv, actual: &dyn Kv) {
    let everything = [0xFF; 8];
    for table in Table::ALL {
        assert_eq!(
            expected.range(table, &[], &everything, usize::MAX).unwrap(),
            actual.range(table, &[], &everything, usize::MAX).unwrap(),
            "table {}",
            table.name()
        );
        for (start, end, limit) in
            [(&[][..], &[0x7F][..], 3), (&[0x01][..], &[0xFF, 0x00][..], 100), (&[0x80][..], &[0x80][..], 5)]
        {
            assert_eq!(
                expected.range(table, start, end, limit).unwrap(),
                actual.range(table, start, end, limit).unwrap()
            );
            assert_eq!(
                expected.range_rev(table, start, end, limit).unwrap(),
                actual.range_rev(table, start, end, limit).unwrap()
            );
        }
        for prefix in [&[][..], &[0x00], &[0x7F], &[0xFF], &[0xFF, 0xFF]] {
            assert_eq!(expected.scan_prefix(table, prefix).unwrap(), actual.scan_prefix(table, prefix).unwrap());
            assert_eq!(
                expected.last_with_prefix(table, prefix).unwrap(),
                actual.last_with_prefix(table, prefix).unwrap()
            );
            assert_eq!(expected.get(table, prefix).unwrap(), actual.get(table, prefix).unwrap());
        }
    }
}

#[wasm_bindgen_test]
async fn what_was_written_comes_back_after_reopening() {
    let name = fresh_name("reopen");
    let expected = MemoryKv::new();
    for seed in [1, 7, 42] {
        let kv = open_when_free(&name).await;
        // Each round starts from what the last one left.
        assert_same(&expected, &kv);
        same_operations(seed, 300, &[&kv, &expected]);
        assert_same(&expected, &kv);
        kv.settled().await.unwrap();
        kv.flush().unwrap();
        drop(kv);
        let reopened = IdbKv::open(&name).await.unwrap();
        assert_same(&expected, &reopened);
        assert!(
            !reopened.range(Table::Messages, &[], &[0xFF; 8], usize::MAX).unwrap().is_empty(),
            "the sequence wrote nothing"
        );
    }
    IdbKv::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn removes_and_clears_persist() {
    let name = fresh_name("remove");
    let kv = IdbKv::open(&name).await.unwrap();
    for i in 0..10_u8 {
        kv.insert(Table::Threads, &[i], b"thread").unwrap();
        kv.insert(Table::Drafts, &[i], b"draft").unwrap();
    }
    kv.settled().await.unwrap();
    kv.remove(Table::Threads, &[3]).unwrap();
    kv.clear(Table::Drafts).unwrap();
    kv.insert(Table::Drafts, &[42], b"after the clear").unwrap();
    drop(kv);
    // Dropping still writes what was queued (and holds the database until
    // it is written).
    let kv = open_when_free(&name).await;
    let threads: Vec<u8> =
        kv.range(Table::Threads, &[], &[0xFF], 100).unwrap().into_iter().map(|(k, _)| k[0]).collect();
    assert_eq!(threads, [0, 1, 2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(kv.scan_prefix(Table::Drafts, &[]).unwrap(), [(vec![42], b"after the clear".to_vec())]);
    drop(kv);
    IdbKv::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn databases_of_other_names_are_apart() {
    let (first, second) = (fresh_name("first"), fresh_name("second"));
    let a = IdbKv::open(&first).await.unwrap();
    let b = IdbKv::open(&second).await.unwrap();
    a.insert(Table::Settings, b"k", b"a's").unwrap();
    b.insert(Table::Settings, b"k", b"b's").unwrap();
    b.insert(Table::Secrets, b"only b", b"x").unwrap();
    a.settled().await.unwrap();
    b.settled().await.unwrap();
    drop((a, b));
    let a = IdbKv::open(&first).await.unwrap();
    let b = IdbKv::open(&second).await.unwrap();
    assert_eq!(a.get(Table::Settings, b"k").unwrap().as_deref(), Some(&b"a's"[..]));
    assert_eq!(b.get(Table::Settings, b"k").unwrap().as_deref(), Some(&b"b's"[..]));
    assert!(!a.contains(Table::Secrets, b"only b").unwrap());
    drop((a, b));
    IdbKv::delete_database(&first).await.unwrap();
    IdbKv::delete_database(&second).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_deleted_database_opens_empty() {
    let name = fresh_name("delete");
    let kv = IdbKv::open(&name).await.unwrap();
    kv.insert(Table::Meta, b"header", b"h").unwrap();
    kv.insert(Table::Blobs, &[1, 2, 3], &[9; 4096]).unwrap();
    kv.settled().await.unwrap();
    drop(kv);
    IdbKv::delete_database(&name).await.unwrap();
    let kv = IdbKv::open(&name).await.unwrap();
    for table in Table::ALL {
        assert!(kv.scan_prefix(table, &[]).unwrap().is_empty(), "table {}", table.name());
    }
    drop(kv);
    IdbKv::delete_database(&name).await.unwrap();
}

/// A failed write is reported by `settled`, `flush` and later writes, and
/// the mirror keeps every value. (The quota itself cannot be filled
/// reliably here; the failure is the database deleted under the engine.)
#[wasm_bindgen_test]
async fn a_failed_write_is_reported_and_the_mirror_kept() {
    let name = fresh_name("failure");
    let kv = IdbKv::open(&name).await.unwrap();
    kv.insert(Table::Threads, b"before", b"kept").unwrap();
    kv.settled().await.unwrap();
    // Another connection deletes it: this one closes, as a tab must.
    IdbKv::delete_database(&name).await.unwrap();
    kv.flush().unwrap();
    kv.insert(Table::Threads, b"typed", b"not lost").unwrap();
    let error = kv.settled().await.unwrap_err();
    assert!(matches!(error, KvError::Io(_)), "{error:?}");
    assert!(error.to_string().contains("nothing written since was kept"), "{error}");
    assert!(error.to_string().contains("closed, deleted or upgraded by another tab"), "{error}");
    assert_eq!(kv.flush().unwrap_err().to_string(), error.to_string());
    let later = kv.insert(Table::Threads, b"later", b"still here").unwrap_err();
    assert_eq!(later.to_string(), error.to_string());
    assert!(kv.remove(Table::Threads, b"before").is_err());
    assert!(kv.settled().await.is_err());
    assert_eq!(kv.get(Table::Threads, b"typed").unwrap().as_deref(), Some(&b"not lost"[..]));
    assert_eq!(kv.get(Table::Threads, b"later").unwrap().as_deref(), Some(&b"still here"[..]));
    assert_eq!(kv.get(Table::Threads, b"before").unwrap(), None);
    drop(kv);
    IdbKv::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn two_engines_on_one_database_take_turns_writing_and_each_sees_what_the_other_wrote() {
    take_turns(&fresh_name("tabs")).await;
}

/// A page served over plain http from another machine has no Web Locks:
/// the tabs agree on the channel alone, with the same outcome.
#[wasm_bindgen_test]
async fn without_web_locks_two_engines_take_turns_too() {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let hide = "Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true })";
    js_sys::eval(hide).unwrap();
    assert!(js_sys::Reflect::get(&navigator, &"locks".into()).unwrap().is_undefined());
    take_turns(&fresh_name("tabs-no-locks")).await;
    writer_goes_away(&fresh_name("gone-no-locks")).await;
    js_sys::eval("delete navigator.locks").unwrap();
    assert!(!js_sys::Reflect::get(&navigator, &"locks".into()).unwrap().is_undefined());
}

/// Two engines of database `name`: the first writes, the second sees it
/// live, takes over once the first hands over, and a reopened engine holds
/// what both wrote.
async fn take_turns(name: &str) {
    let name = name.to_owned();
    let thread = [7u8; 16];
    let message = |position: u8| [&thread[..], &[0, 0, 0, 0, 0, 0, 0, position]].concat();
    let (hooks, first_asked, first_heard) = recording();
    let first = IdbKv::open_shared(&name, hooks).await.unwrap();
    assert!(first.writes_here(), "the first engine of a database writes it");
    first.insert(Table::Threads, &thread, b"written by the first tab").unwrap();
    first.settled().await.unwrap();

    // A second engine (as another tab opens it) reads it, and may not write.
    let (hooks, second_asked, second_heard) = recording();
    let second = Rc::new(IdbKv::open_shared(&name, hooks).await.unwrap());
    assert!(!second.writes_here());
    assert_eq!(second.get(Table::Threads, &thread).unwrap().as_deref(), Some(&b"written by the first tab"[..]));
    assert!(matches!(second.insert(Table::Threads, b"x", b"y"), Err(KvError::OtherTab)));
    assert!(matches!(second.remove(Table::Threads, &thread), Err(KvError::OtherTab)));
    assert!(matches!(second.clear(Table::Threads), Err(KvError::OtherTab)));
    assert!(!second.contains(Table::Threads, b"x").unwrap(), "a refused write changed the mirror");
    assert!(second.contains(Table::Threads, &thread).unwrap(), "a refused remove changed the mirror");

    // What the first writes reaches the second as it commits.
    first.insert(Table::Messages, &message(0), b"hello from the first tab").unwrap();
    first.insert(Table::Settings, b"settings", b"dark").unwrap();
    until("the first tab's message in the second", || second.contains(Table::Messages, &message(0)).unwrap()).await;
    assert_eq!(second.get(Table::Settings, b"settings").unwrap().as_deref(), Some(&b"dark"[..]));
    assert!(
        second_heard.borrow().iter().any(|change| change.threads.contains(&thread) && !change.everything),
        "{:?}",
        second_heard.borrow()
    );

    // The second takes over: the first is asked, writes once more, hands over.
    let taking = Rc::clone(&second);
    let (taken, answer) = futures_channel::oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        taken.send(taking.take(10_000).await).ok();
    });
    until("the first tab asked to hand over", || first_asked.get() == 1).await;
    assert!(!second.writes_here(), "the second wrote before the first handed over");
    first.insert(Table::Messages, &message(1), b"the first tab's last words").unwrap();
    first.hand_over().await;
    assert!(!first.writes_here());
    answer.await.unwrap().unwrap();
    assert!(second.writes_here());
    assert_eq!(
        second.get(Table::Messages, &message(1)).unwrap().as_deref(),
        Some(&b"the first tab's last words"[..]),
        "the new writer has not seen the last writer's last batch"
    );
    assert!(matches!(first.insert(Table::Threads, b"late", b"refused"), Err(KvError::OtherTab)));
    second.insert(Table::Messages, &message(2), b"hello from the second tab").unwrap();
    second.clear(Table::Drafts).unwrap();
    until("the second tab's message in the first", || first.contains(Table::Messages, &message(2)).unwrap()).await;
    assert!(first_heard.borrow().iter().any(|change| change.everything), "a cleared table changes everything");
    assert_eq!(second_asked.get(), 0);

    // Nobody hands over: a take gives up after its wait.
    let refused = first.take(300).await.unwrap_err();
    assert!(matches!(refused, KvError::OtherTab), "{refused:?}");
    assert!(refused.to_string().contains("another tab"), "{refused}");
    assert_eq!(second_asked.get(), 1);
    assert!(second.writes_here() && !first.writes_here());

    // Both wrote into the same database: it holds all of it.
    second.settled().await.unwrap();
    drop((first, second));
    let reopened = open_when_free(&name).await;
    for (position, text) in
        [(0, &b"hello from the first tab"[..]), (1, b"the first tab's last words"), (2, b"hello from the second tab")]
    {
        assert_eq!(reopened.get(Table::Messages, &message(position)).unwrap().as_deref(), Some(text));
    }
    drop(reopened);
    IdbKv::delete_database(&name).await.unwrap();
}

/// Two readers ask at once: the writer hands over to one, which the other
/// keeps asking until it hands over too.
#[wasm_bindgen_test]
async fn three_engines_hand_over_in_turn() {
    let name = fresh_name("three");
    let (hooks, a_asked, _) = recording();
    let a = IdbKv::open_shared(&name, hooks).await.unwrap();
    let (hooks, b_asked, _) = recording();
    let b = Rc::new(IdbKv::open_shared(&name, hooks).await.unwrap());
    let (hooks, c_asked, _) = recording();
    let c = Rc::new(IdbKv::open_shared(&name, hooks).await.unwrap());
    assert!(a.writes_here() && !b.writes_here() && !c.writes_here());
    let mut answers = Vec::new();
    for reader in [&b, &c] {
        let (taken, answer) = futures_channel::oneshot::channel();
        let taking = Rc::clone(reader);
        wasm_bindgen_futures::spawn_local(async move {
            taken.send(taking.take(10_000).await).ok();
        });
        answers.push(answer);
    }
    until("the writer asked", || a_asked.get() > 0).await;
    a.hand_over().await;
    until("one reader writing", || b.writes_here() || c.writes_here()).await;
    let (first, first_asked, second) = if b.writes_here() { (&b, &b_asked, &c) } else { (&c, &c_asked, &b) };
    assert!(!second.writes_here(), "two writers");
    first.insert(Table::Threads, b"first", b"the first reader's turn").unwrap();
    // The other asked before this one wrote; it asks again, and is heard.
    until("the new writer asked by the other", || first_asked.get() > 0).await;
    first.hand_over().await;
    until("the other reader writing", || second.writes_here()).await;
    assert_eq!(second.get(Table::Threads, b"first").unwrap().as_deref(), Some(&b"the first reader's turn"[..]));
    for answer in answers {
        answer.await.unwrap().unwrap();
    }
    second.insert(Table::Threads, b"second", b"the second reader's turn").unwrap();
    second.settled().await.unwrap();
    drop((a, b, c));
    IdbKv::delete_database(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_writer_that_goes_away_lets_a_reader_take_over() {
    writer_goes_away(&fresh_name("gone")).await;
}

/// A reader of `name` takes over from a writer whose tab closed (it was
/// never asked).
async fn writer_goes_away(name: &str) {
    let name = name.to_owned();
    let first = IdbKv::open(&name).await.unwrap();
    first.insert(Table::Threads, b"t", b"written in the first tab").unwrap();
    let second = IdbKv::open(&name).await.unwrap();
    assert!(!second.writes_here());
    first.settled().await.unwrap();
    // A tab closed: its engine is gone without being asked.
    drop(first);
    second.take(5_000).await.unwrap();
    assert_eq!(second.get(Table::Threads, b"t").unwrap().as_deref(), Some(&b"written in the first tab"[..]));
    second.insert(Table::Threads, b"u", b"the second writes now").unwrap();
    second.settled().await.unwrap();
    drop(second);
    IdbKv::delete_database(&name).await.unwrap();
}
