//! Tests for the IDX reader: round trips (raw, gzipped, from disk) and rejection of
//! every kind of malformed input with the right error variant.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use atrous_tensor::idx::{
    IdxArray, IdxError, MAX_IDX_BYTES, read_idx, read_idx_file, read_idx_header, read_idx_header_file,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;

/// Encodes a u8 IDX file: magic `00 00 type ndim`, big-endian dims, then `data`.
fn idx_bytes_typed(type_byte: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, type_byte, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    idx_bytes_typed(0x08, dims, data)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), so round trips use non-trivial data.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// A fresh, unique directory under the system temp dir (removed by the caller).
fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "atrous-idx-test-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A reader handing out at most one byte per call, to exercise short reads.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A reader that fails after yielding some bytes.
struct FailingAfter<'a>(&'a [u8]);

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn round_trip_raw() {
    let data = pattern(3 * 5 * 7);
    let arr = read_idx(&idx_bytes(&[3, 5, 7], &data)[..]).unwrap();
    assert_eq!(arr, IdxArray { dims: vec![3, 5, 7], data });
}

#[test]
fn round_trip_all_ranks() {
    for dims in [&[6u32][..], &[2, 3], &[2, 3, 4], &[2, 3, 4, 5]] {
        let len = dims.iter().product::<u32>() as usize;
        let data = pattern(len);
        let arr = read_idx(&idx_bytes(dims, &data)[..]).unwrap();
        assert_eq!(arr.dims, dims.iter().map(|&d| d as usize).collect::<Vec<_>>());
        assert_eq!(arr.data, data);
    }
}

#[test]
fn round_trip_gzip() {
    let data = pattern(100 * 28 * 28);
    let gz = gzip(&idx_bytes(&[100, 28, 28], &data));
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    let arr = read_idx(&gz[..]).unwrap();
    assert_eq!(arr.dims, vec![100, 28, 28]);
    assert_eq!(arr.data, data);
}

#[test]
fn round_trip_multi_member_gzip() {
    // Split the file across two concatenated gzip members (as `cat a.gz b.gz` would).
    let data = pattern(50);
    let raw = idx_bytes(&[50], &data);
    let mut gz = gzip(&raw[..20]);
    gz.extend(gzip(&raw[20..]));
    assert_eq!(read_idx(&gz[..]).unwrap().data, data);
}

#[test]
fn round_trip_one_byte_reads() {
    let data = pattern(40);
    let raw = idx_bytes(&[4, 10], &data);
    assert_eq!(read_idx(OneByte(&raw)).unwrap().data, data);
    let gz = gzip(&raw);
    assert_eq!(read_idx(OneByte(&gz)).unwrap().data, data);
}

#[test]
fn round_trip_files_on_disk() {
    let dir = temp_dir("roundtrip");
    let data = pattern(12 * 28 * 28);
    let raw = idx_bytes(&[12, 28, 28], &data);
    let raw_path = dir.join("images-idx3-ubyte");
    let gz_path = dir.join("images-idx3-ubyte.gz");
    std::fs::write(&raw_path, &raw).unwrap();
    std::fs::write(&gz_path, gzip(&raw)).unwrap();
    for path in [&raw_path, &gz_path] {
        let arr = read_idx_file(path).unwrap();
        assert_eq!(arr.dims, vec![12, 28, 28]);
        assert_eq!(arr.data, data);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_errors_name_the_file() {
    let dir = temp_dir("named");
    let path = dir.join("train-images-idx3-ubyte.gz");
    std::fs::write(&path, gzip(&idx_bytes(&[60000, 28, 28], &pattern(1000)))).unwrap();
    let err = read_idx_file(&path).unwrap_err();
    assert!(matches!(err, IdxError::InFile { .. }));
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(matches!(err.inner(), IdxError::Truncated { expected: 47_040_000, found: 1000 }));
    assert_eq!(
        err.to_string(),
        format!("{}: truncated IDX data: header promises 47040000 bytes, file has 1000", path.display())
    );

    let missing = dir.join("does-not-exist");
    let err = read_idx_file(&missing).unwrap_err();
    assert!(matches!(err.inner(), IdxError::Io(e) if e.kind() == io::ErrorKind::NotFound));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_truncated_data() {
    let bytes = idx_bytes(&[10, 10], &pattern(99));
    let err = read_idx(&bytes[..]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { expected: 100, found: 99 }), "{err}");
    // Same, gzipped: the gzip stream is fine, the IDX content is short.
    let err = read_idx(&gzip(&bytes)[..]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { .. }), "{err}");
}

#[test]
fn rejects_truncated_header() {
    let full = idx_bytes(&[10, 10, 10], &pattern(1000));
    // Cut inside the magic and inside the dimensions.
    for cut in [0, 1, 3, 4, 7, 15] {
        let err = read_idx(&full[..cut]).unwrap_err();
        assert!(matches!(err, IdxError::TruncatedHeader { found, .. } if found == cut), "cut {cut}: {err}");
    }
    let err = read_idx(&full[..9]).unwrap_err();
    assert!(matches!(err, IdxError::TruncatedHeader { expected: 16, found: 9 }));
}

#[test]
fn rejects_wrong_magic() {
    for first in [[0x01, 0x00], [0x00, 0x01], [0xff, 0xff], [0x1f, 0x00]] {
        let mut bytes = idx_bytes(&[4], &[1, 2, 3, 4]);
        bytes[..2].copy_from_slice(&first);
        let err = read_idx(&bytes[..]).unwrap_err();
        assert!(matches!(err, IdxError::BadMagic { .. }), "{first:?}: {err}");
    }
    // Unknown type byte is a bad magic, not an unsupported type.
    for ty in [0x00, 0x07, 0x0A, 0x0F, 0xff] {
        let err = read_idx(&idx_bytes_typed(ty, &[4], &[1, 2, 3, 4])[..]).unwrap_err();
        assert!(matches!(err, IdxError::BadMagic { .. }), "{ty:#x}: {err}");
    }
}

#[test]
fn rejects_unsupported_type() {
    for ty in [0x09, 0x0B, 0x0C, 0x0D, 0x0E] {
        let err = read_idx(&idx_bytes_typed(ty, &[4], &[1, 2, 3, 4])[..]).unwrap_err();
        assert!(
            matches!(err, IdxError::UnsupportedType { type_byte, .. } if type_byte == ty),
            "{ty:#x}: {err}"
        );
    }
}

#[test]
fn rejects_bad_rank() {
    let err = read_idx(&[0u8, 0, 8, 0, 1, 2, 3][..]).unwrap_err();
    assert!(matches!(err, IdxError::BadRank { ndim: 0 }), "{err}");
    let err = read_idx(&idx_bytes(&[1, 1, 1, 1, 1], &[7])[..]).unwrap_err();
    assert!(matches!(err, IdxError::BadRank { ndim: 5 }), "{err}");
    let err = read_idx(&[0u8, 0, 8, 255][..]).unwrap_err();
    assert!(matches!(err, IdxError::BadRank { ndim: 255 }), "{err}");
}

#[test]
fn rejects_zero_dimension() {
    let err = read_idx(&idx_bytes(&[3, 0, 2], &[])[..]).unwrap_err();
    assert!(matches!(err, IdxError::ZeroDim { axis: 1, .. }), "{err}");
    let err = read_idx(&idx_bytes(&[0], &[])[..]).unwrap_err();
    assert!(matches!(err, IdxError::ZeroDim { axis: 0, .. }), "{err}");
}

#[test]
fn huge_header_over_tiny_body_fails_without_allocating() {
    // 2^32 items: over the cap, rejected before reading.
    let err = read_idx(&idx_bytes(&[65536, 65536], &pattern(100))[..]).unwrap_err();
    assert!(matches!(err, IdxError::TooLarge { .. } | IdxError::Truncated { .. }), "{err}");
    assert!(matches!(err, IdxError::TooLarge { bytes: Some(b), .. } if b == 1 << 32));
    // Product overflowing u64 entirely.
    let err = read_idx(&idx_bytes(&[u32::MAX; 4], &[])[..]).unwrap_err();
    assert!(matches!(err, IdxError::TooLarge { .. }), "{err}");
    // Exactly at the cap: allowed by the header check, so the reader must notice the
    // short body without reserving 2 GiB (an up-front reservation would be visible as
    // an out-of-memory abort or a very slow test on small machines).
    let at_cap = [32768u32, 65536];
    assert_eq!(u64::from(at_cap[0]) * u64::from(at_cap[1]), MAX_IDX_BYTES);
    let err = read_idx(&idx_bytes(&at_cap, &pattern(100))[..]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { expected: MAX_IDX_BYTES, found: 100 }), "{err}");
    // Same through gzip.
    let err = read_idx(&gzip(&idx_bytes(&at_cap, &pattern(100)))[..]).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { found: 100, .. }), "{err}");
}

#[test]
fn rejects_trailing_data() {
    let mut bytes = idx_bytes(&[2, 2], &[1, 2, 3, 4]);
    bytes.extend_from_slice(&[5, 6, 7]);
    let err = read_idx(&bytes[..]).unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingData { expected: 4, extra: 3, extra_is_lower_bound: false }),
        "{err}"
    );
    let err = read_idx(&gzip(&bytes)[..]).unwrap_err();
    assert!(matches!(err, IdxError::TrailingData { extra: 3, .. }), "{err}");
}

#[test]
fn rejects_gzip_garbage() {
    let mut bytes = vec![0x1f, 0x8b];
    bytes.extend(pattern(200));
    let err = read_idx(&bytes[..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
    // Just the gzip magic.
    let err = read_idx(&[0x1f, 0x8b][..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
    // A valid gzip header followed by a corrupt deflate stream.
    let mut gz = gzip(&idx_bytes(&[64], &pattern(64)));
    let body_end = gz.len() - 8;
    for b in &mut gz[10..body_end] {
        *b = 0xff;
    }
    let err = read_idx(&gz[..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
    // Valid gzip member followed by junk that is not another member.
    let mut gz = gzip(&idx_bytes(&[64], &pattern(64)));
    gz.extend_from_slice(b"junk");
    let err = read_idx(&gz[..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
}

#[test]
fn rejects_gzip_bad_crc() {
    let mut gz = gzip(&idx_bytes(&[64], &pattern(64)));
    let crc_pos = gz.len() - 8;
    gz[crc_pos] ^= 0x01;
    let err = read_idx(&gz[..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[test]
fn rejects_gzip_cut_in_half() {
    let gz = gzip(&idx_bytes(&[50, 28, 28], &pattern(50 * 28 * 28)));
    let err = read_idx(&gz[..gz.len() / 2]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
    // Cut just before the end (missing part of the CRC/length trailer).
    let err = read_idx(&gz[..gz.len() - 3]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
}

#[test]
fn underlying_io_errors_are_io_not_gzip() {
    let raw = idx_bytes(&[1000], &pattern(1000));
    let err = read_idx(FailingAfter(&raw[..500])).unwrap_err();
    assert!(matches!(err, IdxError::Io(_)), "{err}");
    let gz = gzip(&raw);
    let err = read_idx(FailingAfter(&gz[..gz.len() / 2])).unwrap_err();
    assert!(matches!(err, IdxError::Io(_)), "{err}");
}

#[test]
fn error_messages_carry_the_numbers() {
    let msg = read_idx(&idx_bytes(&[65536, 65536], &[])[..]).unwrap_err().to_string();
    assert!(msg.contains("4294967296") && msg.contains("2147483648"), "{msg}");
    let msg = read_idx(&idx_bytes_typed(0x0D, &[1], &[0])[..]).unwrap_err().to_string();
    assert!(msg.contains("0x0d") && msg.contains("f32"), "{msg}");
    let msg = read_idx(&[0xde, 0xad, 0xbe, 0xef][..]).unwrap_err().to_string();
    assert!(msg.contains("0xdeadbeef"), "{msg}");
}

/// A reader that returns `ErrorKind::Interrupted` before every chunk it hands out, so every
/// read loop must retry.
struct Interrupting<'a> {
    bytes: &'a [u8],
    interrupt_next: bool,
}

impl Read for Interrupting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt_next = !self.interrupt_next;
        if !self.interrupt_next {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.bytes.len()).min(7);
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn interrupted_reads_are_retried_raw_and_gzip() {
    let data = pattern(4 * 9 * 9);
    let raw = idx_bytes(&[4, 9, 9], &data);
    let arr = read_idx(Interrupting { bytes: &raw, interrupt_next: true }).unwrap();
    assert_eq!(arr, IdxArray { dims: vec![4, 9, 9], data: data.clone() });
    let gz = gzip(&raw);
    assert_eq!(read_idx(Interrupting { bytes: &gz, interrupt_next: true }).unwrap().data, data);
    assert_eq!(read_idx_header(Interrupting { bytes: &raw, interrupt_next: true }).unwrap(), vec![4, 9, 9]);
    // Short reads never take more than the data promised: what follows is trailing data.
    let mut long = raw.clone();
    long.extend_from_slice(&[1, 2, 3, 4, 5]);
    let err = read_idx(Interrupting { bytes: &long, interrupt_next: true }).unwrap_err();
    assert!(matches!(err, IdxError::TrailingData { expected: 324, extra: 5, .. }), "{err}");
    // An interruption is not a failure of the reader: corruption after one is still gzip's.
    let mut bad = gz.clone();
    let crc_pos = bad.len() - 8;
    bad[crc_pos] ^= 0x01;
    let err = read_idx(Interrupting { bytes: &bad, interrupt_next: true }).unwrap_err();
    assert!(matches!(err, IdxError::Gzip(_)), "{err}");
}

#[test]
fn header_only_read_gives_the_dims_without_the_data() {
    let raw = idx_bytes(&[3, 4, 5], &pattern(60));
    assert_eq!(read_idx_header(&raw[..]).unwrap(), vec![3, 4, 5]);
    assert_eq!(read_idx_header(&gzip(&raw)[..]).unwrap(), vec![3, 4, 5]);
    // The data is not read: a header over a missing body is fine here, and read_idx refuses it.
    let header = idx_bytes(&[60000, 28, 28], &[]);
    assert_eq!(read_idx_header(&header[..]).unwrap(), vec![60000, 28, 28]);
    assert!(matches!(read_idx(&header[..]), Err(IdxError::Truncated { expected: 47_040_000, found: 0 })));
    // The header checks are read_idx's.
    assert!(matches!(read_idx_header(&idx_bytes(&[2, 0], &[])[..]), Err(IdxError::ZeroDim { axis: 1, .. })));
    assert!(matches!(
        read_idx_header(&idx_bytes(&[65536, 65536], &[])[..]),
        Err(IdxError::TooLarge { bytes: Some(4_294_967_296), .. })
    ));
    assert!(matches!(read_idx_header(&raw[..9]), Err(IdxError::TruncatedHeader { expected: 16, found: 9 })));

    let dir = temp_dir("header");
    let path = dir.join("labels.gz");
    std::fs::write(&path, gzip(&header)).unwrap();
    assert_eq!(read_idx_header_file(&path).unwrap(), vec![60000, 28, 28]);
    let missing = dir.join("missing");
    let err = read_idx_header_file(&missing).unwrap_err();
    assert_eq!(err.path(), Some(missing.as_path()));
    assert!(matches!(err.inner(), IdxError::Io(e) if e.kind() == io::ErrorKind::NotFound));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn raw_file_shorter_than_promised_reports_the_bytes_it_has() {
    // Rank 3: a 16-byte header, 60 data bytes promised, 40 present. The count comes from the
    // file's size minus the header's length (4 + 4·rank), before any data is read.
    let dir = temp_dir("short");
    let path = dir.join("short-idx3-ubyte");
    std::fs::write(&path, idx_bytes(&[3, 4, 5], &pattern(40))).unwrap();
    let err = read_idx_file(&path).unwrap_err();
    assert!(matches!(err.inner(), IdxError::Truncated { expected: 60, found: 40 }), "{err}");
    // Rank 1 and 4 likewise (header 8 and 20 bytes).
    std::fs::write(&path, idx_bytes(&[30], &pattern(21))).unwrap();
    assert!(matches!(
        read_idx_file(&path).unwrap_err().inner(),
        IdxError::Truncated { expected: 30, found: 21 }
    ));
    std::fs::write(&path, idx_bytes(&[2, 2, 2, 5], &pattern(33))).unwrap();
    assert!(matches!(
        read_idx_file(&path).unwrap_err().inner(),
        IdxError::Truncated { expected: 40, found: 33 }
    ));
    // Exactly the promised size is read; a longer file is trailing data, not a short one.
    std::fs::write(&path, idx_bytes(&[2, 2, 2, 5], &pattern(40))).unwrap();
    assert_eq!(read_idx_file(&path).unwrap().data, pattern(40));
    std::fs::write(&path, idx_bytes(&[2, 2, 2, 5], &pattern(47))).unwrap();
    assert!(matches!(
        read_idx_file(&path).unwrap_err().inner(),
        IdxError::TrailingData { expected: 40, extra: 7, extra_is_lower_bound: false }
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trailing_bytes_are_counted_up_to_one_mebibyte_then_reported_as_a_lower_bound() {
    const LIMIT: u64 = 1 << 20;
    let mut bytes = idx_bytes(&[4], &[1, 2, 3, 4]);
    bytes.resize(bytes.len() + LIMIT as usize, 9);
    let err = read_idx(&bytes[..]).unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingData { expected: 4, extra: LIMIT, extra_is_lower_bound: false }),
        "{err}"
    );
    bytes.push(9);
    let err = read_idx(&bytes[..]).unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingData { expected: 4, extra: LIMIT, extra_is_lower_bound: true }),
        "{err}"
    );
    assert!(err.to_string().contains("at least 1048576 more"), "{err}");
    // One trailing byte is already too many.
    let mut bytes = idx_bytes(&[4], &[1, 2, 3, 4]);
    bytes.push(0);
    assert!(matches!(
        read_idx(&bytes[..]),
        Err(IdxError::TrailingData { expected: 4, extra: 1, extra_is_lower_bound: false })
    ));
}

#[test]
fn data_buffer_never_grows_past_the_promised_size() {
    // A stream of unknown size grows its buffer as bytes arrive (doubling, capped at the promise),
    // a file of known size reserves the promise once: either way no more than promised.
    for len in [1usize, 65_536, 100_000, 300_000] {
        let data = pattern(len);
        let raw = idx_bytes(&[len as u32], &data);
        let arr = read_idx(&raw[..]).unwrap();
        assert_eq!(arr.data, data);
        assert_eq!(arr.data.capacity(), len, "stream of {len} bytes");
        let arr = read_idx(&gzip(&raw)[..]).unwrap();
        assert_eq!(arr.data.capacity(), len, "gzip stream of {len} bytes");
    }
    let dir = temp_dir("capacity");
    let path = dir.join("data");
    std::fs::write(&path, idx_bytes(&[300, 1000], &pattern(300_000))).unwrap();
    assert_eq!(read_idx_file(&path).unwrap().data.capacity(), 300_000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nested_file_context_unwraps_to_the_cause_and_names_the_outer_file() {
    let cause = IdxError::ZeroDim { axis: 2, dims: vec![1, 1, 0] };
    let err = cause.in_file("inner.idx").in_file("outer.gz");
    assert_eq!(err.path(), Some(std::path::Path::new("outer.gz")));
    assert!(matches!(err.inner(), IdxError::ZeroDim { axis: 2, .. }));
    assert_eq!(err.to_string(), "outer.gz: inner.idx: IDX dimension 2 is zero (dims [1, 1, 0])");
    let bare = IdxError::BadRank { ndim: 9 };
    assert_eq!(bare.path(), None);
    assert!(matches!(bare.inner(), IdxError::BadRank { ndim: 9 }));
}

/// A well-formed u8 IDX header (rank 1 to 4, small dims) plus a body of random length.
fn header_and_body() -> impl Strategy<Value = (Vec<u32>, Vec<u8>)> {
    (prop::collection::vec(1u32..6, 1..=4), 0usize..700).prop_map(|(dims, len)| (dims, pattern(len)))
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_idx(&bytes[..]);
    }

    #[test]
    fn random_bytes_after_gzip_magic_never_panic(tail in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = vec![0x1f, 0x8b];
        bytes.extend(tail);
        let _ = read_idx(&bytes[..]);
    }

    #[test]
    fn random_bytes_after_idx_magic_never_panic(
        ty in prop_oneof![Just(0x08u8), any::<u8>()],
        ndim in 0u8..6,
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = vec![0, 0, ty, ndim];
        bytes.extend(tail);
        let _ = read_idx(&bytes[..]);
    }

    #[test]
    fn corrupted_gzip_never_panics(
        pos in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let mut gz = gzip(&idx_bytes(&[8, 8], &pattern(64)));
        let i = pos.index(gz.len());
        gz[i] ^= flip;
        let end = cut.index(gz.len() + 1);
        let _ = read_idx(&gz[..end]);
    }

    #[test]
    fn well_formed_headers_give_data_or_size_error((dims, body) in header_and_body()) {
        let expected: usize = dims.iter().product::<u32>() as usize;
        let bytes = idx_bytes(&dims, &body);
        match read_idx(&bytes[..]) {
            Ok(arr) => {
                prop_assert_eq!(body.len(), expected);
                prop_assert_eq!(arr.data, body);
            }
            Err(IdxError::Truncated { expected: e, found }) => {
                prop_assert!(body.len() < expected);
                prop_assert_eq!(e, expected as u64);
                prop_assert_eq!(found, body.len() as u64);
            }
            Err(IdxError::TrailingData { expected: e, extra, .. }) => {
                prop_assert!(body.len() > expected);
                prop_assert_eq!(e, expected as u64);
                prop_assert_eq!(extra, (body.len() - expected) as u64);
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}
