//! Mutated tar files mostly die at the header checksum, which tells the fuzzer nothing about
//! the code behind it. Recomputing each header's checksum lets mutations reach the archive
//! resolution, the layer walk and the overlay. Hand-written: no crate rewrites checksums of a
//! tar it does not build.

/// Walks 512-byte headers from the start (each followed by its rounded-up contents) and
/// rewrites their checksum fields, stopping at the first block that cannot be a header.
pub fn fix(data: &mut [u8]) {
    let mut at = 0usize;
    while at + 512 <= data.len() {
        let block = &mut data[at..at + 512];
        if block.iter().all(|&b| b == 0) {
            return;
        }
        block[148..156].fill(b' ');
        let sum: u32 = block.iter().map(|&b| b as u32).sum();
        let text = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(text.as_bytes());
        let size = octal(&block[124..136]).unwrap_or(0);
        let Some(next) = size
            .checked_add(511)
            .map(|s| s / 512 * 512)
            .and_then(|s| s.checked_add(512))
            .and_then(|s| at.checked_add(s as usize))
        else {
            return;
        };
        at = next;
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    u64::from_str_radix(s, 8).ok()
}
