//! The blind search index: find messages by the words in them without any
//! plaintext on disk, in a few bytes per word of a message.
//!
//! Every indexed message text is a *document* with a number ([`Doc`]),
//! given in the order texts are written (an edited text gets a new one).
//! Its text is split into normalized terms ([`terms`]); each term becomes a
//! *token*: the first [`TOKEN_LEN`] bytes of HMAC-SHA256 under a key derived
//! from the data key, so the same word gives the same token in this profile
//! only, and a token tells nothing about its word to anyone without the key.
//!
//! A token's postings (the documents holding it, ascending) are kept in
//! *blocks* of at most [`BLOCK_POSTINGS`] in [`Table::SearchBlocks`], keyed
//! `token ‖ first document` and sealed (delta + varint encoded inside). New
//! documents wait in memory until [`BATCH_DOCS`] of them are pending, a
//! query runs or the store closes; then each token's newest block takes
//! them in one write. [`Table::SearchPlaces`] maps a document to its
//! message (thread id ‖ position), sealed; [`Table::SearchRefs`] maps a
//! message to its document, sealed. A message's tokens are not stored: an
//! edit or a purge derives them from the text being replaced, so both
//! remove exactly the postings that text added. The Meta entry
//! `search-written-below` records up to which document postings are on
//! disk; documents after it (a crash lost them from memory) are indexed
//! again from their messages when the profile opens.
//!
//! What the index reveals to someone holding the disk: for each unknown
//! token, how many blocks it has and their sizes (about how many messages
//! hold that word), and the document number each block starts at (the
//! write order, not which message: places and refs are sealed). The
//! one-key-per-posting index before it (store format 3) showed every
//! (token, message) pair; this shows less. Lengths and words stay hidden.
//!
//! A query's terms must all be in a message (AND). It walks the postings of
//! its rarest term from the newest document back and checks each against
//! the other terms' blocks (each block read once), so a two-term query
//! costs about the length of the shorter list (capped by the result
//! limit), not the size of the history. Hits are newest-written first.
//! Callers verify hits against the opened message ([`matches_all`]): a
//! crash between an index write and its message can leave a stale posting.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use super::crypto::{Sealer, record_aad};
use super::kv::{Kv, KvError, Table};
use super::{StoreError, Unreadable};
use pakchat_core::ThreadId;
pub use pakchat_core::search::{MAX_TERM_CHARS, Snippet, matches_all, snippet, terms, words};

/// Bytes of a term token. 64 bits: collisions among a profile's words are
/// vanishingly rare, and a collision only adds a hit that verification drops.
pub const TOKEN_LEN: usize = 8;
/// Most postings one block holds.
pub const BLOCK_POSTINGS: usize = 1024;
/// A token's newest block takes a batch's postings only while it holds
/// fewer than this; a bigger one is left alone and a new block starts.
/// So an append rewrites only small blocks: the bytes written per batch
/// stay flat as the history grows (sled keeps a rewritten value's old copy
/// until it cleans the segment, so rewrites are disk space).
pub const SMALL_BLOCK: usize = 128;
/// Documents held in memory before their postings are written.
pub const BATCH_DOCS: usize = 8192;
/// Bytes of a block key: token ‖ first document.
const BLOCK_KEY_LEN: usize = TOKEN_LEN + 8;
/// Blocks read at once when a query starts on a term.
const FIRST_BLOCKS: usize = 3;
/// The Meta key recording the first document whose postings may be only
/// in memory.
const WRITTEN_BELOW: &[u8] = b"search-written-below";

/// A block as read: its key and its documents, ascending.
type Block = (Vec<u8>, Vec<Doc>);

/// One term's token.
pub type Token = [u8; TOKEN_LEN];

/// A document: an indexed message text, numbered in write order.
pub type Doc = u64;

/// A message's place: its thread and stored position.
pub type DocRef = (ThreadId, u64);

/// Makes tokens; reads and writes blocks, places and refs; holds the index
/// key and the postings not yet written.
pub struct Index {
    mac: Hmac<Sha256>,
    sealer: Sealer,
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Index")
    }
}

/// Postings waiting to be written, and the document counter.
#[derive(Debug, Default)]
struct Pending {
    /// Each token's pending documents, ascending.
    postings: BTreeMap<Token, Vec<Doc>>,
    /// Pending documents (a batch is written at [`BATCH_DOCS`]).
    docs: usize,
    /// The next document number.
    next: Doc,
    /// Documents before this one have their postings on disk.
    written_below: Doc,
}

fn block_key(token: &Token, first: Doc) -> [u8; BLOCK_KEY_LEN] {
    let mut key = [0u8; BLOCK_KEY_LEN];
    key[..TOKEN_LEN].copy_from_slice(token);
    key[TOKEN_LEN..].copy_from_slice(&first.to_be_bytes());
    key
}

fn first_of(key: &[u8]) -> Option<Doc> {
    Some(Doc::from_be_bytes(key.get(TOKEN_LEN..BLOCK_KEY_LEN)?.try_into().ok()?))
}

/// A key greater than every block key of `token`.
fn after_token(token: &Token) -> Vec<u8> {
    let mut end = token.to_vec();
    end.extend_from_slice(&[0xFF; BLOCK_KEY_LEN - TOKEN_LEN + 1]);
    end
}

fn place_key(doc: Doc) -> [u8; 8] {
    doc.to_be_bytes()
}

fn ref_key(place: DocRef) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(place.0.as_bytes());
    key[16..].copy_from_slice(&place.1.to_be_bytes());
    key
}

/// Postings as varint deltas from `first` (ascending, all ≥ `first`).
fn encode(first: Doc, docs: &[Doc]) -> Vec<u8> {
    let mut out = Vec::with_capacity(docs.len() * 2);
    let mut prev = first;
    for &doc in docs {
        put_varint(&mut out, doc - prev);
        prev = doc;
    }
    out
}

/// Append `n` to `out` as a LEB128 varint (seven bits a byte, low first).
pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn decode(first: Doc, bytes: &[u8]) -> Option<Vec<Doc>> {
    let mut docs = Vec::with_capacity(bytes.len());
    let mut prev = first;
    let mut delta = 0u64;
    let mut shift = 0u32;
    for &byte in bytes {
        if shift > 63 {
            return None;
        }
        delta |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            prev = prev.checked_add(delta)?;
            docs.push(prev);
            delta = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(docs)
}

impl Index {
    /// An index keyed by `key` (a sub-key of the data key) whose records
    /// `sealer` seals, with its counters read from `kv`.
    ///
    /// # Errors
    /// Engine failure.
    pub fn open(kv: &dyn Kv, key: &[u8; 32], sealer: Sealer) -> Result<Self, KvError> {
        let Ok(mac) = Hmac::<Sha256>::new_from_slice(key) else {
            unreachable!("HMAC takes keys of any length");
        };
        let index = Self { mac, sealer, pending: Mutex::new(Pending::default()) };
        index.read_counters(kv)?;
        Ok(index)
    }

    /// Read the counters from `kv` again, forgetting what is pending (after
    /// another instance wrote the index: see `SealedStore::resume_writing`).
    ///
    /// # Errors
    /// Engine failure.
    pub fn read_counters(&self, kv: &dyn Kv) -> Result<(), KvError> {
        let next =
            kv.last_with_prefix(Table::SearchPlaces, &[])?.and_then(|(k, _)| first_of_place(&k)).map_or(0, |d| d + 1);
        let written_below = kv
            .get(Table::Meta, WRITTEN_BELOW)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map_or(0, Doc::from_be_bytes);
        *self.lock() = Pending { next, written_below: written_below.min(next), ..Pending::default() };
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token of one normalized term.
    #[must_use]
    pub fn token(&self, term: &str) -> Token {
        let mut mac = self.mac.clone();
        mac.update(term.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut token = [0u8; TOKEN_LEN];
        token.copy_from_slice(&full[..TOKEN_LEN]);
        token
    }

    /// The distinct tokens of `text`, sorted.
    #[must_use]
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut tokens: Vec<Token> = terms(text).iter().map(|t| self.token(t)).collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }

    fn seal(&self, table: Table, key: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.sealer.seal(&record_aad(table.name(), key), plain).map_err(StoreError::Random)
    }

    fn open_record(&self, table: Table, key: &[u8], sealed: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, Unreadable> {
        self.sealer
            .open(&record_aad(table.name(), key), sealed)
            .map_err(|e| Unreadable { table: table.name(), reason: e.to_string() })
    }

    /// The document of the message at `place`, if its text is indexed.
    ///
    /// # Errors
    /// Engine failure; a damaged ref.
    pub fn doc_of(&self, kv: &dyn Kv, place: DocRef) -> Result<Option<Doc>, StoreError> {
        let key = ref_key(place);
        let Some(sealed) = kv.get(Table::SearchRefs, &key)? else { return Ok(None) };
        let plain = self.open_record(Table::SearchRefs, &key, &sealed)?;
        let bytes = <[u8; 8]>::try_from(plain.as_slice())
            .map_err(|_| Unreadable { table: Table::SearchRefs.name(), reason: "not a document number".to_owned() })?;
        Ok(Some(Doc::from_be_bytes(bytes)))
    }

    /// The message `doc` indexes (`None`: removed since).
    ///
    /// # Errors
    /// Engine failure; a damaged place record.
    pub fn place_of(&self, kv: &dyn Kv, doc: Doc) -> Result<Option<DocRef>, StoreError> {
        let key = place_key(doc);
        let Some(sealed) = kv.get(Table::SearchPlaces, &key)? else { return Ok(None) };
        let plain = self.open_record(Table::SearchPlaces, &key, &sealed)?;
        let damaged = || Unreadable { table: Table::SearchPlaces.name(), reason: "not a message place".to_owned() };
        let thread = <[u8; 16]>::try_from(plain.get(..16).ok_or_else(damaged)?).map_err(|_| damaged())?;
        let position = <[u8; 8]>::try_from(plain.get(16..).ok_or_else(damaged)?).map_err(|_| damaged())?;
        Ok(Some((ThreadId::from_bytes(thread), u64::from_be_bytes(position))))
    }

    /// Index `tokens` as the text of the message at `place` (which has no
    /// document yet). The postings are written with the batch.
    ///
    /// # Errors
    /// Engine or randomness failure.
    pub fn add(&self, kv: &dyn Kv, place: DocRef, tokens: &[Token]) -> Result<Doc, StoreError> {
        let mut pending = self.lock();
        let doc = pending.next;
        let key = place_key(doc);
        kv.insert(Table::SearchPlaces, &key, &self.seal(Table::SearchPlaces, &key, &ref_key(place))?)?;
        let key = ref_key(place);
        kv.insert(Table::SearchRefs, &key, &self.seal(Table::SearchRefs, &key, &doc.to_be_bytes())?)?;
        pending.next = doc + 1;
        for token in tokens {
            pending.postings.entry(*token).or_default().push(doc);
        }
        pending.docs += 1;
        if pending.docs >= BATCH_DOCS {
            self.write_locked(kv, &mut pending)?;
        }
        Ok(doc)
    }

    /// Recovery: `doc`'s postings, lost from memory by a crash, pending
    /// again (`doc` is at or after [`Self::unwritten`]'s start).
    pub fn readd(&self, doc: Doc, tokens: &[Token]) {
        let mut pending = self.lock();
        for token in tokens {
            pending.postings.entry(*token).or_default().push(doc);
        }
        pending.docs += 1;
    }

    /// Documents whose postings may have been only in memory when the
    /// profile last closed: `[written_below, next)`.
    #[must_use]
    pub fn unwritten(&self) -> std::ops::Range<Doc> {
        let pending = self.lock();
        pending.written_below..pending.next
    }

    /// Remove documents and their postings: each with the tokens its text
    /// gave and the place it indexes. Blocks are rewritten once per batch.
    ///
    /// # Errors
    /// Engine or randomness failure.
    pub fn remove(&self, kv: &dyn Kv, docs: &[(Doc, DocRef, Vec<Token>)]) -> Result<(), StoreError> {
        let mut pending = self.lock();
        let mut from_blocks: BTreeMap<Token, Vec<Doc>> = BTreeMap::new();
        for (doc, _, tokens) in docs {
            for token in tokens {
                if *doc >= pending.written_below {
                    if let Some(list) = pending.postings.get_mut(token) {
                        list.retain(|d| d != doc);
                    }
                } else {
                    from_blocks.entry(*token).or_default().push(*doc);
                }
            }
        }
        for (token, mut gone) in from_blocks {
            gone.sort_unstable();
            self.remove_postings(kv, &token, &gone)?;
        }
        for (doc, place, _) in docs {
            kv.remove(Table::SearchPlaces, &place_key(*doc))?;
            kv.remove(Table::SearchRefs, &ref_key(*place))?;
        }
        Ok(())
    }

    /// Take `gone` (ascending) out of `token`'s blocks, each block
    /// rewritten once.
    fn remove_postings(&self, kv: &dyn Kv, token: &Token, gone: &[Doc]) -> Result<(), StoreError> {
        let mut rest = gone;
        while let Some(&newest) = rest.last() {
            let Some((key, docs)) = self.block_holding(kv, token, newest)? else {
                // No block at or before it: nothing of these is stored.
                break;
            };
            let first = first_of(&key).unwrap_or(0);
            let split = rest.partition_point(|&d| d < first);
            let (older, here) = rest.split_at(split);
            rest = older;
            let kept: Vec<Doc> = docs.into_iter().filter(|d| here.binary_search(d).is_err()).collect();
            if kept.is_empty() {
                kv.remove(Table::SearchBlocks, &key)?;
            } else {
                kv.insert(Table::SearchBlocks, &key, &self.seal(Table::SearchBlocks, &key, &encode(first, &kept))?)?;
            }
        }
        Ok(())
    }

    /// The block of `token` that would hold `doc` (the one with the
    /// greatest first document ≤ `doc`), opened.
    fn block_holding(&self, kv: &dyn Kv, token: &Token, doc: Doc) -> Result<Option<Block>, StoreError> {
        let end = block_key(token, doc.saturating_add(1));
        let end: &[u8] = if doc == Doc::MAX { &after_token(token) } else { &end };
        let found = kv.range_rev(Table::SearchBlocks, &block_key(token, 0), end, 1)?;
        let Some((key, sealed)) = found.into_iter().next() else { return Ok(None) };
        let docs = self.open_block(&key, &sealed)?;
        Ok(Some((key, docs)))
    }

    fn open_block(&self, key: &[u8], sealed: &[u8]) -> Result<Vec<Doc>, StoreError> {
        let plain = self.open_record(Table::SearchBlocks, key, sealed)?;
        let first = first_of(key).unwrap_or(0);
        Ok(decode(first, &plain)
            .ok_or_else(|| Unreadable { table: Table::SearchBlocks.name(), reason: "not a posting list".to_owned() })?)
    }

    /// Write every pending posting to the blocks.
    ///
    /// # Errors
    /// Engine or randomness failure (what was pending stays pending).
    pub fn write_pending(&self, kv: &dyn Kv) -> Result<(), StoreError> {
        let mut pending = self.lock();
        self.write_locked(kv, &mut pending)
    }

    fn write_locked(&self, kv: &dyn Kv, pending: &mut Pending) -> Result<(), StoreError> {
        if pending.docs == 0 && pending.written_below == pending.next {
            return Ok(());
        }
        for (token, docs) in &pending.postings {
            self.append(kv, token, docs)?;
        }
        pending.postings.clear();
        pending.docs = 0;
        pending.written_below = pending.next;
        kv.insert(Table::Meta, WRITTEN_BELOW, &pending.next.to_be_bytes())?;
        Ok(())
    }

    /// Append `docs` (ascending, newer than every stored one but for those
    /// a crash already wrote, which are skipped) to `token`'s blocks.
    fn append(&self, kv: &dyn Kv, token: &Token, docs: &[Doc]) -> Result<(), StoreError> {
        let last = kv.range_rev(Table::SearchBlocks, &block_key(token, 0), &after_token(token), 1)?.into_iter().next();
        let mut rest = docs;
        if let Some((key, sealed)) = last {
            let mut stored = self.open_block(&key, &sealed)?;
            let newest = stored.last().copied().unwrap_or(0);
            rest = &rest[rest.partition_point(|&d| d <= newest)..];
            let room = BLOCK_POSTINGS.saturating_sub(stored.len()).min(rest.len());
            if room > 0 && stored.len() < SMALL_BLOCK {
                stored.extend_from_slice(&rest[..room]);
                rest = &rest[room..];
                let first = first_of(&key).unwrap_or(0);
                kv.insert(Table::SearchBlocks, &key, &self.seal(Table::SearchBlocks, &key, &encode(first, &stored))?)?;
            }
        }
        for chunk in rest.chunks(BLOCK_POSTINGS) {
            let key = block_key(token, chunk[0]);
            kv.insert(Table::SearchBlocks, &key, &self.seal(Table::SearchBlocks, &key, &encode(chunk[0], chunk))?)?;
        }
        Ok(())
    }

    /// Forget the whole index (tables and counters), to build it again.
    ///
    /// # Errors
    /// Engine failure.
    pub fn clear(&self, kv: &dyn Kv) -> Result<(), KvError> {
        let mut pending = self.lock();
        for table in [Table::SearchBlocks, Table::SearchPlaces, Table::SearchRefs] {
            kv.clear(table)?;
        }
        kv.remove(Table::Meta, WRITTEN_BELOW)?;
        *pending = Pending::default();
        Ok(())
    }

    /// Up to `limit` messages holding every term of `query`, newest-written
    /// first. Unverified: a caller opens each and checks it with
    /// [`matches_all`].
    ///
    /// # Errors
    /// Engine failure; a damaged block.
    pub fn query(&self, kv: &dyn Kv, query: &str, limit: usize) -> Result<Vec<DocRef>, StoreError> {
        let tokens = self.tokens(query);
        if tokens.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.write_pending(kv)?;
        // The newest blocks of every term: a term with fewer than asked is
        // complete, and the shortest complete one drives the walk.
        let mut lists = Vec::with_capacity(tokens.len());
        for token in tokens {
            let list = Postings::start(self, kv, token)?;
            if list.loaded.is_empty() {
                return Ok(Vec::new());
            }
            lists.push(list);
        }
        lists.sort_by_key(|l| (!l.complete, l.loaded.iter().map(|(_, d)| d.len()).sum::<usize>()));
        let mut lists = lists.into_iter();
        let Some(mut driver) = lists.next() else { return Ok(Vec::new()) };
        let mut others: Vec<Postings> = lists.collect();
        let mut found = Vec::new();
        while let Some(block) = driver.next_block(self, kv)? {
            for &doc in block.iter().rev() {
                let mut all = true;
                for other in &mut others {
                    if !other.has(self, kv, doc)? {
                        all = false;
                        break;
                    }
                }
                if all && let Some(place) = self.place_of(kv, doc)? {
                    found.push(place);
                    if found.len() == limit {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(found)
    }
}

fn first_of_place(key: &[u8]) -> Option<Doc> {
    Some(Doc::from_be_bytes(key.try_into().ok()?))
}

/// One term's postings as a query reads them: the newest blocks first,
/// older ones on demand.
struct Postings {
    token: Token,
    /// Blocks read, newest first: (first document, documents ascending).
    loaded: Vec<(Doc, Vec<Doc>)>,
    /// Whether `loaded` is every block of the term.
    complete: bool,
    /// Blocks of `loaded` the driver has walked.
    walked: usize,
    /// The block a membership test read last (older than `loaded`).
    lookup: Option<(Doc, Vec<Doc>)>,
}

impl Postings {
    fn start(index: &Index, kv: &dyn Kv, token: Token) -> Result<Self, StoreError> {
        let blocks = kv.range_rev(Table::SearchBlocks, &block_key(&token, 0), &after_token(&token), FIRST_BLOCKS)?;
        let complete = blocks.len() < FIRST_BLOCKS;
        let loaded = blocks
            .iter()
            .map(|(key, sealed)| Ok((first_of(key).unwrap_or(0), index.open_block(key, sealed)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self { token, loaded, complete, walked: 0, lookup: None })
    }

    /// The next older block, for the driver.
    fn next_block(&mut self, index: &Index, kv: &dyn Kv) -> Result<Option<Vec<Doc>>, StoreError> {
        if self.walked == self.loaded.len() {
            if self.complete {
                return Ok(None);
            }
            let Some(&(oldest, _)) = self.loaded.last() else { return Ok(None) };
            let older =
                kv.range_rev(Table::SearchBlocks, &block_key(&self.token, 0), &block_key(&self.token, oldest), 1)?;
            let Some((key, sealed)) = older.into_iter().next() else {
                self.complete = true;
                return Ok(None);
            };
            let docs = index.open_block(&key, &sealed)?;
            // Only the newest and the block being walked are kept.
            self.loaded.truncate(1);
            self.loaded.push((first_of(&key).unwrap_or(0), docs));
            self.walked = 1;
        }
        self.walked += 1;
        Ok(self.loaded.get(self.walked - 1).map(|(_, docs)| docs.clone()))
    }

    /// Whether `doc` holds this term. Asked with `doc` descending.
    fn has(&mut self, index: &Index, kv: &dyn Kv, doc: Doc) -> Result<bool, StoreError> {
        // `loaded` runs back without gaps from the newest block: the first
        // block starting at or before `doc` is the one that would hold it.
        if let Some((_, docs)) = self.loaded.iter().find(|(first, _)| *first <= doc) {
            return Ok(docs.binary_search(&doc).is_ok());
        }
        if self.complete {
            return Ok(false);
        }
        if let Some((first, docs)) = &self.lookup
            && *first <= doc
        {
            return Ok(docs.binary_search(&doc).is_ok());
        }
        match index.block_holding(kv, &self.token, doc)? {
            Some((key, docs)) => {
                let has = docs.binary_search(&doc).is_ok();
                self.lookup = Some((first_of(&key).unwrap_or(0), docs));
                Ok(has)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests;
