//! The parameter structs' arithmetic, value by value: effective kernel, "same" padding, output
//! sizes at and around the boundary where the kernel just fits, every derived size of a geometry,
//! the forward FLOP count, and which operand each refusal names. Heights and widths differ in every
//! case so that a swapped axis shows.

use atrous_conv::{Conv2dParams, ConvError, ConvGeometry, Pool2dParams};
use atrous_tensor::Shape;

#[test]
fn effective_kernel_is_dilation_times_k_minus_one_plus_one_per_axis() {
    // Height: 2·(3−1)+1 = 5; width: 3·(5−1)+1 = 13.
    let p = Conv2dParams::new((3, 5), (1, 1), (0, 0), (2, 3)).unwrap();
    assert_eq!(p.effective_kernel(), (5, 13));
    // A 1×1 kernel spans one pixel whatever its dilation.
    assert_eq!(Conv2dParams::square(1, 1, 0, 7).unwrap().effective_kernel(), (1, 1));
    // Undilated: the kernel itself.
    assert_eq!(Conv2dParams::new((4, 2), (1, 1), (0, 0), (1, 1)).unwrap().effective_kernel(), (4, 2));
}

#[test]
fn zero_in_the_width_component_alone_is_refused() {
    assert_eq!(
        Conv2dParams::new((3, 0), (1, 1), (0, 0), (1, 1)),
        Err(ConvError::ZeroParam { name: "kernel", value: (3, 0) })
    );
    assert_eq!(
        Conv2dParams::new((3, 3), (2, 0), (0, 0), (1, 1)),
        Err(ConvError::ZeroParam { name: "stride", value: (2, 0) })
    );
    assert_eq!(
        Conv2dParams::new((3, 3), (1, 1), (0, 0), (0, 2)),
        Err(ConvError::ZeroParam { name: "dilation", value: (0, 2) })
    );
    // Zero padding is legal, and the fields are stored as given.
    let p = Conv2dParams::new((3, 5), (2, 1), (0, 4), (1, 3)).unwrap();
    assert_eq!((p.kernel, p.stride, p.padding, p.dilation), ((3, 5), (2, 1), (0, 4), (1, 3)));
}

#[test]
fn square_sets_both_axes_to_the_same_values() {
    let p = Conv2dParams::square(3, 2, 1, 4).unwrap();
    assert_eq!(p, Conv2dParams::new((3, 3), (2, 2), (1, 1), (4, 4)).unwrap());
}

#[test]
fn same_padding_is_dilation_times_k_minus_one_over_two() {
    // 3·(5−1)/2 = 6.
    let p = Conv2dParams::same(5, 3).unwrap();
    assert_eq!(p, Conv2dParams::new((5, 5), (1, 1), (6, 6), (3, 3)).unwrap());
    assert_eq!(Conv2dParams::same(3, 2).unwrap().padding, (2, 2));
    assert_eq!(Conv2dParams::same(1, 9).unwrap().padding, (0, 0));
    assert_eq!(Conv2dParams::same(7, 1).unwrap().padding, (3, 3));
    // The output really is the input's size.
    for (k, d) in [(3, 1), (3, 2), (5, 3), (7, 2)] {
        let p = Conv2dParams::same(k, d).unwrap();
        let g = ConvGeometry::new(p, &[1, 1, 17, 23], &[1, 1, k, k]).unwrap();
        assert_eq!((g.h_out, g.w_out), (17, 23), "k {k} d {d}");
    }
    assert_eq!(Conv2dParams::same(4, 1), Err(ConvError::EvenSameKernel { k: 4 }));
}

#[test]
fn output_size_counts_strided_positions_with_a_remainder() {
    // Height: (10 + 0 − 3)/2 + 1 = 4 (remainder 1 dropped); width: (11 + 2·1 − 5)/3 + 1 = 3.
    let p = Conv2dParams::new((3, 5), (2, 3), (0, 1), (1, 1)).unwrap();
    let g = ConvGeometry::new(p, &[2, 1, 10, 11], &[1, 1, 3, 5]).unwrap();
    assert_eq!((g.h_out, g.w_out), (4, 3));
    // Dilated: height span 2·(3−1)+1 = 5, (9 + 2 − 5)/1 + 1 = 7; width span 3·(2−1)+1 = 4,
    // (8 + 0 − 4)/2 + 1 = 3.
    let p = Conv2dParams::new((3, 2), (1, 2), (1, 0), (2, 3)).unwrap();
    let g = ConvGeometry::new(p, &[1, 1, 9, 8], &[1, 1, 3, 2]).unwrap();
    assert_eq!((g.h_out, g.w_out), (7, 3));
}

#[test]
fn kernel_exactly_as_large_as_the_padded_input_gives_one_output() {
    // Span 2·(3−1)+1 = 5 = 3 + 2·1: one position on each axis.
    let p = Conv2dParams::square(3, 1, 1, 2).unwrap();
    let g = ConvGeometry::new(p, &[1, 1, 3, 3], &[1, 1, 3, 3]).unwrap();
    assert_eq!((g.h_out, g.w_out), (1, 1));
    // Stride larger than the input still gives that one position.
    let p = Conv2dParams::square(3, 7, 0, 1).unwrap();
    let g = ConvGeometry::new(p, &[1, 1, 3, 4], &[1, 1, 3, 3]).unwrap();
    assert_eq!((g.h_out, g.w_out), (1, 1));
    // One pixel less on the width alone is refused, naming the width.
    let p = Conv2dParams::square(3, 1, 1, 2).unwrap();
    assert_eq!(
        ConvGeometry::new(p, &[1, 1, 3, 2], &[1, 1, 3, 3]),
        Err(ConvError::KernelTooLarge { axis: "width", input: 2, padding: 1, span: 5 })
    );
}

#[test]
fn padding_so_large_it_overflows_is_refused_not_wrapped() {
    let p = Conv2dParams::square(3, 1, usize::MAX / 2 + 1, 1).unwrap();
    assert!(matches!(
        ConvGeometry::new(p, &[1, 1, 5, 5], &[1, 1, 3, 3]),
        Err(ConvError::KernelTooLarge { axis: "height", .. })
    ));
    // A dilation so large its span saturates is refused too.
    let p = Conv2dParams::square(3, 1, 1, usize::MAX).unwrap();
    assert_eq!(p.effective_kernel(), (usize::MAX, usize::MAX));
    assert!(ConvGeometry::new(p, &[1, 1, 5, 5], &[1, 1, 3, 3]).is_err());
}

#[test]
fn geometry_derived_sizes_and_forward_flops() {
    // N 2, C_in 3, 9×11 input, C_out 4, kernel 3×2, stride 1, no padding, dilation 1:
    // H_out 7, W_out 10.
    let p = Conv2dParams::new((3, 2), (1, 1), (0, 0), (1, 1)).unwrap();
    let g = ConvGeometry::new(p, &[2, 3, 9, 11], &[4, 3, 3, 2]).unwrap();
    assert_eq!((g.n, g.c_in, g.c_out, g.h, g.w, g.h_out, g.w_out), (2, 3, 4, 9, 11, 7, 10));
    assert_eq!(g.params, p);
    assert_eq!(g.col_rows(), 3 * 3 * 2);
    assert_eq!(g.col_cols(), 7 * 10);
    assert_eq!(g.input_item(), 3 * 9 * 11);
    assert_eq!(g.output_item(), 4 * 7 * 10);
    assert_eq!(g.output_dims(), [2, 4, 7, 10]);
    // 2·N·C_out·H_out·W_out·C_in·k_h·k_w = 2·2·4·7·10·3·3·2 = 20160.
    assert_eq!(g.forward_flops(), 20160);
    // An empty batch is a legal geometry with no work.
    let g = ConvGeometry::new(p, &[0, 3, 9, 11], &[4, 3, 3, 2]).unwrap();
    assert_eq!((g.forward_flops(), g.output_dims()), (0, [0, 4, 7, 10]));
}

#[test]
fn empty_operands_are_refused_naming_which() {
    let p = Conv2dParams::square(1, 1, 0, 1).unwrap();
    for input in [[1, 0, 4, 4], [1, 1, 0, 4], [1, 1, 4, 0]] {
        assert_eq!(
            ConvGeometry::new(p, &input, &[2, 1, 1, 1]),
            Err(ConvError::Empty { what: "input", shape: Shape::new(&input) }),
            "{input:?}"
        );
    }
    assert_eq!(
        ConvGeometry::new(p, &[1, 1, 4, 4], &[0, 1, 1, 1]),
        Err(ConvError::Empty { what: "weight", shape: Shape::new(&[0, 1, 1, 1]) })
    );
}

#[test]
fn operand_mismatches_are_refused_with_both_shapes() {
    let p = Conv2dParams::new((3, 2), (1, 1), (0, 0), (1, 1)).unwrap();
    assert_eq!(
        ConvGeometry::new(p, &[1, 2, 5, 5], &[1, 3, 3, 2]),
        Err(ConvError::Channels { input: Shape::new(&[1, 2, 5, 5]), weight: Shape::new(&[1, 3, 3, 2]) })
    );
    // Kernel transposed relative to the parameters.
    assert_eq!(
        ConvGeometry::new(p, &[1, 2, 5, 5], &[1, 2, 2, 3]),
        Err(ConvError::KernelMismatch { weight: Shape::new(&[1, 2, 2, 3]), kernel: (3, 2) })
    );
    assert_eq!(
        ConvGeometry::new(p, &[2, 5, 5], &[1, 2, 3, 2]),
        Err(ConvError::Rank { what: "input", expected: "[N, C, H, W]", shape: Shape::new(&[2, 5, 5]) })
    );
    assert_eq!(
        ConvGeometry::new(p, &[1, 2, 5, 5], &[1, 2, 3, 2, 1]),
        Err(ConvError::Rank {
            what: "weight",
            expected: "[C_out, C_in, k_h, k_w]",
            shape: Shape::new(&[1, 2, 3, 2, 1])
        })
    );
}

#[test]
fn pool_output_size_per_axis_and_at_the_boundary() {
    // Height (7 − 2)/2 + 1 = 3; width (9 − 3)/2 + 1 = 4.
    let pool = Pool2dParams::new((2, 3), (2, 2)).unwrap();
    assert_eq!(pool.output_size(7, 9), Ok((3, 4)));
    // Window equal to the input: one output; one smaller on either axis: refused.
    assert_eq!(pool.output_size(2, 3), Ok((1, 1)));
    assert_eq!(pool.output_size(1, 3), Err(ConvError::PoolTooLarge { kernel: (2, 3), h: 1, w: 3 }));
    assert_eq!(pool.output_size(2, 2), Err(ConvError::PoolTooLarge { kernel: (2, 3), h: 2, w: 2 }));
    // Overlapping windows (stride below the window).
    let pool = Pool2dParams::new((3, 3), (1, 2)).unwrap();
    assert_eq!(pool.output_size(5, 8), Ok((3, 3)));
    assert_eq!((pool.kernel, pool.stride), ((3, 3), (1, 2)));
}

#[test]
fn pool_zero_in_either_component_is_refused() {
    assert_eq!(
        Pool2dParams::new((2, 0), (2, 2)),
        Err(ConvError::ZeroParam { name: "pool kernel", value: (2, 0) })
    );
    assert_eq!(
        Pool2dParams::new((2, 2), (0, 2)),
        Err(ConvError::ZeroParam { name: "pool stride", value: (0, 2) })
    );
    assert_eq!(
        Pool2dParams::new((2, 2), (2, 0)),
        Err(ConvError::ZeroParam { name: "pool stride", value: (2, 0) })
    );
}
