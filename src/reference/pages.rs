//! Hands the pages of an embedded file back to the kernel once it has
//! been parsed. The packed boundaries, places and country shapes (~10 MB
//! of the binary) are read once at start into the indexes; left alone
//! their pages would stay in the worker's resident set for its lifetime.
//!
//! `MADV_PAGEOUT` is a hint that never changes memory contents: the pages
//! of a file mapping are dropped and read back from the binary if touched
//! again (a second load in tests does so). Unlike `MADV_DONTNEED` it
//! cannot zero an anonymous page, so it stays sound even for a binary
//! loaded into anonymous memory (packers). Kernels before 5.4 refuse the
//! hint; then nothing happens.

/// Advises the kernel to reclaim the whole pages inside `bytes`; returns
/// whether it took the advice.
#[cfg(target_os = "linux")]
pub fn release(bytes: &'static [u8]) -> bool {
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let Ok(page) = usize::try_from(page) else {
        return false;
    };
    if page == 0 {
        return false;
    }
    // Only whole pages inside the slice: its neighbours stay untouched.
    let start = (bytes.as_ptr() as usize).next_multiple_of(page);
    let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
    if end <= start {
        return false;
    }
    // SAFETY: the range lies inside a `'static` immutable slice, and
    // MADV_PAGEOUT preserves contents (file pages are re-read, anonymous
    // ones swapped); no Rust-visible memory changes.
    let rc = unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT) };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
pub fn release(_bytes: &'static [u8]) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    static DATA: &[u8] = include_bytes!("../../data/geo/places.tsv.gz");

    #[test]
    fn released_pages_read_back_the_same() {
        let before = xxhash_rust::xxh3::xxh3_64(DATA);
        let taken = release(DATA);
        // This kernel (5.4+) takes the advice; the contents do not change.
        assert!(taken || cfg!(not(target_os = "linux")));
        assert_eq!(xxhash_rust::xxh3::xxh3_64(DATA), before);
    }

    #[test]
    fn slices_smaller_than_a_page_are_left_alone() {
        assert!(!release(&DATA[..100]));
        assert!(!release(&[]));
    }
}
