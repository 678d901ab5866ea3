//! The buffer pool through the tensor API. One test in its own process: the pool is global, so
//! no other test may drop tensors while this one counts bytes.

use atrous_tensor::Tensor;
use atrous_tensor::recycle::{CAP_BYTES, MIN_LEN, kept_bytes, set_poison};

#[test]
fn dropped_buffers_are_reused_by_length_within_the_cap_and_poisoned_on_request() {
    drop(Tensor::full(&[MIN_LEN - 1], 1.0));
    assert_eq!(kept_bytes(), 0, "small buffers are not kept");

    let len = MIN_LEN + 2; // 3 × 1366, reshaped below
    drop(Tensor::full(&[len], 2.0));
    assert_eq!(kept_bytes(), len * 4);
    let other = Tensor::for_overwrite(&[len + 1]);
    assert_eq!(kept_bytes(), len * 4, "only the exact length is served");
    let reused = Tensor::for_overwrite(&[3, len / 3]);
    assert_eq!(kept_bytes(), 0);
    assert!(reused.as_slice().iter().all(|&v| v == 2.0), "the dropped tensor's buffer, not a fresh one");
    let zeros = {
        drop(reused);
        Tensor::zeros(&[len])
    };
    assert!(zeros.as_slice().iter().all(|&v| v == 0.0), "zeros are zero even when recycled");
    let copy = zeros.clone();
    assert_eq!(copy, zeros);

    set_poison(true);
    drop(copy);
    let poisoned = Tensor::for_overwrite(&[len]);
    set_poison(false);
    assert!(poisoned.as_slice().iter().all(|v| v.is_nan()));
    drop((poisoned, zeros, other));

    // A buffer that does not fit empties the pool first, then is kept.
    let big = CAP_BYTES / 4 / 2 + 1;
    drop(Tensor::zeros(&[big]));
    assert_eq!(kept_bytes(), 3 * len * 4 + 4 + big * 4, "still room");
    drop(Tensor::zeros(&[big + 1]));
    assert_eq!(kept_bytes(), (big + 1) * 4, "no room: emptied, then kept");
    drop(Tensor::for_overwrite(&[big + 1]));
    assert_eq!(kept_bytes(), (big + 1) * 4, "taken and given back");
}
