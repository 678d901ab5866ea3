//! Loader for the MNIST handwritten-digit data set, built on the [`idx`](crate::idx) reader.
//!
//! MNIST is four IDX files: training images and labels (60,000 each) and test images and
//! labels (10,000 each). Images are 28x28 unsigned bytes (0 = background, 255 = ink),
//! labels are digits 0 to 9. Each file may be stored gzipped (`NAME.gz`, as distributed)
//! or decompressed (`NAME`); the gzipped form is tried first.
//!
//! [`Mnist::load`] reads a directory and checks shapes, image/label counts and label
//! range, so downstream code can index without re-validating.
//! [`default_data_dir`] finds the directory when none is given explicitly.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::Tensor;
use crate::idx::{IdxArray, IdxError, read_idx_file, read_idx_header_file};

/// Height and width of an MNIST image, in pixels.
pub const IMAGE_SIDE: usize = 28;

/// Number of pixels (bytes) in one MNIST image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Number of label classes (the digits 0 to 9).
pub const NUM_CLASSES: usize = 10;

/// File name (without `.gz`) of the training images.
pub const TRAIN_IMAGES_FILE: &str = "train-images-idx3-ubyte";

/// File name (without `.gz`) of the training labels.
pub const TRAIN_LABELS_FILE: &str = "train-labels-idx1-ubyte";

/// File name (without `.gz`) of the test images.
pub const TEST_IMAGES_FILE: &str = "t10k-images-idx3-ubyte";

/// File name (without `.gz`) of the test labels.
pub const TEST_LABELS_FILE: &str = "t10k-labels-idx1-ubyte";

/// Environment variable that, when set, names the MNIST directory.
pub const DATA_DIR_ENV: &str = "ATROUS_DATA";

/// The MNIST directory relative to the repository root.
pub const DEFAULT_DATA_SUBDIR: &str = "data/mnist";

/// Errors produced while locating or loading MNIST.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    /// A required file exists neither gzipped nor raw.
    #[error(
        "{}/{name}(.gz) not found; run from the repo root or pass --data DIR / set {DATA_DIR_ENV}",
        dir.display()
    )]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
        /// The file name, without `.gz`.
        name: String,
    },

    /// A file could not be read or is not a valid IDX file; the message names the file.
    #[error(transparent)]
    Idx(#[from] IdxError),

    /// A file is valid IDX but does not have the shape MNIST requires.
    #[error("{}: expected {expected}, got dims {dims:?}", path.display())]
    BadShape {
        /// The offending file.
        path: PathBuf,
        /// Description of the required shape, e.g. `"[n, 28, 28]"`.
        expected: &'static str,
        /// The dimensions found.
        dims: Vec<usize>,
    },

    /// The images file and labels file of a split disagree on the number of examples.
    #[error(
        "{} has {images} images but {} has {labels} labels",
        images_path.display(), labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Number of images in it.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of labels in it.
        labels: usize,
    },

    /// A label is not a digit 0 to 9.
    #[error("{}: label {label} at index {index} is out of range 0..{NUM_CLASSES}", path.display())]
    BadLabel {
        /// The labels file.
        path: PathBuf,
        /// Index of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
    },
}

/// One split of MNIST (training or test): `n` images with their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSplit {
    /// Pixels, `n * 28 * 28` bytes: image `i` is `images[i * 784..(i + 1) * 784]`, row-major.
    pub images: Vec<u8>,
    /// Labels, `n` bytes, each in `0..10`.
    pub labels: Vec<u8>,
    /// Number of examples.
    pub n: usize,
}

impl MnistSplit {
    /// Loads one split from an images file and a labels file in `dir`
    /// (each given without `.gz`; gzipped or raw copies are accepted) and validates it.
    ///
    /// Both headers are read and checked against each other (shapes, and as many images as
    /// labels) before either file's data is decompressed, so a small gzip file whose header
    /// claims millions of images is refused at the cost of its header.
    pub fn load(dir: &Path, images_name: &str, labels_name: &str) -> Result<Self, MnistError> {
        let images_path = find_file(dir, images_name)?;
        let labels_path = find_file(dir, labels_name)?;
        let image_dims = read_idx_header_file(&images_path)?;
        let label_dims = read_idx_header_file(&labels_path)?;
        split_count(&image_dims, &images_path, &label_dims, &labels_path)?;
        let labels = read_idx_file(&labels_path)?;
        let images = read_idx_file(&images_path)?;
        Self::from_idx(images, &images_path, labels, &labels_path)
    }

    /// Builds a split from already-read IDX arrays, checking shapes (`[n, 28, 28]` and
    /// `[n]`), that the counts agree and that every label is below 10. The paths are only
    /// used in error messages.
    pub fn from_idx(
        images: IdxArray,
        images_path: &Path,
        labels: IdxArray,
        labels_path: &Path,
    ) -> Result<Self, MnistError> {
        let n = split_count(&images.dims, images_path, &labels.dims, labels_path)?;
        if let Some(index) = labels.data.iter().position(|&l| usize::from(l) >= NUM_CLASSES) {
            return Err(MnistError::BadLabel {
                path: labels_path.to_path_buf(),
                index,
                label: labels.data[index],
            });
        }
        Ok(MnistSplit { images: images.data, labels: labels.data, n })
    }

    /// Number of examples (same as the `n` field).
    pub fn len(&self) -> usize {
        self.n
    }

    /// `true` if the split has no examples.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The 784 pixels of image `i`, row-major.
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// How many examples carry each label.
    pub fn label_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// A copy of the examples with indices in `range`.
    ///
    /// # Panics
    /// If the range is decreasing or extends past `n`.
    pub fn subset(&self, range: Range<usize>) -> MnistSplit {
        assert!(
            range.start <= range.end && range.end <= self.n,
            "subset {range:?} out of bounds for a split of {} examples",
            self.n
        );
        MnistSplit {
            images: self.images[range.start * IMAGE_PIXELS..range.end * IMAGE_PIXELS].to_vec(),
            labels: self.labels[range.clone()].to_vec(),
            n: range.len(),
        }
    }

    /// A copy of the first `min(n, self.n)` examples.
    pub fn take(&self, n: usize) -> MnistSplit {
        self.subset(0..n.min(self.n))
    }

    /// The chosen examples as a network input: pixels `[B, 1, 28, 28]` scaled from bytes to
    /// `[0, 1]`, and their labels. The u8 → f32 conversion lives here, with the data, so every
    /// caller (training, evaluation, saliency) sees the same pixels.
    ///
    /// # Panics
    /// If an index is `>= n`.
    pub fn batch(&self, indices: &[usize]) -> Batch {
        // A recycled buffer (every element is written): one batch per step is made and dropped.
        let mut x = Tensor::for_overwrite(&[indices.len(), 1, IMAGE_SIDE, IMAGE_SIDE]);
        for (&i, out) in indices.iter().zip(x.as_mut_slice().chunks_exact_mut(IMAGE_PIXELS)) {
            for (o, &p) in out.iter_mut().zip(self.image(i)) {
                *o = f32::from(p) / 255.0;
            }
        }
        Batch { x, labels: indices.iter().map(|&i| usize::from(self.labels[i])).collect() }
    }
}

/// A batch of examples ready for a network: pixels in `[0, 1]` and one label per image.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Pixels `[B, 1, 28, 28]` in `[0, 1]`.
    pub x: Tensor,
    /// Labels `0..10`, one per image.
    pub labels: Vec<usize>,
}

/// The MNIST data set: a training split and a test split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// The 60,000 training examples.
    pub train: MnistSplit,
    /// The 10,000 test examples.
    pub test: MnistSplit,
}

impl Mnist {
    /// Loads and validates all four MNIST files from `dir`.
    ///
    /// The training and test splits are decompressed concurrently.
    pub fn load(dir: &Path) -> Result<Mnist, MnistError> {
        // Fail fast, before any decompression, if a file is missing.
        for name in [TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE, TEST_IMAGES_FILE, TEST_LABELS_FILE] {
            find_file(dir, name)?;
        }
        let (train, test) = rayon::join(
            || MnistSplit::load(dir, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE),
            || MnistSplit::load(dir, TEST_IMAGES_FILE, TEST_LABELS_FILE),
        );
        Ok(Mnist { train: train?, test: test? })
    }

    /// Loads and validates only the test split of `dir` (the two `t10k` files), for commands
    /// that never touch the training images and need not decompress them.
    pub fn load_test(dir: &Path) -> Result<MnistSplit, MnistError> {
        MnistSplit::load(dir, TEST_IMAGES_FILE, TEST_LABELS_FILE)
    }

    /// Loads MNIST from [`default_data_dir`], or fails with [`MnistError::NotFound`] for
    /// `data/mnist` if no directory is found.
    pub fn load_default() -> Result<Mnist, MnistError> {
        match default_data_dir() {
            Some(dir) => Mnist::load(&dir),
            None => Err(MnistError::NotFound {
                dir: PathBuf::from(DEFAULT_DATA_SUBDIR),
                name: TRAIN_IMAGES_FILE.to_owned(),
            }),
        }
    }
}

/// The number of examples of a split whose images file has dimensions `image_dims` and labels
/// file `label_dims`: shapes `[n, 28, 28]` and `[n]`, with the same `n`.
fn split_count(
    image_dims: &[usize],
    images_path: &Path,
    label_dims: &[usize],
    labels_path: &Path,
) -> Result<usize, MnistError> {
    let &[n, IMAGE_SIDE, IMAGE_SIDE] = image_dims else {
        return Err(MnistError::BadShape {
            path: images_path.to_path_buf(),
            expected: "images of shape [n, 28, 28]",
            dims: image_dims.to_vec(),
        });
    };
    let &[n_labels] = label_dims else {
        return Err(MnistError::BadShape {
            path: labels_path.to_path_buf(),
            expected: "labels of shape [n]",
            dims: label_dims.to_vec(),
        });
    };
    if n != n_labels {
        return Err(MnistError::CountMismatch {
            images_path: images_path.to_path_buf(),
            images: n,
            labels_path: labels_path.to_path_buf(),
            labels: n_labels,
        });
    }
    Ok(n)
}

/// Finds `name.gz` or, failing that, `name` in `dir`.
pub fn find_file(dir: &Path, name: &str) -> Result<PathBuf, MnistError> {
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    Err(MnistError::NotFound { dir: dir.to_path_buf(), name: name.to_owned() })
}

/// Guesses where the MNIST files live, in order of preference:
///
/// 1. the directory named by the `ATROUS_DATA` environment variable, if set and non-empty
///    (returned as is, even if it does not exist, so that loading reports it);
/// 2. the first `data/mnist` holding the training images, found by walking up from the
///    current directory;
/// 3. `data/mnist` in the source tree this crate was built from, if it exists.
///
/// Returns `None` if none of these applies.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let has_data = |dir: &Path| find_file(dir, TRAIN_IMAGES_FILE).is_ok();
    if let Ok(cwd) = std::env::current_dir() {
        for ancestor in cwd.ancestors() {
            let candidate = ancestor.join(DEFAULT_DATA_SUBDIR);
            if has_data(&candidate) {
                return Some(candidate);
            }
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFAULT_DATA_SUBDIR);
    built_from.is_dir().then_some(built_from)
}
