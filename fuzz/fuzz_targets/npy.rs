//! The `.npy` writer round trip: an arbitrary shape (rank 0 to 8, zero and large dimensions
//! included) and arbitrary f32 bit patterns (NaN payloads, infinities, subnormals) are written
//! with `npy_bytes`, then read back by the strict NumPy 1.0 parser below, written from the format
//! description rather than from the writer: magic and version, header length, 64-byte alignment,
//! the exact dict, the shape, and every value bit for bit. A data length that disagrees with the
//! shape must be refused, never written.
#![no_main]

use arbitrary::Arbitrary;
use atrous_saliency::SaliencyError;
use atrous_saliency::writer::npy_bytes;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    dims: Vec<u32>,
    /// Elements added to (positive) or taken from (negative) the length the shape promises.
    skew: i8,
    bits: Vec<u32>,
}

/// Elements allowed in one case, so an input cannot ask for gigabytes.
const MAX_ELEMENTS: u64 = 1 << 16;

/// Parses a NumPy 1.0 `.npy` file of little-endian f32 in C order: the shape and the values as
/// bits. Anything else, or anything loose (misalignment, a header not ended by `\n`, bytes
/// left over), is an error.
fn parse_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<u32>), String> {
    let rest = bytes.strip_prefix(b"\x93NUMPY\x01\x00").ok_or("bad magic or version")?;
    let (len, rest) = rest.split_first_chunk::<2>().ok_or("no header length")?;
    let len = usize::from(u16::from_le_bytes(*len));
    if (10 + len) % 64 != 0 {
        return Err(format!("data offset {} is not a multiple of 64", 10 + len));
    }
    let (header, data) = rest.split_at_checked(len).ok_or("header longer than the file")?;
    let header = std::str::from_utf8(header).map_err(|e| e.to_string())?;
    if !header.is_ascii() {
        return Err("header is not ASCII".into());
    }
    let header = header.strip_suffix('\n').ok_or("header does not end with a newline")?;
    let dict = header.trim_end_matches(' ');
    let shape = dict
        .strip_prefix("{'descr': '<f4', 'fortran_order': False, 'shape': (")
        .and_then(|s| s.strip_suffix("), }"))
        .ok_or_else(|| format!("unexpected dict {dict:?}"))?;
    let dims = parse_shape(shape)?;
    let count = if dims.contains(&0) {
        0
    } else {
        dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("shape overflows")?
    };
    if data.len() != count.checked_mul(4).ok_or("shape overflows")? {
        return Err(format!("{} data bytes for {count} f32 values", data.len()));
    }
    let values = data.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    Ok((dims, values))
}

/// The inside of a Python tuple of non-negative integers as NumPy writes it: `` (empty),
/// `7,` (one element) or `2, 3, 4`.
fn parse_shape(text: &str) -> Result<Vec<usize>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let number = |s: &str| -> Result<usize, String> {
        let canonical = s == "0" || (!s.starts_with('0') && !s.is_empty());
        if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("bad dimension {s:?}"));
        }
        s.parse().map_err(|e| format!("dimension {s:?}: {e}"))
    };
    if let Some(one) = text.strip_suffix(',') {
        return Ok(vec![number(one)?]);
    }
    let dims = text.split(", ").map(number).collect::<Result<Vec<_>, _>>()?;
    if dims.len() < 2 {
        return Err(format!("one-element tuple without its comma: ({text})"));
    }
    Ok(dims)
}

fuzz_target!(|case: Case| {
    let dims: Vec<usize> = case.dims.iter().take(8).map(|&d| d as usize).collect();
    let promised = if dims.contains(&0) {
        Some(0)
    } else {
        dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64).filter(|&p| p <= MAX_ELEMENTS))
    };
    let Some(promised) = promised else { return };
    let len = (promised as i64 + i64::from(case.skew)).max(0) as usize;
    let values: Vec<u32> = (0..len)
        .map(|i| case.bits.get(i % case.bits.len().max(1)).copied().unwrap_or(0) ^ (i as u32).rotate_left(7))
        .collect();
    let data: Vec<f32> = values.iter().map(|&b| f32::from_bits(b)).collect();

    match npy_bytes(&dims, &data) {
        Ok(bytes) => {
            assert_eq!(len as u64, promised, "wrote {len} values for shape {dims:?}");
            let (read_dims, read_values) = parse_npy(&bytes).unwrap_or_else(|e| panic!("{e}: {dims:?}"));
            assert_eq!(read_dims, dims);
            assert_eq!(read_values, values, "values changed in the round trip, shape {dims:?}");
        }
        Err(SaliencyError::Length { expected, found, .. }) => {
            assert_ne!(len as u64, promised, "refused a consistent shape {dims:?}");
            assert_eq!((expected as u64, found), (promised, len));
        }
        Err(e) => panic!("unexpected error for shape {dims:?}, {len} values: {e}"),
    }
});
