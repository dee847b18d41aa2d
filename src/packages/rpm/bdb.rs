//! Berkeley DB hash file (`/var/lib/rpm/Packages` on Amazon Linux 2, RHEL 7/8): the values of
//! every key/data pair, which rpm stores as header blobs on overflow pages.
//!
//! Written by hand — no maintained crate reads Berkeley DB — the way go-rpmdb (Trivy's reader,
//! github.com/knqyf263/go-rpmdb, pkg/bdb) walks it: read the metadata page (magic 0x061561,
//! page size, last page number; byte order from the magic), visit every hash page (types 2 and
//! 13), and for each data item of type HOFFPAGE (3) follow its chain of overflow pages (type 7),
//! concatenating their contents (the last page holds `hf_offset` bytes). Unlike go-rpmdb, a
//! chain that loops, leaves the file or reaches a page of another type is an error, not a hang,
//! and each overflow page is consumed once: BDB gives every item its own chain, so a page two
//! items reach is a hostile file (16,000 items sharing one 3 MB chain would otherwise be copied
//! into tens of GB). The values together are thus never larger than the file.

use anyhow::{bail, ensure, Result};

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const HASH_UNSORTED: u8 = 2;
const OVERFLOW: u8 = 7;
const HASH_META: u8 = 8;
const HASH: u8 = 13;
const HOFFPAGE: u8 = 3;

struct Order(bool);

impl Order {
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.0 {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.0 {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
}

pub fn values(file: &[u8]) -> Result<Vec<Vec<u8>>> {
    ensure!(
        file.len() >= 512,
        "shorter than a Berkeley DB metadata page"
    );
    let magic_le = u32::from_le_bytes(file[12..16].try_into()?);
    let order = match magic_le {
        HASH_MAGIC => Order(false),
        m if m.swap_bytes() == HASH_MAGIC => Order(true),
        _ => bail!("not a Berkeley DB hash file (magic {magic_le:#x})"),
    };
    let page_size = order.u32(file, 20).unwrap_or(0) as usize;
    ensure!(
        page_size.is_power_of_two() && (512..=65536).contains(&page_size),
        "unexpected page size {page_size}"
    );
    ensure!(file[24] == 0, "encrypted database");
    ensure!(file[25] == HASH_META, "page 0 is not a hash metadata page");
    let last = order.u32(file, 32).unwrap_or(0) as usize;
    let pages = (file.len() / page_size).min(last + 1);
    let page = |n: usize| file.get(n * page_size..(n + 1) * page_size);

    let mut used = vec![false; pages];
    let mut out = Vec::new();
    for n in 1..pages {
        let Some(p) = page(n) else { break };
        if p[25] != HASH && p[25] != HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        // Item offsets follow the header; items come in key/data pairs, the data second.
        for i in (1..entries).step_by(2) {
            let Some(off) = order.u16(p, PAGE_HEADER + 2 * i) else {
                break;
            };
            let off = off as usize;
            if p.get(off) != Some(&HOFFPAGE) {
                continue;
            }
            let (Some(first), Some(_)) = (order.u32(p, off + 4), order.u32(p, off + 8)) else {
                bail!("page {n}: truncated overflow item");
            };
            out.push(overflow_chain(&page, &order, first as usize, &mut used)?);
        }
    }
    Ok(out)
}

fn overflow_chain<'a>(
    page: &impl Fn(usize) -> Option<&'a [u8]>,
    order: &Order,
    first: usize,
    used: &mut [bool],
) -> Result<Vec<u8>> {
    // The chunks first, then one allocation of their exact total: the item's own length
    // field is the attacker's and is not trusted for a capacity.
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut n = first;
    while n != 0 {
        let Some(p) = page(n).filter(|_| n < used.len()) else {
            bail!("overflow page {n} is past the end of the file");
        };
        ensure!(
            !used[n],
            "overflow page {n} is reached twice (a looping or shared chain)"
        );
        used[n] = true;
        ensure!(p[25] == OVERFLOW, "page {n} is not an overflow page");
        let next = order.u32(p, 16).unwrap_or(0) as usize;
        let len = if next == 0 {
            order.u16(p, 22).unwrap_or(0) as usize
        } else {
            p.len() - PAGE_HEADER
        };
        let Some(chunk) = p.get(PAGE_HEADER..PAGE_HEADER + len) else {
            bail!("overflow page {n}: length {len} past the page");
        };
        chunks.push(chunk);
        n = next;
    }
    Ok(chunks.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian hash file: metadata page, one hash page with one pair, and the value
    /// on two overflow pages.
    fn file(value: &[u8], page_size: usize) -> Vec<u8> {
        let mut f = vec![0u8; page_size * 4];
        f[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        f[20..24].copy_from_slice(&(page_size as u32).to_le_bytes());
        f[25] = HASH_META;
        f[32..36].copy_from_slice(&3u32.to_le_bytes());
        let h = page_size;
        f[h + 25] = HASH;
        f[h + 20..h + 22].copy_from_slice(&2u16.to_le_bytes());
        let key_off = page_size - 8;
        let data_off = page_size - 20;
        f[h + 26..h + 28].copy_from_slice(&(key_off as u16).to_le_bytes());
        f[h + 28..h + 30].copy_from_slice(&(data_off as u16).to_le_bytes());
        f[h + key_off] = 1; // H_KEYDATA
        f[h + data_off] = HOFFPAGE;
        f[h + data_off + 4..h + data_off + 8].copy_from_slice(&2u32.to_le_bytes());
        f[h + data_off + 8..h + data_off + 12].copy_from_slice(&(value.len() as u32).to_le_bytes());
        let room = page_size - PAGE_HEADER;
        let (a, b) = value.split_at(room.min(value.len()));
        for (n, chunk, next) in [(2usize, a, 3u32), (3, b, 0)] {
            let o = n * page_size;
            f[o + 25] = OVERFLOW;
            f[o + 16..o + 20].copy_from_slice(&next.to_le_bytes());
            f[o + 22..o + 24].copy_from_slice(&(chunk.len() as u16).to_le_bytes());
            f[o + PAGE_HEADER..o + PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
        }
        f
    }

    #[test]
    fn follows_overflow_chains() {
        let value: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        assert_eq!(values(&file(&value, 512)).unwrap(), vec![value]);
    }

    #[test]
    fn a_looping_chain_is_an_error() {
        let value = vec![7u8; 700];
        let mut f = file(&value, 512);
        // The last overflow page points back at the first.
        f[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        assert!(values(&f).is_err());
        assert!(values(&[0u8; 600]).is_err());
    }

    /// A second item pointing at the first item's chain: before, each item got its own copy
    /// (16,000 such items over a 3 MB chain asked for tens of GB); now the file is refused.
    #[test]
    fn a_chain_two_items_share_is_an_error_not_a_second_copy() {
        let value = vec![9u8; 700];
        let mut f = file(&value, 512);
        let h = 512;
        // Two more entries on the hash page: a key, and a data item on the same chain.
        f[h + 20..h + 22].copy_from_slice(&4u16.to_le_bytes());
        let (key2, data2) = (512 - 40, 512 - 52);
        f[h + 30..h + 32].copy_from_slice(&(key2 as u16).to_le_bytes());
        f[h + 32..h + 34].copy_from_slice(&(data2 as u16).to_le_bytes());
        f[h + key2] = 1;
        f[h + data2] = HOFFPAGE;
        f[h + data2 + 4..h + data2 + 8].copy_from_slice(&2u32.to_le_bytes());
        f[h + data2 + 8..h + data2 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = values(&f).unwrap_err().to_string();
        assert!(err.contains("reached twice"), "{err}");
    }
}
