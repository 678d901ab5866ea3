//! Reader for the IDX file format used by MNIST.
//!
//! An IDX file is a big-endian header followed by a dense row-major array:
//!
//! ```text
//! [0x00, 0x00, type, ndim]   magic: two zero bytes, element type, number of dimensions
//! ndim x u32 (big-endian)    the dimensions, outermost first
//! data                       product(dims) elements, row-major
//! ```
//!
//! Only the unsigned-byte element type (`0x08`) is supported, which is all MNIST uses.
//! Files may be raw or gzip-compressed; gzip is detected from its magic bytes
//! (`0x1f 0x8b`) and decompressed as a stream.
//!
//! The reader treats its input as untrusted: it validates the header, caps the size a
//! header may promise ([`MAX_IDX_BYTES`]), never allocates the promised size up front
//! (a header claiming gigabytes over a tiny file fails cheaply with
//! [`IdxError::Truncated`] or [`IdxError::TooLarge`]), rejects trailing bytes, and
//! reports gzip corruption separately from I/O failures. It never panics on bad input.
//! [`read_idx_header_file`] reads only a header, so a caller can check what a file claims
//! (e.g. as many images as labels) before its data is decompressed; the data buffer grows as
//! bytes arrive and never past the promised size, and a raw file shorter than its header
//! promises is refused from its size alone.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use byteorder::{BigEndian, ByteOrder};
use flate2::read::MultiGzDecoder;

/// Largest data size, in bytes, that an IDX header may promise (2 GiB).
///
/// Headers describing more data are rejected with [`IdxError::TooLarge`] before any
/// data is read.
pub const MAX_IDX_BYTES: u64 = 1 << 31;

/// The IDX element-type byte for unsigned bytes, the only type this reader accepts.
pub const IDX_TYPE_U8: u8 = 0x08;

/// Maximum number of dimensions accepted in an IDX header.
pub const MAX_IDX_DIMS: usize = 4;

/// The two magic bytes that start every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How many bytes past the end of the data are counted before reporting
/// [`IdxError::TrailingData`] (the count is then a lower bound).
const TRAILING_SCAN_LIMIT: u64 = 1 << 20;

/// A dense array of unsigned bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions from the header, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// The elements in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

/// Errors produced while reading an IDX file.
///
/// Errors from [`read_idx_file`] are wrapped in [`IdxError::InFile`] so that the message
/// names the file; use [`IdxError::inner`] to match on the underlying cause.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// An error in a particular file; the message is `"<path>: <error>"`.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file being read.
        path: PathBuf,
        /// What went wrong in it.
        error: Box<IdxError>,
    },

    /// The underlying reader failed (including a file that could not be opened).
    #[error("I/O error: {0}")]
    Io(io::Error),

    /// The input starts like gzip but the compressed stream is corrupt or cut short
    /// (bad header, bad deflate data, CRC or length mismatch, unexpected end).
    #[error("corrupt or truncated gzip stream: {0}")]
    Gzip(io::Error),

    /// The input ended inside the IDX header.
    #[error("truncated IDX header: needed {expected} bytes, input has {found}")]
    TruncatedHeader {
        /// Header bytes needed so far (4 for the magic, then 4 per dimension).
        expected: usize,
        /// Header bytes actually present.
        found: usize,
    },

    /// The magic number is not an IDX magic (first two bytes non-zero, or an unknown
    /// type byte).
    #[error(
        "not an IDX file: bad magic number {magic:#010x} \
         (expected 0x0000TTNN with a known type byte TT)"
    )]
    BadMagic {
        /// The first four bytes of the input, as a big-endian u32.
        magic: u32,
    },

    /// A valid IDX element type other than unsigned byte.
    #[error(
        "unsupported IDX element type {type_byte:#04x} ({type_name}); only 0x08 (unsigned byte) is supported"
    )]
    UnsupportedType {
        /// The type byte from the magic number.
        type_byte: u8,
        /// Human-readable name of that type, e.g. `"f32"`.
        type_name: &'static str,
    },

    /// The number of dimensions is outside `1..=4`.
    #[error("unsupported IDX rank: header has {ndim} dimensions, expected 1 to 4")]
    BadRank {
        /// The number of dimensions from the header.
        ndim: u8,
    },

    /// One of the dimensions is zero.
    #[error("IDX dimension {axis} is zero (dims {dims:?})")]
    ZeroDim {
        /// Index of the zero dimension.
        axis: usize,
        /// All dimensions from the header.
        dims: Vec<usize>,
    },

    /// The header promises more data than [`MAX_IDX_BYTES`].
    #[error(
        "IDX header dims {dims:?} describe {} bytes, more than the {limit}-byte limit",
        bytes.map_or_else(|| "an overflowing number of".to_owned(), |b| b.to_string())
    )]
    TooLarge {
        /// All dimensions from the header.
        dims: Vec<usize>,
        /// The promised size in bytes, or `None` if it overflows `u64`.
        bytes: Option<u64>,
        /// The limit that was exceeded ([`MAX_IDX_BYTES`]).
        limit: u64,
    },

    /// The input ended before all promised data bytes were read.
    #[error("truncated IDX data: header promises {expected} bytes, file has {found}")]
    Truncated {
        /// Data bytes promised by the header.
        expected: u64,
        /// Data bytes actually present.
        found: u64,
    },

    /// Extra bytes follow the promised data.
    #[error(
        "trailing data after IDX array: header promises {expected} bytes, \
         file has {}{extra} more",
        if *extra_is_lower_bound { "at least " } else { "" }
    )]
    TrailingData {
        /// Data bytes promised by the header.
        expected: u64,
        /// Number of extra bytes found after the data.
        extra: u64,
        /// `true` if counting stopped early, so `extra` is only a lower bound.
        extra_is_lower_bound: bool,
    },
}

impl IdxError {
    /// The underlying error with any [`IdxError::InFile`] context removed.
    ///
    /// Handy for matching: `matches!(err.inner(), IdxError::Truncated { .. })`.
    pub fn inner(&self) -> &IdxError {
        let mut err = self;
        while let IdxError::InFile { error, .. } = err {
            err = error;
        }
        err
    }

    /// The file this error refers to, if known (the outermost [`IdxError::InFile`] path).
    pub fn path(&self) -> Option<&Path> {
        match self {
            IdxError::InFile { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Wraps `self` with the name of the file it came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> IdxError {
        IdxError::InFile { path: path.into(), error: Box::new(self) }
    }
}

/// Reads an IDX file (raw or gzipped) from disk.
///
/// Errors are wrapped in [`IdxError::InFile`] naming `path`. A raw file shorter than its header
/// promises is refused from its size, before any data is read.
pub fn read_idx_file(path: &Path) -> Result<IdxArray, IdxError> {
    let read = || -> Result<IdxArray, IdxError> {
        let file = File::open(path).map_err(IdxError::Io)?;
        let size = file.metadata().map_err(IdxError::Io)?.len();
        read_idx_sized(BufReader::with_capacity(1 << 16, file), Some(size))
    };
    read().map_err(|e| e.in_file(path))
}

/// The dimensions an IDX file (raw or gzipped) declares, reading (and decompressing) only its
/// header: a caller can check them, e.g. images against labels, before the data is read.
///
/// Errors are wrapped in [`IdxError::InFile`] naming `path`.
pub fn read_idx_header_file(path: &Path) -> Result<Vec<usize>, IdxError> {
    let read = || -> Result<Vec<usize>, IdxError> {
        let file = File::open(path).map_err(IdxError::Io)?;
        read_idx_header(BufReader::with_capacity(1 << 12, file))
    };
    read().map_err(|e| e.in_file(path))
}

/// The dimensions an IDX stream (raw or gzipped) declares, reading only its header; the header
/// is checked as [`read_idx`] checks it (magic, type, rank, zero dimensions, size limit).
pub fn read_idx_header(reader: impl Read) -> Result<Vec<usize>, IdxError> {
    decompressed(reader, None, |r, _| parse_header(r).map(|(dims, _)| dims))
}

/// Reads an IDX array (raw or gzipped) from any reader.
///
/// Gzip is detected from the first two bytes and decompressed as a stream
/// (concatenated gzip members are accepted). The whole input is consumed: bytes after
/// the promised data are an error ([`IdxError::TrailingData`]).
pub fn read_idx(reader: impl Read) -> Result<IdxArray, IdxError> {
    read_idx_sized(reader, None)
}

/// [`read_idx`] of an input of `size` bytes, when known: a raw input too short for what its
/// header promises is refused before its data is read.
fn read_idx_sized(reader: impl Read, size: Option<u64>) -> Result<IdxArray, IdxError> {
    decompressed(reader, size, parse)
}

/// Runs `f` on the decompressed stream (gzip detected from its magic bytes), telling gzip
/// corruption apart from failures of the underlying reader. `f` is given `raw_size`, the input's
/// size in bytes, only when the input is raw (a gzipped input's decompressed size is unknown).
fn decompressed<T>(
    reader: impl Read,
    raw_size: Option<u64>,
    f: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T, IdxError>,
) -> Result<T, IdxError> {
    let mut reader = reader;
    let mut prefix = [0u8; 2];
    let n = read_up_to(&mut reader, &mut prefix).map_err(IdxError::Io)?;
    let mut input = (&prefix[..n]).chain(reader);
    if prefix[..n] == GZIP_MAGIC {
        let mut decoder = MultiGzDecoder::new(FailureTracker::new(input));
        f(&mut decoder, None).map_err(|err| match err {
            // An I/O error coming out of the decoder is gzip corruption unless the
            // underlying reader itself failed.
            IdxError::Io(e) if !decoder.get_ref().failed => IdxError::Gzip(e),
            other => other,
        })
    } else {
        f(&mut input, raw_size)
    }
}

/// The header: dimensions and the data size they promise (checked against [`MAX_IDX_BYTES`]).
fn parse_header(reader: &mut dyn Read) -> Result<(Vec<usize>, u64), IdxError> {
    // Magic number.
    let mut magic_bytes = [0u8; 4];
    let got = read_up_to(reader, &mut magic_bytes).map_err(IdxError::Io)?;
    if got < magic_bytes.len() {
        return Err(IdxError::TruncatedHeader { expected: magic_bytes.len(), found: got });
    }
    let magic = BigEndian::read_u32(&magic_bytes);
    let [zero0, zero1, type_byte, ndim] = magic_bytes;
    if zero0 != 0 || zero1 != 0 {
        return Err(IdxError::BadMagic { magic });
    }
    match type_byte {
        IDX_TYPE_U8 => {}
        other => {
            let type_name = match other {
                0x09 => "i8",
                0x0B => "i16",
                0x0C => "i32",
                0x0D => "f32",
                0x0E => "f64",
                _ => return Err(IdxError::BadMagic { magic }),
            };
            return Err(IdxError::UnsupportedType { type_byte: other, type_name });
        }
    }
    if ndim == 0 || usize::from(ndim) > MAX_IDX_DIMS {
        return Err(IdxError::BadRank { ndim });
    }

    // Dimensions.
    let ndim = usize::from(ndim);
    let mut dim_bytes = [0u8; 4 * MAX_IDX_DIMS];
    let dim_bytes = &mut dim_bytes[..4 * ndim];
    let got = read_up_to(reader, dim_bytes).map_err(IdxError::Io)?;
    if got < dim_bytes.len() {
        return Err(IdxError::TruncatedHeader {
            expected: magic_bytes.len() + dim_bytes.len(),
            found: magic_bytes.len() + got,
        });
    }
    let dims_u32: Vec<u32> = dim_bytes.chunks_exact(4).map(BigEndian::read_u32).collect();
    let dims: Vec<usize> = dims_u32.iter().map(|&d| d as usize).collect();
    if let Some(axis) = dims_u32.iter().position(|&d| d == 0) {
        return Err(IdxError::ZeroDim { axis, dims });
    }

    // Size check, before reading (or allocating) anything.
    let too_large = |bytes| IdxError::TooLarge { dims: dims.clone(), bytes, limit: MAX_IDX_BYTES };
    let mut expected: u64 = 1;
    for &d in &dims_u32 {
        expected = expected.checked_mul(u64::from(d)).ok_or_else(|| too_large(None))?;
    }
    if expected > MAX_IDX_BYTES {
        return Err(too_large(Some(expected)));
    }
    Ok((dims, expected))
}

/// Parses header and data from an already-decompressed stream; `size` is the input's size in
/// bytes when known (a raw file).
fn parse(reader: &mut dyn Read, size: Option<u64>) -> Result<IdxArray, IdxError> {
    let (dims, expected) = parse_header(reader)?;
    let header_len = 4 + 4 * dims.len() as u64;
    let present = size.map(|s| s.saturating_sub(header_len));
    if let Some(present) = present
        && present < expected
    {
        return Err(IdxError::Truncated { expected, found: present });
    }
    let expected_len = usize::try_from(expected).map_err(|_| IdxError::TooLarge {
        dims: dims.clone(),
        bytes: Some(expected),
        limit: MAX_IDX_BYTES,
    })?;

    // Data: the buffer grows only as bytes actually arrive (the header is not trusted), and
    // never past what the header promises.
    let mut data = Vec::new();
    if present.is_some() {
        data.reserve_exact(expected_len);
    }
    let mut chunk = vec![0u8; 1 << 16];
    while data.len() < expected_len {
        let want = chunk.len().min(expected_len - data.len());
        let got = match reader.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IdxError::Io(e)),
        };
        if data.len() + got > data.capacity() {
            let grown = data.capacity().max(1 << 16).saturating_mul(2).min(expected_len);
            data.reserve_exact(grown - data.len());
        }
        data.extend_from_slice(&chunk[..got]);
    }
    if data.len() != expected_len {
        return Err(IdxError::Truncated { expected, found: data.len() as u64 });
    }

    // Nothing may follow. Reading to the end also makes a gzip decoder verify its CRC.
    let extra =
        io::copy(&mut (&mut *reader).take(TRAILING_SCAN_LIMIT + 1), &mut io::sink()).map_err(IdxError::Io)?;
    if extra > 0 {
        let extra_is_lower_bound = extra > TRAILING_SCAN_LIMIT;
        return Err(IdxError::TrailingData {
            expected,
            extra: extra.min(TRAILING_SCAN_LIMIT),
            extra_is_lower_bound,
        });
    }

    Ok(IdxArray { dims, data })
}

/// Fills as much of `buf` as the reader can provide, stopping only at end of input.
/// Returns the number of bytes read.
fn read_up_to(reader: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader wrapper remembering whether the wrapped reader ever returned an error, so
/// that errors surfacing from a decompressor can be blamed on the right layer.
struct FailureTracker<R> {
    inner: R,
    failed: bool,
}

impl<R> FailureTracker<R> {
    fn new(inner: R) -> Self {
        FailureTracker { inner, failed: false }
    }
}

impl<R: Read> Read for FailureTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        if let Err(e) = &result
            && e.kind() != io::ErrorKind::Interrupted
        {
            self.failed = true;
        }
        result
    }
}
