//! The tape: an append-only list of nodes whose creation order is a topological order.
//!
//! Every operation appends one node holding its output value. When some input requires a
//! gradient, the node also records an [`Op`]: what is needed to send the output's gradient back
//! to its inputs. [`Tape::backward`] walks the nodes once, newest first, so each node's gradient
//! is complete (all its uses have been visited) before it is passed on; gradients of a value used
//! twice add up.
//!
//! The backward dispatch is one exhaustive `match` over [`Op`]: an operation cannot exist without
//! its gradient. Each operation's forward and backward sit side by side in one `ops` file.

use crate::ops::{activation, conv, elementwise, linear, loss, mix, normalise, reduce};
use crate::{AutogradError, Result};
use atrous_tensor::{Tensor, simd};
use rayon::prelude::*;

/// A handle to a value on a [`Tape`]. Cheap to copy; only meaningful on the tape that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(pub(crate) usize);

/// How a node was computed from its inputs: the data its backward pass needs.
#[derive(Debug)]
pub(crate) enum Op {
    /// A value made outside the tape (data, parameters) or an op none of whose inputs needs a gradient.
    Leaf,
    Conv2d(conv::Conv2dOp),
    Conv2dContinuous(conv::ContinuousConvOp),
    MaxPool2d(conv::MaxPoolOp),
    GlobalAvgPool(conv::GlobalAvgPoolOp),
    Linear(linear::LinearOp),
    Relu(activation::ReluOp),
    Reshape(elementwise::ReshapeOp),
    Add(elementwise::AddOp),
    Mul(elementwise::MulOp),
    Affine(elementwise::AffineOp),
    Sum(reduce::SumOp),
    Mean(reduce::MeanOp),
    PickClass(reduce::PickClassOp),
    CrossEntropy(loss::CrossEntropyOp),
    Mix(mix::MixOp),
    ChannelNorm(normalise::ChannelNormOp),
}

#[derive(Debug)]
struct Node {
    value: Tensor,
    requires_grad: bool,
    op: Op,
}

/// How a backward pass sends a gradient through a ReLU. Attribution methods that predate
/// Integrated Gradients differ from the plain gradient only here (Simonyan et al. 2014, §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReluBackward {
    /// The gradient: `dx = dy · [y > 0]`.
    #[default]
    Gradient,
    /// Guided backpropagation (Springenberg et al. 2014): `dx = max(dy, 0) · [y > 0]`.
    Guided,
    /// The deconvnet rule (Zeiler & Fergus 2014): `dx = max(dy, 0)`, whatever the forward sign.
    Deconvnet,
}

/// Backward rules that replace an operation's true gradient. The default is the true gradient
/// everywhere; [`Tape::backward_with_rules`] takes others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackwardRules {
    /// The rule of every ReLU.
    pub relu: ReluBackward,
}

impl BackwardRules {
    /// The true gradient, except through ReLUs, which follow `relu`.
    pub fn with_relu(relu: ReluBackward) -> Self {
        BackwardRules { relu }
    }
}

/// Records a computation for reverse-mode differentiation.
#[derive(Debug, Default)]
pub struct Tape {
    nodes: Vec<Node>,
}

/// Gradients from one backward pass, indexed by [`Var`].
#[derive(Debug)]
pub struct Grads(Vec<Option<Tensor>>);

impl Grads {
    /// The gradient of `var`, if the backward pass reached it.
    pub fn get(&self, var: Var) -> Option<&Tensor> {
        self.0.get(var.0).and_then(Option::as_ref)
    }

    /// Moves the gradient of `var` out.
    pub fn take(&mut self, var: Var) -> Option<Tensor> {
        self.0.get_mut(var.0).and_then(Option::take)
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Tape::default()
    }

    /// Number of nodes recorded.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a tape with no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A value from outside: data (`requires_grad = false`) or a parameter or an input image whose
    /// gradient is wanted (`true`).
    pub fn leaf(&mut self, value: Tensor, requires_grad: bool) -> Var {
        self.nodes.push(Node { value, requires_grad, op: Op::Leaf });
        Var(self.nodes.len() - 1)
    }

    /// A leaf that needs no gradient.
    pub fn constant(&mut self, value: Tensor) -> Var {
        self.leaf(value, false)
    }

    /// A leaf whose gradient is wanted.
    pub fn param(&mut self, value: Tensor) -> Var {
        self.leaf(value, true)
    }

    /// The value of `var`.
    pub fn value(&self, var: Var) -> &Tensor {
        &self.nodes[var.0].value
    }

    /// Whether a gradient flows to `var`.
    pub fn requires_grad(&self, var: Var) -> bool {
        self.nodes[var.0].requires_grad
    }

    /// Appends an op's output. The op is recorded only if one of `inputs` requires a gradient;
    /// `make_op` is not even called otherwise, so inference keeps no backward data.
    pub(crate) fn push(&mut self, value: Tensor, inputs: &[Var], make_op: impl FnOnce() -> Op) -> Var {
        let requires_grad = inputs.iter().any(|&v| self.requires_grad(v));
        let op = if requires_grad { make_op() } else { Op::Leaf };
        self.nodes.push(Node { value, requires_grad, op });
        Var(self.nodes.len() - 1)
    }

    /// The first recorded value that is NaN or infinite, as (node index, value): a forward pass
    /// whose weights overflow `f32` can hide it behind a ReLU (which maps NaN to 0), so checking
    /// the output alone does not find it.
    pub fn first_non_finite(&self) -> Option<(usize, f32)> {
        // A vector scan of the nodes in parallel first; finding the element is only paid for the
        // first node that has one.
        let node = self.nodes.par_iter().position_first(|n| !simd::all_finite(n.value.as_slice()))?;
        let bad = self.nodes[node].value.as_slice().iter().find(|v| !v.is_finite())?;
        Some((node, *bad))
    }

    /// Every ReLU output recorded for backward, oldest first: a network's rectified layer
    /// outputs, where class activation maps (Grad-CAM) look.
    pub fn relu_outputs(&self) -> Vec<Var> {
        let relu = |(i, node): (usize, &Node)| matches!(node.op, Op::Relu(_)).then_some(Var(i));
        self.nodes.iter().enumerate().filter_map(relu).collect()
    }

    /// Gradients of the scalar `loss` with respect to every node that requires one.
    pub fn backward(&self, loss: Var) -> Result<Grads> {
        if self.value(loss).len() != 1 {
            return Err(AutogradError::NotScalar { shape: self.value(loss).shape().clone() });
        }
        let seed = Tensor::full(self.value(loss).dims(), 1.0);
        self.backward_with(loss, seed)
    }

    /// Vector–Jacobian product: gradients of `Σ seed ⊙ output` with respect to every node that
    /// requires one. `seed` must have the shape of `output`.
    pub fn backward_with(&self, output: Var, seed: Tensor) -> Result<Grads> {
        self.backward_with_rules(output, seed, BackwardRules::default())
    }

    /// [`backward_with`](Self::backward_with) under modified backward `rules` (guided
    /// backpropagation, deconvnet): what flows back is then no longer a gradient, but every other
    /// operation is differentiated as usual.
    pub fn backward_with_rules(&self, output: Var, seed: Tensor, rules: BackwardRules) -> Result<Grads> {
        self.backward_keeping(output, seed, rules, &[])
    }

    /// [`backward_with_rules`](Self::backward_with_rules) that also keeps the gradient arriving at
    /// each of `keep`: intermediate values (a layer's output, as Grad-CAM needs), whose gradients
    /// a backward pass otherwise drops once it has passed them on.
    pub fn backward_keeping(
        &self,
        output: Var,
        seed: Tensor,
        rules: BackwardRules,
        keep: &[Var],
    ) -> Result<Grads> {
        self.backward_down_to(output, seed, rules, keep, 0)
    }

    /// The gradients arriving at each of `targets` (intermediate values or leaves) and nothing
    /// below them: nodes are recorded in evaluation order, so once the pass is below the newest
    /// node that could feed a target, every target's gradient is complete and the nodes older
    /// than the oldest target are not differentiated. Other nodes' gradients in the result are
    /// partial and should not be read.
    pub fn backward_until(
        &self,
        output: Var,
        seed: Tensor,
        rules: BackwardRules,
        targets: &[Var],
    ) -> Result<Grads> {
        let floor = targets.iter().map(|v| v.0 + 1).min().unwrap_or(0);
        self.backward_down_to(output, seed, rules, targets, floor)
    }

    /// The backward pass over nodes `floor..=output`, newest first, keeping the gradients of
    /// `keep`.
    fn backward_down_to(
        &self,
        output: Var,
        seed: Tensor,
        rules: BackwardRules,
        keep: &[Var],
        floor: usize,
    ) -> Result<Grads> {
        if seed.dims() != self.value(output).dims() {
            return Err(AutogradError::SeedShape {
                seed: seed.shape().clone(),
                output: self.value(output).shape().clone(),
            });
        }
        let mut grads: Vec<Option<Tensor>> = (0..self.nodes.len()).map(|_| None).collect();
        grads[output.0] = Some(seed);
        for index in (floor..=output.0).rev() {
            let node = &self.nodes[index];
            if !node.requires_grad || matches!(node.op, Op::Leaf) {
                continue;
            }
            let arrived = if keep.contains(&Var(index)) { grads[index].clone() } else { grads[index].take() };
            let Some(grad) = arrived else { continue };
            let contributions = self.op_backward(&node.op, &node.value, &grad, rules)?;
            // Leaves keep their gradient; intermediate gradients are dropped once passed on.
            for (var, g) in contributions {
                if !self.requires_grad(var) {
                    continue;
                }
                match &mut grads[var.0] {
                    Some(acc) => acc.add_assign(&g)?,
                    slot @ None => *slot = Some(g),
                }
            }
        }
        Ok(Grads(grads))
    }

    /// The exhaustive backward dispatch: input gradients of one node from its output gradient.
    fn op_backward(
        &self,
        op: &Op,
        out: &Tensor,
        grad: &Tensor,
        rules: BackwardRules,
    ) -> Result<Vec<(Var, Tensor)>> {
        match op {
            Op::Leaf => Ok(Vec::new()),
            Op::Conv2d(op) => op.backward(self, grad),
            Op::Conv2dContinuous(op) => op.backward(self, grad),
            Op::MaxPool2d(op) => op.backward(self, grad),
            Op::GlobalAvgPool(op) => op.backward(self, grad),
            Op::Linear(op) => op.backward(self, grad),
            Op::Relu(op) => op.backward(out, grad, rules.relu),
            Op::Reshape(op) => op.backward(self, grad),
            Op::Add(op) => op.backward(grad),
            Op::Mul(op) => op.backward(self, grad),
            Op::Affine(op) => op.backward(grad),
            Op::Sum(op) => op.backward(self, grad),
            Op::Mean(op) => op.backward(self, grad),
            Op::PickClass(op) => op.backward(self, grad),
            Op::CrossEntropy(op) => op.backward(grad),
            Op::Mix(op) => op.backward(self, grad),
            Op::ChannelNorm(op) => op.backward(self, grad),
        }
    }
}
