//! Tests for the MNIST loader: the real data in `data/mnist` (counts, shapes, canonical
//! label counts, SHA-256 of the decompressed bytes) and validation on small synthetic
//! directories.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use atrous_tensor::idx::IdxError;
use atrous_tensor::mnist::{
    IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistError, MnistSplit, NUM_CLASSES, TEST_IMAGES_FILE, TEST_LABELS_FILE,
    TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, default_data_dir,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

const TRAIN_COUNTS: [usize; NUM_CLASSES] = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS: [usize; NUM_CLASSES] = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

/// The repository's MNIST directory (found the way the binaries find it, falling back to
/// the path relative to this crate).
fn data_dir() -> PathBuf {
    default_data_dir().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist"))
}

/// The real data set, loaded once for all tests in this file.
fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| {
        let dir = data_dir();
        let start = std::time::Instant::now();
        let m = Mnist::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("loaded MNIST from {} in {:?}", dir.display(), start.elapsed());
        m
    })
}

#[test]
fn real_mnist_sizes_and_shapes() {
    let m = mnist();
    assert_eq!(m.train.n, 60_000);
    assert_eq!(m.test.n, 10_000);
    assert_eq!(m.train.len(), 60_000);
    assert_eq!(IMAGE_PIXELS, IMAGE_SIDE * IMAGE_SIDE);
    assert_eq!(m.train.images.len(), 60_000 * 28 * 28);
    assert_eq!(m.test.images.len(), 10_000 * 28 * 28);
    assert_eq!(m.train.labels.len(), 60_000);
    assert_eq!(m.test.labels.len(), 10_000);
    assert_eq!(m.train.image(59_999).len(), 784);
}

#[test]
fn real_mnist_label_counts_are_canonical() {
    let m = mnist();
    assert_eq!(m.train.label_counts(), TRAIN_COUNTS);
    assert_eq!(m.test.label_counts(), TEST_COUNTS);
}

#[test]
fn real_mnist_first_labels() {
    // Well-known first labels of each split.
    let m = mnist();
    assert_eq!(&m.train.labels[..8], &[5, 0, 4, 1, 9, 2, 1, 3]);
    assert_eq!(&m.test.labels[..8], &[7, 2, 1, 0, 4, 1, 4, 9]);
    // Images are mostly background with some full ink.
    let img = m.train.image(0);
    assert_eq!(img[0], 0);
    assert_eq!(img.iter().copied().max(), Some(255));
}

#[test]
fn real_mnist_decompressed_sha256_matches() {
    let sums = std::fs::read_to_string(data_dir().join("SHA256SUMS.raw")).unwrap();
    let expected = |name: &str| -> String {
        sums.lines()
            .find_map(|line| {
                let (hash, file) = line.split_once(char::is_whitespace)?;
                (file.trim_start_matches([' ', '*']) == name).then(|| hash.to_owned())
            })
            .unwrap_or_else(|| panic!("{name} missing from SHA256SUMS.raw"))
    };
    let m = mnist();
    // The loader strips the header; rebuild the exact decompressed file bytes from what it
    // returned, so the hash checks the loader's output, not just the files on disk.
    let files = [
        (TRAIN_IMAGES_FILE, idx_file(&[60_000, 28, 28], &m.train.images)),
        (TRAIN_LABELS_FILE, idx_file(&[60_000], &m.train.labels)),
        (TEST_IMAGES_FILE, idx_file(&[10_000, 28, 28], &m.test.images)),
        (TEST_LABELS_FILE, idx_file(&[10_000], &m.test.labels)),
    ];
    for (name, bytes) in files {
        assert_eq!(sha256_hex(&bytes), expected(name), "{name}");
    }
}

#[test]
fn subset_and_take() {
    let m = mnist();
    let s = m.train.subset(10..15);
    assert_eq!(s.n, 5);
    assert_eq!(s.labels, m.train.labels[10..15]);
    assert_eq!(s.images, m.train.images[10 * 784..15 * 784]);
    assert_eq!(s.image(0), m.train.image(10));
    let t = m.test.take(100);
    assert_eq!(t.n, 100);
    assert_eq!(t.label_counts().iter().sum::<usize>(), 100);
    assert_eq!(m.test.take(1_000_000).n, 10_000);
    assert!(m.test.take(0).is_empty());
}

#[test]
fn missing_directory_is_not_found() {
    let dir = std::env::temp_dir().join(format!("atrous-no-such-dir-{}", std::process::id()));
    let err = Mnist::load(&dir).unwrap_err();
    assert!(matches!(&err, MnistError::NotFound { name, .. } if name == TRAIN_IMAGES_FILE), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte(.gz) not found")
            && msg.contains("--data DIR")
            && msg.contains("ATROUS_DATA"),
        "{msg}"
    );
    assert!(msg.starts_with(&dir.display().to_string()), "{msg}");
}

// ---- synthetic directories ----------------------------------------------------------

/// A fresh, unique directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "atrous-mnist-test-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Encodes a u8 IDX file.
fn idx_file(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes a tiny MNIST-shaped directory: `n_train`/`n_test` examples, training files
/// gzipped and test files raw (the loader must accept both).
fn write_fake_mnist(dir: &Path, n_train: u32, n_test: u32) {
    let images = |n: u32| (0..n * 784).map(|i| (i % 251) as u8).collect::<Vec<_>>();
    let labels = |n: u32| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    write(&format!("{TRAIN_IMAGES_FILE}.gz"), gzip(&idx_file(&[n_train, 28, 28], &images(n_train))));
    write(&format!("{TRAIN_LABELS_FILE}.gz"), gzip(&idx_file(&[n_train], &labels(n_train))));
    write(TEST_IMAGES_FILE, idx_file(&[n_test, 28, 28], &images(n_test)));
    write(TEST_LABELS_FILE, idx_file(&[n_test], &labels(n_test)));
}

#[test]
fn loads_mixed_gzipped_and_raw_files() {
    let dir = temp_dir("mixed");
    write_fake_mnist(&dir, 30, 20);
    let m = Mnist::load(&dir).unwrap();
    assert_eq!((m.train.n, m.test.n), (30, 20));
    assert_eq!(m.train.label_counts(), [3; 10]);
    assert_eq!(m.test.label_counts(), [2; 10]);
    assert_eq!(m.test.image(1)[0], (784 % 251) as u8);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_single_file_is_not_found() {
    let dir = temp_dir("missing-one");
    write_fake_mnist(&dir, 10, 10);
    std::fs::remove_file(dir.join(TEST_LABELS_FILE)).unwrap();
    let err = Mnist::load(&dir).unwrap_err();
    assert!(matches!(&err, MnistError::NotFound { name, .. } if name == TEST_LABELS_FILE), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_wrong_image_shape() {
    let dir = temp_dir("shape");
    write_fake_mnist(&dir, 10, 10);
    std::fs::write(dir.join(TEST_IMAGES_FILE), idx_file(&[10, 27, 29], &vec![0; 10 * 27 * 29])).unwrap();
    let err = Mnist::load(&dir).unwrap_err();
    assert!(matches!(&err, MnistError::BadShape { dims, .. } if dims == &[10, 27, 29]), "{err}");
    assert!(err.to_string().contains(TEST_IMAGES_FILE), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_count_mismatch() {
    let dir = temp_dir("count");
    write_fake_mnist(&dir, 10, 10);
    std::fs::write(dir.join(TEST_LABELS_FILE), idx_file(&[9], &[0; 9])).unwrap();
    let err = Mnist::load(&dir).unwrap_err();
    assert!(matches!(err, MnistError::CountMismatch { images: 10, labels: 9, .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_out_of_range_label() {
    let dir = temp_dir("label");
    write_fake_mnist(&dir, 10, 10);
    let mut labels = vec![1u8; 10];
    labels[7] = 10;
    std::fs::write(dir.join(TEST_LABELS_FILE), idx_file(&[10], &labels)).unwrap();
    let err = Mnist::load(&dir).unwrap_err();
    assert!(matches!(err, MnistError::BadLabel { index: 7, label: 10, .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_file_error_names_the_file() {
    let dir = temp_dir("corrupt");
    write_fake_mnist(&dir, 10, 10);
    let path = dir.join(format!("{TRAIN_IMAGES_FILE}.gz"));
    let gz = std::fs::read(&path).unwrap();
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let err = Mnist::load(&dir).unwrap_err();
    match &err {
        MnistError::Idx(e) => {
            assert_eq!(e.path(), Some(path.as_path()));
            assert!(matches!(e.inner(), IdxError::Gzip(_)), "{err}");
        }
        other => panic!("expected an IDX error, got {other}"),
    }
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A gzip bomb: a gzipped images file whose header claims `n` images, followed by `members`
/// gzip members of 10,000 blank images each (7.84 MB decompressed, ~8 KB compressed), built by
/// repeating one compressed member, so the test writes megabytes, not gigabytes.
fn gzip_bomb(n: u32, members: usize) -> Vec<u8> {
    let mut out = gzip(&idx_file(&[n, 28, 28], &[]));
    let blank = gzip(&vec![0u8; 10_000 * 784]);
    for _ in 0..members {
        out.extend_from_slice(&blank);
    }
    out
}

/// The bomb: a 2 MB file claiming 2.7M images (2.1 GB) cost 3.1 GiB and 15 s before
/// the image/label count mismatch was seen. The headers are now compared first: here the data
/// behind the claim is cut short, so reading it first would report truncation, not the counts.
#[test]
fn gzip_bomb_count_mismatch_is_refused_from_the_headers_before_any_data() {
    let dir = temp_dir("bomb");
    write_fake_mnist(&dir, 10, 10);
    std::fs::remove_file(dir.join(TEST_IMAGES_FILE)).unwrap();
    std::fs::write(dir.join(format!("{TEST_IMAGES_FILE}.gz")), gzip_bomb(2_700_000, 3)).unwrap();
    let start = std::time::Instant::now();
    let err = Mnist::load_test(&dir).unwrap_err();
    assert!(matches!(err, MnistError::CountMismatch { images: 2_700_000, labels: 10, .. }), "{err}");
    assert!(start.elapsed().as_secs_f64() < 1.0, "took {:?}: the data was read", start.elapsed());
    // Whole files with the wrong shape are refused from their headers too.
    std::fs::write(dir.join(TEST_LABELS_FILE), idx_file(&[10, 1], &[0; 10])).unwrap();
    let err = MnistSplit::load(&dir, TEST_IMAGES_FILE, TEST_LABELS_FILE).unwrap_err();
    assert!(matches!(&err, MnistError::BadShape { dims, .. } if dims == &[10, 1]), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A raw file shorter than its header promises is refused from its size, before its data is
/// read: the message says how many bytes the file has.
#[test]
fn raw_file_shorter_than_its_header_promises_is_refused_from_its_size() {
    let dir = temp_dir("short-raw");
    let path = dir.join("short");
    std::fs::write(&path, idx_file(&[1_000_000, 28, 28], &[0; 100])).unwrap();
    let err = atrous_tensor::idx::read_idx_file(&path).unwrap_err();
    assert!(matches!(err.inner(), IdxError::Truncated { expected: 784_000_000, found: 100 }), "{err}");
    assert_eq!(atrous_tensor::idx::read_idx_header_file(&path).unwrap(), vec![1_000_000, 28, 28]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_from_loaded_subset_round_trips() {
    let dir = temp_dir("split");
    write_fake_mnist(&dir, 12, 4);
    let split = MnistSplit::load(&dir, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE).unwrap();
    assert_eq!(split.n, 12);
    assert_eq!(split.subset(2..5).labels, vec![2, 3, 4]);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- SHA-256 (FIPS 180-4), small and dependency-free ------------------------------

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

fn sha256_block(state: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 64];
    for (i, word) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for i in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

fn sha256_hex(data: &[u8]) -> String {
    let mut state: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut blocks = data.chunks_exact(64);
    for block in &mut blocks {
        sha256_block(&mut state, block);
    }
    let mut tail = blocks.remainder().to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in tail.chunks_exact(64) {
        sha256_block(&mut state, block);
    }
    state.iter().map(|w| format!("{w:08x}")).collect()
}

#[test]
fn sha256_known_answers() {
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    // Padding edge cases against lengths 55, 56 and 64 ('a' repeated).
    assert_eq!(sha256_hex(&[b'a'; 55]), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    assert_eq!(sha256_hex(&[b'a'; 56]), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    assert_eq!(sha256_hex(&[b'a'; 64]), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
