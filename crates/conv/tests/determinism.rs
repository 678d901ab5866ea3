//! Forward and backward results are bit-identical at 1 and 2 threads, whichever gradients are
//! asked for.

use atrous_conv::{Conv2dParams, GradsWanted, conv2d_backward, conv2d_forward};
use atrous_tensor::{Tensor, parallel::with_threads, rng::Rng};

fn bits(t: &Tensor) -> Vec<u32> {
    t.as_slice().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn conv_is_bit_identical_across_thread_counts() {
    // A batch that is not a multiple of the backward group size, at two dilations.
    for d in [1, 3] {
        let mut rng = Rng::seed_from(d as u64);
        let x = Tensor::uniform(&[11, 16, 14, 14], -1.0, 1.0, &mut rng);
        let w = Tensor::uniform(&[32, 16, 3, 3], -0.3, 0.3, &mut rng);
        let b = Tensor::uniform(&[32], -0.3, 0.3, &mut rng);
        let params = Conv2dParams::same(3, d).unwrap();
        let run = |threads| {
            with_threads(threads, || {
                let y = conv2d_forward(&x, &w, Some(&b), &params).unwrap();
                let g = conv2d_backward(&x, &w, &y, &params, GradsWanted::ALL).unwrap();
                // With only dX wanted the images run one by one instead of in groups.
                let saliency = conv2d_backward(&x, &w, &y, &params, GradsWanted::INPUT_ONLY).unwrap();
                let [dx, dw, db] = [g.dx, g.dw, g.db].map(|t| bits(&t.unwrap()));
                (bits(&y), dx, dw, db, bits(&saliency.dx.unwrap()))
            })
            .unwrap()
        };
        assert_eq!(run(1), run(2), "dilation {d}");
    }
}
