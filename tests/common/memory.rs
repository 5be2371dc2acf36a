//! Reads this process's own memory (Linux: `/proc/self/maps` and
//! `/proc/self/mem`) for copies of a secret, as someone with a debugger or
//! a core dump would after a kiosk visitor left. The secret is held masked
//! (XOR), so the search itself leaves no copy to find.

use std::io::{Read as _, Seek as _, SeekFrom};

/// The mask a secret is held under while it is searched for.
pub const MASK: u8 = 0x5A;

/// `secret` masked for [`copies_in_memory`].
#[must_use]
pub fn masked(secret: &[u8]) -> Vec<u8> {
    secret.iter().map(|b| b ^ MASK).collect()
}

/// Where one copy was found: the mapping's name (`[heap]`, `[stack]`, a
/// file, or `anon`) and the address.
#[derive(Debug)]
pub struct Copy {
    pub region: String,
    pub address: u64,
}

/// Every copy of the secret whose masked form is `masked` in the process's
/// writable memory.
#[must_use]
pub fn copies_in_memory(masked: &[u8]) -> Vec<Copy> {
    assert!(masked.len() >= 8, "a secret this short would be found by chance");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let mut mem = std::fs::File::open("/proc/self/mem").expect("/proc/self/mem");
    const CHUNK: usize = 4 << 20;
    let overlap = masked.len() - 1;
    let mut buf = vec![0u8; CHUNK + overlap];
    let mut found = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else { continue };
        let name = fields.nth(3).unwrap_or("anon").to_owned();
        // Only what the process can write holds what it was told at run time;
        // device mappings (the GPU driver's) may fault when read.
        if !perms.starts_with("rw") || name.starts_with("/dev/") || name == "[vvar]" || name == "[vsyscall]" {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16)) else { continue };
        let mut at = start;
        while at < end {
            let len = usize::try_from((end - at).min((CHUNK + overlap) as u64)).unwrap();
            let read = mem.seek(SeekFrom::Start(at)).is_ok() && mem.read_exact(&mut buf[..len]).is_ok();
            if read {
                for (i, window) in buf[..len].windows(masked.len()).enumerate() {
                    if window.iter().zip(masked).all(|(b, m)| b ^ MASK == *m) {
                        found.push(Copy { region: name.clone(), address: at + i as u64 });
                    }
                }
            }
            // What was read may hold the secret: gone before the next read,
            // which may be of this very buffer.
            buf.iter_mut().for_each(|b| *b = 0);
            if len <= overlap {
                break;
            }
            at += (len - overlap) as u64;
        }
    }
    // Copies in overlapping reads are found twice.
    found.sort_by_key(|c| c.address);
    found.dedup_by_key(|c| c.address);
    found
}
