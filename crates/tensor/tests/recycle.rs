//! The buffer pool through the tensor API. One test in its own process: the pool is global, so
//! no other test may drop tensors while this one counts bytes and requests.

use atrous_tensor::Tensor;
use atrous_tensor::recycle::{
    CAP_BYTES, MAX_PER_LENGTH, MIN_LEN, STALE_AFTER, give_indices, kept_bytes, requests, set_poison,
    take_indices,
};

#[test]
fn dropped_buffers_serve_the_same_length_until_stale_and_poison_shows() {
    drop(Tensor::full(&[MIN_LEN - 1], 1.0));
    assert_eq!((kept_bytes(), requests()), (0, (0, 0)), "small buffers are neither kept nor counted");

    let len = MIN_LEN + 2; // 3 × 1366, reshaped below
    drop(Tensor::full(&[len], 2.0));
    assert_eq!((kept_bytes(), requests()), (len * 4, (0, 1)));
    let reused = Tensor::for_overwrite(&[3, len / 3]);
    assert_eq!((kept_bytes(), requests()), (0, (1, 1)));
    assert!(reused.as_slice().iter().all(|&v| v == 2.0), "the dropped tensor's buffer, not a fresh one");
    drop(reused);
    let zeros = Tensor::zeros(&[len]);
    assert!(zeros.as_slice().iter().all(|&v| v == 0.0), "zeros are zero even when recycled");
    let copy = zeros.clone();
    assert_eq!(copy, zeros);
    assert_eq!(requests(), (2, 2), "the clone found no second buffer");

    // A steady loop: every request served.
    drop((copy, zeros));
    for _ in 0..3 {
        let a = Tensor::zeros(&[len]);
        let b = a.clone();
        drop((a, b));
    }
    assert_eq!((kept_bytes(), requests()), (2 * len * 4, (8, 2)));

    // Another length misses but leaves the first one's buffers...
    let other = Tensor::for_overwrite(&[len + 1]);
    assert_eq!((kept_bytes(), requests()), (2 * len * 4, (8, 3)));
    drop(other);
    // ...until `len` has gone unused for more than STALE_AFTER operations (two per round here,
    // after the two above).
    for _ in 0..STALE_AFTER / 2 - 2 {
        drop(Tensor::for_overwrite(&[len + 1]));
    }
    assert_eq!(kept_bytes(), 2 * len * 4 + (len + 1) * 4, "not stale yet");
    for _ in 0..2 {
        drop(Tensor::for_overwrite(&[len + 1]));
    }
    assert_eq!(kept_bytes(), (len + 1) * 4, "stale: freed");

    set_poison(true);
    let poisoned = Tensor::for_overwrite(&[len + 1]);
    set_poison(false);
    assert!(poisoned.as_slice().iter().all(|v| v.is_nan()));
    drop(poisoned);

    // Indices have their own pool.
    give_indices(vec![7; len]);
    assert_eq!(kept_bytes(), (len + 1) * 4 + len * 4);
    assert_eq!(take_indices(len), vec![7; len]);

    // A buffer larger than the cap is never kept; one that does not fit empties the pool.
    drop(Tensor::zeros(&[CAP_BYTES / 4 + 1]));
    assert_eq!(kept_bytes(), (len + 1) * 4);
    drop(Tensor::zeros(&[CAP_BYTES / 4 - 10]));
    assert_eq!(kept_bytes(), CAP_BYTES - 40, "emptied, then kept");
    atrous_tensor::recycle::release();
    assert_eq!(kept_bytes(), 0);

    // Tensors made outside the pool and dropped into it stop adding up at MAX_PER_LENGTH.
    for _ in 0..MAX_PER_LENGTH + 5 {
        drop(Tensor::from_vec(&[len], vec![0.0; len]).unwrap());
    }
    assert_eq!(kept_bytes(), MAX_PER_LENGTH * len * 4);
}
