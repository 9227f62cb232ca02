//! HNSW index files, kept beside the space they index (`NAME.vsp` → `NAME.hnsw`); the bottom
//! layer — almost all of the file — is memory-mapped, not read.
//!
//! Layout, little-endian: a 64-byte header (magic `VSHNSW\0\x01`, dims u32, m u32, nodes u64,
//! entry u32, upper-layer count u32, the space's fingerprint u64, zero padding), the bottom layer's
//! `nodes × 2m` u32 links (`u32::MAX` for an unused slot), then each upper layer as a u64 count
//! followed by that many records of node u32 and `m` link slots.
//!
//! The fingerprint is of the rows the index was built over, so an index over the first rows of a
//! space that has grown since is recognised ([`open_prefix`]) and can be extended.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use vecspace_core::Space;
use vecspace_core::search::hnsw::{EMPTY, Hnsw};

use crate::error::Location;
use crate::{Error, Result};

pub const MAGIC: &[u8; 8] = b"VSHNSW\0\x01";
const HEADER: usize = 64;

/// The index file that belongs beside a space file.
pub fn path_beside(space_file: &Path) -> PathBuf {
    space_file.with_extension("hnsw")
}

/// The space's [`Rows::fingerprint`](vecspace_core::search::Rows::fingerprint): an index built
/// for other rows is refused.
pub fn fingerprint(space: &Space) -> u64 {
    space.rows().fingerprint()
}

/// Writes `index` (atomically).
pub fn write(index: &Hnsw, fingerprint: u64, path: &Path) -> Result<()> {
    let io = |e| Error::io(path, e);
    // Everything after the header, written twice: once for the header's checksum, once to the file.
    let body = |out: &mut dyn Write| -> Result<()> {
        let bottom: Vec<u8> = index.bottom().iter().flat_map(|x| x.to_le_bytes()).collect();
        out.write_all(&bottom).map_err(io)?;
        for layer in index.upper() {
            out.write_all(&(layer.len() as u64).to_le_bytes()).map_err(io)?;
            let mut nodes: Vec<&u32> = layer.keys().collect();
            nodes.sort();
            for node in nodes {
                let mut record = node.to_le_bytes().to_vec();
                let links = &layer[node];
                for slot in 0..index.m() {
                    record.extend_from_slice(&links.get(slot).copied().unwrap_or(EMPTY).to_le_bytes());
                }
                out.write_all(&record).map_err(io)?;
            }
        }
        Ok(())
    };
    let mut sink = crate::checksum::Sink::default();
    body(&mut sink)?;
    let checksum = sink.checksum();
    crate::write_atomically(path, |out| {
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(index.dims() as u32).to_le_bytes());
        header.extend_from_slice(&(index.m() as u32).to_le_bytes());
        header.extend_from_slice(&(index.nodes() as u64).to_le_bytes());
        header.extend_from_slice(&index.entry().to_le_bytes());
        header.extend_from_slice(&(index.upper().len() as u32).to_le_bytes());
        header.extend_from_slice(&fingerprint.to_le_bytes());
        header.extend_from_slice(&checksum.to_le_bytes());
        header.extend_from_slice(&crate::checksum::SHA256_64.to_le_bytes());
        header.resize(HEADER, 0);
        out.write_all(&header).map_err(io)?;
        body(out)
    })
}

/// Reads the whole index at `path` and checks it against the checksum in its header. Whether it
/// fits a space is checked when it is opened with one.
pub fn verify(path: &Path) -> Result<crate::checksum::Checked> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: read-only map, read once start to end, every access bounds-checked.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    if map.len() < HEADER || &map[..8] != MAGIC {
        return Err(Error::malformed(path, Location::Header, "not a vecspace HNSW index"));
    }
    let recorded = u64::from_le_bytes(map[40..48].try_into().expect("8 bytes"));
    let algorithm = u32::from_le_bytes(map[48..52].try_into().expect("4 bytes"));
    crate::checksum::compare(path, "HNSW index", algorithm, recorded, &map[HEADER..])
}

/// Opens the index of `space` from `path`, refusing one built for other rows or damaged.
pub fn open(path: &Path, space: &Space) -> Result<Hnsw> {
    read(path, space, Covers::Every)
}

/// Opens an index built for `space` or for its first rows (a space that has grown since, which
/// [`Hnsw::extend`] brings up to date), refusing one built for other rows or damaged.
pub fn open_prefix(path: &Path, space: &Space) -> Result<Hnsw> {
    read(path, space, Covers::Prefix)
}

/// Which rows of the space an index must have been built over.
#[derive(Clone, Copy, PartialEq)]
enum Covers {
    Every,
    Prefix,
}

fn read(path: &Path, space: &Space, covers: Covers) -> Result<Hnsw> {
    let bad = |location: Location, message: String| Error::malformed(path, location, message);
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: read-only private map of a file in the cache; every access below is bounds-checked.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    if map.len() < HEADER || &map[..8] != MAGIC {
        return Err(bad(Location::Header, "not a vecspace HNSW index".into()));
    }
    let u32_at = |at: usize| u32::from_le_bytes(map[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(map[at..at + 8].try_into().expect("8 bytes"));
    let (dims, m, nodes, entry, layers, print) =
        (u32_at(8) as usize, u32_at(12) as usize, u64_at(16), u32_at(24), u32_at(28) as usize, u64_at(32));
    let fits = match covers {
        Covers::Every => nodes == space.len() as u64 && print == fingerprint(space),
        Covers::Prefix => nodes <= space.len() as u64 && print == space.rows().prefix(nodes as usize).fingerprint(),
    };
    if dims != space.dims() || !fits {
        return Err(bad(
            Location::Header,
            // Opening a space with `--index hnsw` builds a new index when this one does not fit.
            format!("built for another space ({nodes} rows × {dims})"),
        ));
    }
    if !(2..=1024).contains(&m) || layers > 64 || !cfg!(target_endian = "little") {
        return Err(bad(Location::Header, format!("implausible parameters m = {m}, {layers} layers")));
    }
    let bottom_len =
        (nodes as usize).checked_mul(2 * m).ok_or_else(|| bad(Location::Header, "the shape overflows".into()))?;
    let mut at = HEADER + 4 * bottom_len;
    if at > map.len() {
        return Err(bad(Location::Byte(HEADER as u64), "the bottom layer is truncated".into()));
    }
    let mut upper = Vec::with_capacity(layers);
    for _ in 0..layers {
        if at + 8 > map.len() {
            return Err(bad(Location::Byte(at as u64), "an upper layer is truncated".into()));
        }
        let count = u64_at(at) as usize;
        at += 8;
        let record = 4 * (m + 1);
        if count > nodes as usize || at + count * record > map.len() {
            return Err(bad(Location::Byte(at as u64), "an upper layer is truncated".into()));
        }
        let mut layer = HashMap::with_capacity(count);
        for i in 0..count {
            let base = at + i * record;
            let links: Vec<u32> = (0..m).map(|s| u32_at(base + 4 + 4 * s)).filter(|&x| x != EMPTY).collect();
            layer.insert(u32_at(base), links);
        }
        at += count * record;
        upper.push(layer);
    }
    if at != map.len() {
        return Err(bad(Location::Byte(at as u64), format!("{} unexpected bytes at the end", map.len() - at)));
    }
    // Copied out of the map (tens of milliseconds for 400 000 nodes), so that nothing done to the
    // file afterwards can fault a search.
    let links: Vec<u32> = map[HEADER..HEADER + 4 * bottom_len]
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    Hnsw::from_parts(dims, m, Box::new(links), upper, entry).map_err(|e| bad(Location::Header, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vecspace_core::progress::Silent;
    use vecspace_core::search::hnsw::HnswParams;
    use vecspace_core::search::{Scoring, SearchEngine};

    #[test]
    fn saved_indexes_answer_like_the_built_one_and_damage_is_refused() {
        let words: Vec<String> = (0..2000).map(|i| format!("w{i}")).collect();
        let mut rng = vecspace_core::random::SplitMix64(11);
        let data: Vec<f32> = (0..2000 * 8).map(|_| rng.next_f64() as f32 - 0.5).collect();
        let space = Space::from_rows(words, data, 8).unwrap();
        let built = Hnsw::build(space.rows(), HnswParams::default(), &Silent);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toy.hnsw");
        write(&built, fingerprint(&space), &path).unwrap();
        let opened = open(&path, &space).unwrap();
        for q in 0..50 {
            let query = space.unit_vector(q * 7);
            assert_eq!(
                opened.nearest(space.rows(), &query, 10, Scoring::default(), &[]).unwrap(),
                built.nearest(space.rows(), &query, 10, Scoring::default(), &[]).unwrap()
            );
        }
        // Another space, a truncated file, a wrong magic.
        let other = Space::from_rows(vec!["a".into(), "b".into()], vec![1.0; 16], 8).unwrap();
        let err = open(&path, &other).unwrap_err().to_string();
        assert!(err.contains("another space") && !err.contains("--rebuild"), "{err}");
        // The same space grown by 100 rows: only `open_prefix` takes the index; one whose first
        // rows changed is another space to both.
        let grow = |data: &[f32]| {
            let words: Vec<String> = (0..2100).map(|i| format!("w{i}")).collect();
            let mut grown = data.to_vec();
            grown.extend((0..100 * 8).map(|i| (i % 7) as f32 - 3.0));
            Space::from_rows(words, grown, 8).unwrap()
        };
        let grown = grow(space.rows().data);
        assert!(open(&path, &grown).unwrap_err().to_string().contains("another space"));
        assert_eq!(open_prefix(&path, &grown).unwrap().nodes(), 2000);
        let mut changed = space.rows().data.to_vec();
        changed[3] += 1.0;
        assert!(open_prefix(&path, &grow(&changed)).unwrap_err().to_string().contains("another space"));
        let bytes = std::fs::read(&path).unwrap();
        for cut in [10, 100, bytes.len() - 3] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(open(&path, &space).is_err(), "cut at {cut}");
        }
        let mut wrong = bytes.clone();
        wrong[HEADER + 4] = 0xff;
        wrong[HEADER + 5] = 0xff;
        wrong[HEADER + 6] = 0xff;
        wrong[HEADER + 7] = 0x00;
        std::fs::write(&path, &wrong).unwrap();
        assert!(open(&path, &space).unwrap_err().to_string().contains("beyond"));
        // Damage that still parses is what the checksum is for.
        std::fs::write(&path, &bytes).unwrap();
        assert!(verify(&path).unwrap().checksum.is_some());
        let mut flipped = bytes.clone();
        flipped[HEADER + 9] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(verify(&path), Err(Error::ChecksumMismatch { .. })));
    }
}
