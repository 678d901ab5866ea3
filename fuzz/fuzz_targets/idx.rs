//! The IDX reader on arbitrary bytes, raw and gzipped: it never panics, an array it returns has
//! exactly the elements its dimensions promise, and reading only the header agrees.
#![no_main]

use atrous_tensor::idx::{read_idx, read_idx_header};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fn check(bytes: &[u8]) {
    let header = read_idx_header(bytes);
    match read_idx(bytes) {
        Ok(a) => {
            assert_eq!(a.data.len(), a.dims.iter().product::<usize>(), "{:?}", a.dims);
            assert_eq!(header.expect("a readable file has a readable header"), a.dims);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // The same bytes gzipped: the decoder path, with its own error mapping.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    check(&gz.finish().unwrap());
});
