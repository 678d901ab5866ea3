//! Deletion and insertion on a hand-built linear classifier whose right ranking is known.

use atrous_autograd::{Classifier, Tape, Var};
use atrous_saliency::evaluation::metrics::trapezoid;
use atrous_saliency::evaluation::perturbation::{
    intensity_ranking, perturbation_curves, perturbed_counts, random_ranking, ranking,
};
use atrous_tensor::Tensor;

/// Two classes on a 2×2 image: `S_0 = 2 x₀ + x₁` (reads two pixels), `S_1 = 0`.
struct ReadsTwoPixels {
    params: Vec<Tensor>,
}

impl ReadsTwoPixels {
    fn new() -> Self {
        let w = Tensor::from_vec(&[2, 4], vec![2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        ReadsTwoPixels { params: vec![w, Tensor::zeros(&[2])] }
    }
}

impl Classifier for ReadsTwoPixels {
    fn parameters(&self) -> Vec<&Tensor> {
        self.params.iter().collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.params.iter_mut().collect()
    }
    fn forward(&self, tape: &mut Tape, p: &[Var], x: Var) -> atrous_autograd::Result<Var> {
        let h = tape.flatten(x)?;
        tape.linear(h, p[0], Some(p[1]))
    }
    fn input_dims(&self) -> [usize; 3] {
        [1, 2, 2]
    }
    fn classes(&self) -> usize {
        2
    }
}

/// p(class 0) = σ(S_0 − S_1).
fn sigma(s: f64) -> f64 {
    1.0 / (1.0 + (-s).exp())
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

#[test]
fn the_map_that_ranks_the_read_pixels_first_wins_with_exact_curves() {
    let model = ReadsTwoPixels::new();
    let x = Tensor::full(&[1, 1, 2, 2], 1.0);
    let good = ranking(&[2.0, 1.0, 0.0, 0.0]);
    let bad = ranking(&[0.0, 0.5, 1.0, 2.0]);
    assert_eq!((good.clone(), bad.clone()), (vec![0, 1, 2, 3], vec![3, 2, 1, 0]));
    // 4 steps of 1 pixel: x = 0, 0.25, 0.5, 0.75, 1.
    let g = perturbation_curves(&model, &x, &[good], &[0], 4, 64).unwrap();
    let b = perturbation_curves(&model, &x, &[bad], &[0], 4, 64).unwrap();
    close(&g.x, &[0.0, 0.25, 0.5, 0.75, 1.0]);
    // Deletion, good order: S_0 = 3, 1, 0, 0, 0; bad order: 3, 3, 3, 2, 0.
    close(&g.deletion[0], &[sigma(3.0), sigma(1.0), 0.5, 0.5, 0.5]);
    close(&b.deletion[0], &[sigma(3.0), sigma(3.0), sigma(3.0), sigma(2.0), 0.5]);
    // Insertion into the blank image, good order: S_0 = 0, 2, 3, 3, 3; bad: 0, 0, 0, 1, 3.
    close(&g.insertion[0], &[0.5, sigma(2.0), sigma(3.0), sigma(3.0), sigma(3.0)]);
    close(&b.insertion[0], &[0.5, 0.5, 0.5, sigma(1.0), sigma(3.0)]);
    // AUC by trapezoid, h = 0.25: good deletion = 0.25 (σ(3)/2 + σ(1) + 0.5 + 0.5 + 0.25).
    let want = 0.25 * (sigma(3.0) / 2.0 + sigma(1.0) + 1.25);
    assert!((g.deletion_auc()[0] - want).abs() < 1e-6);
    assert!((g.deletion_auc()[0] - trapezoid(&g.x, &g.deletion[0])).abs() < 1e-15);
    assert!(g.deletion_auc()[0] < b.deletion_auc()[0]);
    assert!(g.insertion_auc()[0] > b.insertion_auc()[0]);
}

#[test]
fn steps_take_one_percent_rounded_up() {
    let c = perturbed_counts(784, 100);
    assert_eq!(c.len(), 101);
    assert_eq!(&c[..3], &[0, 8, 16]);
    assert_eq!(c[97], 776);
    assert!(c[98..].iter().all(|&m| m == 784));
}

#[test]
fn baselines_are_seeded_and_brightest_first() {
    assert_eq!(intensity_ranking(&[0.2, 0.9, 0.9, 0.1], 4), vec![1, 2, 0, 3]);
    assert_eq!(random_ranking(784, 3, 10), random_ranking(784, 3, 10));
    assert_ne!(random_ranking(784, 3, 10), random_ranking(784, 3, 11));
    assert_ne!(random_ranking(784, 3, 10), random_ranking(784, 4, 10));
    // Signed maps rank by value: the negative pixel goes last, after the zero ones.
    assert_eq!(ranking(&[-1.0, 0.0, 2.0, 0.0]), vec![2, 1, 3, 0]);
}

#[test]
fn curves_do_not_depend_on_how_images_are_grouped() {
    let model = ReadsTwoPixels::new();
    let x = Tensor::from_vec(&[3, 1, 2, 2], (0..12).map(|i| i as f32 / 11.0).collect()).unwrap();
    let orders: Vec<Vec<usize>> = (0..3).map(|i| random_ranking(4, 0, i)).collect();
    let one = perturbation_curves(&model, &x, &orders, &[0, 1, 0], 2, 1).unwrap();
    let all = perturbation_curves(&model, &x, &orders, &[0, 1, 0], 2, 1000).unwrap();
    assert_eq!(one, all);
    assert!(perturbation_curves(&model, &x, &orders, &[0, 1, 0], 0, 10).is_err());
    assert!(perturbation_curves(&model, &x, &orders[..2], &[0, 1, 0], 2, 10).is_err());
}

#[test]
fn steps_that_change_nothing_repeat_the_previous_probability() {
    // x = [1, 0, 1, 0]: deleting pixel 1 or 3 (already black), or inserting them into the
    // black start, changes no input; those points are not evaluated again but must still read
    // the probability of the input they leave unchanged.
    let model = ReadsTwoPixels::new();
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1.0, 0.0, 1.0, 0.0]).unwrap();
    let c = perturbation_curves(&model, &x, &[vec![0, 1, 2, 3]], &[0], 4, 64).unwrap();
    close(&c.deletion[0], &[sigma(2.0), 0.5, 0.5, 0.5, 0.5]);
    close(&c.insertion[0], &[0.5, sigma(2.0), sigma(2.0), sigma(2.0), sigma(2.0)]);
    let c = perturbation_curves(&model, &x, &[vec![3, 1, 2, 0]], &[0], 4, 64).unwrap();
    close(&c.deletion[0], &[sigma(2.0), sigma(2.0), sigma(2.0), sigma(2.0), 0.5]);
    close(&c.insertion[0], &[0.5, 0.5, 0.5, 0.5, sigma(2.0)]);
}
