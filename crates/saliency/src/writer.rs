//! The only file I/O of the crate: PNG pictures, NumPy `.npy` arrays and JSON, each written
//! atomically (a temporary file in the same folder, then a rename), so an interrupted run never
//! leaves a half-written file under the final name.
//!
//! `.npy` follows the NumPy format version 1.0: the magic `\x93NUMPY`, version `1 0`, a
//! little-endian `u16` header length, then an ASCII dict
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }` padded with spaces and ended by
//! `\n` so that the data starts at a multiple of 64 bytes, then the values as little-endian f32
//! in C order.

use crate::picture::RgbImage;
use crate::{Result, SaliencyError};
use serde_json::Value;
use std::path::Path;

/// Atomic file writes (temporary file + rename), the workspace's one implementation.
pub use atrous_tensor::files::write_atomic as write_atomic_bytes;

/// Writes `bytes` to `path` atomically, creating its folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(write_atomic_bytes(path, bytes)?)
}

/// The bytes of a `.npy` file (format 1.0, `<f4`, C order) holding `data` with shape `dims`.
pub fn npy_bytes(dims: &[usize], data: &[f32]) -> Result<Vec<u8>> {
    // A zero dimension makes the array empty whatever the others are; otherwise a product that
    // overflows cannot match any data (reported as usize::MAX values needed).
    let expected =
        if dims.contains(&0) { Some(0) } else { dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) };
    if expected != Some(data.len()) {
        let expected = expected.unwrap_or(usize::MAX);
        return Err(SaliencyError::Length { what: "npy", dims: dims.to_vec(), expected, found: data.len() });
    }
    let shape = match dims {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    // magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let header_len = u16::try_from(header.len()).map_err(|_| SaliencyError::Length {
        what: "npy header",
        dims: dims.to_vec(),
        expected: 0,
        found: 0,
    })?;
    let mut out = Vec::with_capacity(10 + header.len() + 4 * data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    Ok(out)
}

/// Writes `data` with shape `dims` as a `.npy` file.
pub fn write_npy(path: &Path, dims: &[usize], data: &[f32]) -> Result<()> {
    write_atomic(path, &npy_bytes(dims, data)?)
}

/// The bytes of an 8-bit RGB PNG of `image`.
pub fn png_bytes(image: &RgbImage, path_for_errors: &Path) -> Result<Vec<u8>> {
    let fail = |e: png::EncodingError| SaliencyError::Encode {
        path: path_for_errors.to_path_buf(),
        message: e.to_string(),
    };
    let (w, h) = (u32::try_from(image.width), u32::try_from(image.height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(SaliencyError::Encode {
            path: path_for_errors.to_path_buf(),
            message: format!("picture {}×{} is too large", image.width, image.height),
        });
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&image.data).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}

/// Writes `image` as a PNG file.
pub fn write_png(path: &Path, image: &RgbImage) -> Result<()> {
    write_atomic(path, &png_bytes(image, path)?)
}

/// Writes a JSON value, pretty-printed, with a final newline.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| SaliencyError::Encode { path: path.to_path_buf(), message: e.to_string() })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// An `f32` as a JSON number with its shortest decimal (`0.05f32` → `0.05`); `null` when not
/// finite.
pub fn json_f32(v: f32) -> Value {
    // `f32`'s `Display` is the shortest decimal that reads back as the same `f32`.
    v.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A list of `f32` as JSON numbers, each its shortest decimal.
pub fn json_f32s(values: &[f32]) -> Value {
    values.iter().copied().map(json_f32).collect()
}

/// One row of `index.json`: which image a map belongs to and what it explains.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    /// Position of the map in the `.npy` array.
    pub slot: usize,
    /// Index of the image in its MNIST split (`None` for a synthesised image, a class model).
    pub image: Option<usize>,
    /// The image's true label (`None` for a synthesised image).
    pub label: Option<usize>,
    /// The model's prediction.
    pub prediction: usize,
    /// The class whose score the map explains.
    pub target: usize,
    /// `S_c` of the target class.
    pub score: f32,
}

impl IndexEntry {
    /// The entry as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "slot": self.slot,
            "image": self.image,
            "label": self.label,
            "prediction": self.prediction,
            "target": self.target,
            "score": json_f32(self.score),
        })
    }
}

/// Writes `index.json`, the one index format of every array the CLI writes (saliency maps,
/// class models): `{"maps": "<file>.npy", "entries": [...], …}`, `extra` giving the root fields.
pub fn write_index(
    path: &Path,
    entries: &[IndexEntry],
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let mut root = extra;
    root.insert("entries".into(), entries.iter().map(IndexEntry::to_json).collect());
    write_json(path, &serde_json::Value::Object(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_settings_are_written_as_their_shortest_decimal() {
        assert_eq!(serde_json::to_string(&json_f32(0.05)).unwrap(), "0.05");
        assert_eq!(serde_json::to_string(&json_f32(0.01)).unwrap(), "0.01");
        assert_eq!(serde_json::to_string(&json_f32(16.36)).unwrap(), "16.36");
        assert_eq!(json_f32(f32::NAN), Value::Null);
        // What `json!` would have written: the f64 nearest the f32.
        assert_eq!(serde_json::to_string(&serde_json::json!(0.05f32)).unwrap(), "0.05000000074505806");
        // The shortest decimal reads back as the same f32.
        for v in [0.1f32, 1.0 / 3.0, 12.345_679, 1e-7, -4.2e9] {
            assert_eq!(json_f32(v).as_f64().unwrap() as f32, v);
        }
    }

    #[test]
    fn npy_header_is_aligned_and_describes_the_array() {
        let bytes = npy_bytes(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(header.ends_with('\n'));
        let data = &bytes[10 + header_len..];
        assert_eq!(data.len(), 24);
        assert_eq!(f32::from_le_bytes(data[20..24].try_into().unwrap()), 5.0);
    }

    #[test]
    fn npy_one_dimensional_shape_has_a_trailing_comma() {
        let bytes = npy_bytes(&[3], &[1.0, 2.0, 3.0]).unwrap();
        assert!(std::str::from_utf8(&bytes[10..70]).unwrap().contains("'shape': (3,)"));
        assert!(npy_bytes(&[2, 2], &[1.0]).is_err());
    }

    /// Found by the `npy` fuzz target: the shape's product was taken with `product()`, which
    /// overflowed (a panic with overflow checks) on huge dimensions before reaching a zero one.
    #[test]
    fn npy_zero_dimension_after_huge_ones_is_an_empty_array_not_an_overflow() {
        let dims = [35, 255, 1_802_201_963, 1_802_201_963, 1_802_201_917, 0];
        let bytes = npy_bytes(&dims, &[]).unwrap();
        let header = std::str::from_utf8(&bytes[10..]).unwrap();
        assert!(header.contains("'shape': (35, 255, 1802201963, 1802201963, 1802201917, 0), }"), "{header}");
        assert_eq!(bytes.len() % 64, 0, "no data after the aligned header");
        // Without the zero the product overflows: refused, not wrapped into a small count.
        let err = npy_bytes(&dims[..5], &[1.0]).unwrap_err();
        assert!(matches!(err, SaliencyError::Length { expected: usize::MAX, found: 1, .. }), "{err}");
    }

    #[test]
    fn png_round_trips_through_the_decoder() {
        let img = RgbImage { width: 2, height: 1, data: vec![255, 0, 0, 0, 0, 255] };
        let bytes = png_bytes(&img, Path::new("t.png")).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (2, 1));
        assert_eq!(&buf[..6], &img.data[..]);
    }
}
