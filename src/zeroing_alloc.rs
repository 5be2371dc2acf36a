//! Freed memory that forgets what it held. A kiosk visitor's words pass
//! through hundreds of short-lived buffers (the composer's text as it
//! grows, layouts, the request body, the sealed record before it was
//! sealed); dropping a buffer gives it back to the allocator with the text
//! still in it, where a later reader of the process's memory would find it.
//! The app's binary installs [`ZeroingAlloc`] as its global allocator.
//! Once [`zero_freed_memory`] is called (kiosk mode does at start), every
//! block is overwritten with zeros before it is freed or moved by a
//! reallocation, so a wiped session leaves nothing in memory that was
//! dropped. A normal profile never turns it on and pays one relaxed atomic
//! load per free.
//!
//! This is the one module with `unsafe` code: a global allocator cannot be
//! written without it. It only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether freed blocks are zeroed.
static ZERO_ON_FREE: AtomicBool = AtomicBool::new(false);

/// From now on, every block of memory is zeroed before it is freed. There
/// is no way back: a block allocated while it was on may still hold a
/// secret when it is freed.
pub fn zero_freed_memory() {
    ZERO_ON_FREE.store(true, Ordering::Relaxed);
}

/// Whether [`zero_freed_memory`] was called.
#[must_use]
pub fn zeroes_freed_memory() -> bool {
    ZERO_ON_FREE.load(Ordering::Relaxed)
}

/// The system allocator, zeroing blocks before it frees them once asked to.
pub struct ZeroingAlloc;

/// Overwrite `len` bytes at `ptr` so the compiler cannot drop the writes as
/// dead stores before the free that follows.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    // SAFETY: the caller owns `len` writable bytes at `ptr` (a live block).
    let block = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
    zeroize::Zeroize::zeroize(block);
}

// SAFETY: every call is forwarded to `System` with the same layout; the
// only addition is writing zeros into a block the caller still owns.
unsafe impl GlobalAlloc for ZeroingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as it came.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if zeroes_freed_memory() {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until freed below.
            unsafe { wipe(ptr, layout.size()) };
        }
        // SAFETY: forwarded as it came.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !zeroes_freed_memory() {
            // SAFETY: forwarded as it came.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // The system's realloc may move the block and free the old one
        // unwiped: move it here instead.
        // SAFETY: the caller guarantees `new_size` with this alignment is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a non-zero size, as `realloc`'s contract requires.
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct; the copy is within both.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                wipe(ptr, layout.size());
                System.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_zeroed_when_freed_and_moved_once_turned_on() {
        zero_freed_memory();
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a 64-byte block, filled, grown, and freed; only its bytes
        // inside the allocator's own reuse are read back as a check that a
        // grown block kept its content.
        unsafe {
            let a = ZeroingAlloc.alloc(layout);
            assert!(!a.is_null());
            std::ptr::write_bytes(a, 0xAB, 64);
            let b = ZeroingAlloc.realloc(a, layout, 4096);
            assert!(!b.is_null());
            assert_eq!(std::slice::from_raw_parts(b, 64), &[0xAB; 64][..], "the content moved with the block");
            ZeroingAlloc.dealloc(b, Layout::from_size_align(4096, 8).unwrap());
        }
        assert!(zeroes_freed_memory());
    }
}
