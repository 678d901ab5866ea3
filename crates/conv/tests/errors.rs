//! Bad parameters and mismatched operands give typed errors, never panics.

use atrous_conv::{
    Conv2dParams, ConvError, ConvGeometry, GradsWanted, Pool2dParams, conv2d_backward, conv2d_forward,
    max_pool2d_backward, max_pool2d_forward,
};
use atrous_tensor::Tensor;
use proptest::prelude::*;

#[test]
fn zero_parameters_are_refused() {
    assert!(matches!(
        Conv2dParams::new((0, 3), (1, 1), (0, 0), (1, 1)),
        Err(ConvError::ZeroParam { name: "kernel", .. })
    ));
    assert!(matches!(
        Conv2dParams::new((3, 3), (1, 0), (0, 0), (1, 1)),
        Err(ConvError::ZeroParam { name: "stride", .. })
    ));
    assert!(matches!(Conv2dParams::square(3, 1, 1, 0), Err(ConvError::ZeroParam { name: "dilation", .. })));
    assert!(matches!(Conv2dParams::same(2, 1), Err(ConvError::EvenSameKernel { k: 2 })));
    assert!(Pool2dParams::new((0, 2), (2, 2)).is_err());
}

#[test]
fn dilated_kernel_larger_than_padded_input_is_refused() {
    // 3×3 at dilation 5 spans 11 pixels; a 7-pixel input padded by 1 is 9 wide.
    let params = Conv2dParams::square(3, 1, 1, 5).unwrap();
    let err = ConvGeometry::new(params, &[1, 1, 7, 7], &[1, 1, 3, 3]).unwrap_err();
    assert_eq!(err, ConvError::KernelTooLarge { axis: "height", input: 7, padding: 1, span: 11 });
    assert!(err.to_string().contains("effective kernel 11"), "{err}");
}

#[test]
fn mismatched_operands_are_named() {
    let p = Conv2dParams::same(3, 1).unwrap();
    let x = Tensor::zeros(&[8, 3, 28, 28]);
    let err = conv2d_forward(&x, &Tensor::zeros(&[4, 1, 3, 3]), None, &p).unwrap_err();
    assert_eq!(err.to_string(), "conv2d: input [8, 3, 28, 28] has 3 channels, weight [4, 1, 3, 3] expects 1");
    assert!(matches!(
        conv2d_forward(&Tensor::zeros(&[3, 28, 28]), &Tensor::zeros(&[4, 3, 3, 3]), None, &p),
        Err(ConvError::Rank { .. })
    ));
    assert!(matches!(
        conv2d_forward(&x, &Tensor::zeros(&[4, 3, 5, 5]), None, &p),
        Err(ConvError::KernelMismatch { .. })
    ));
    let w = Tensor::zeros(&[4, 3, 3, 3]);
    assert!(matches!(
        conv2d_forward(&x, &w, Some(&Tensor::zeros(&[5])), &p),
        Err(ConvError::Operand { what: "bias", .. })
    ));
    assert!(matches!(
        atrous_conv::naive::conv2d_naive(&x, &w, Some(&Tensor::zeros(&[2])), &p),
        Err(ConvError::Operand { what: "bias", .. })
    ));
    assert!(matches!(
        conv2d_backward(&x, &w, &Tensor::zeros(&[8, 4, 27, 28]), &p, GradsWanted::ALL),
        Err(ConvError::Operand { .. })
    ));
    assert!(matches!(
        max_pool2d_forward(&Tensor::zeros(&[1, 1, 1, 3]), &Pool2dParams::new((2, 2), (2, 2)).unwrap()),
        Err(ConvError::PoolTooLarge { .. })
    ));
    assert!(
        max_pool2d_backward(&Tensor::zeros(&[1, 1, 2, 2]), &[0, 1, 2, 99], &[1, 1, 4, 4]).is_err(),
        "argmax outside the plane"
    );
}

proptest! {
    #[test]
    fn any_parameters_give_ok_or_error_never_panic(
        k in (0usize..8, 0usize..8), s in (0usize..4, 0usize..4), p in (0usize..6, 0usize..6),
        d in (0usize..9, 0usize..9), h in 0usize..10, w in 0usize..10, n in 0usize..3,
    ) {
        if let Ok(params) = Conv2dParams::new(k, s, p, d) {
            let x = Tensor::zeros(&[n, 2, h, w]);
            let wt = Tensor::zeros(&[3, 2, k.0, k.1]);
            if let Ok(y) = conv2d_forward(&x, &wt, None, &params) {
                let grads = conv2d_backward(&x, &wt, &y, &params, GradsWanted::ALL).unwrap();
                let dx = grads.dx.unwrap();
                prop_assert_eq!(dx.dims(), x.dims());
            }
        }
    }
}
