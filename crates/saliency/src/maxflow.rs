//! Maximum flow / minimum cut by Dinic's algorithm, for the small graphs of graph-cut
//! segmentation (a 28×28 pixel grid plus source and sink).
//!
//! Edges are stored in pairs (`e`, `e ^ 1` is its reverse) in flat arrays; each phase builds BFS
//! levels from the source over edges with residual capacity and pushes blocking flow along
//! level-increasing paths with an iterative DFS and per-node edge pointers. Capacities are `f64`;
//! a residual below [`EPS`] counts as saturated. After [`FlowGraph::max_flow`], the nodes still
//! reachable from the source in the residual graph form the source side of a minimum cut.

/// Residual capacities below this are treated as zero.
pub const EPS: f64 = 1e-9;

/// A directed graph with capacities, built once and solved once.
#[derive(Clone, Debug)]
pub struct FlowGraph {
    head: Vec<usize>,
    next: Vec<usize>,
    to: Vec<usize>,
    cap: Vec<f64>,
}

const NONE: usize = usize::MAX;

impl FlowGraph {
    /// A graph with `nodes` nodes and no edge.
    pub fn new(nodes: usize) -> Self {
        FlowGraph { head: vec![NONE; nodes], next: Vec::new(), to: Vec::new(), cap: Vec::new() }
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.head.len()
    }

    fn push_edge(&mut self, from: usize, to: usize, cap: f64) {
        self.to.push(to);
        self.cap.push(cap);
        self.next.push(self.head[from]);
        self.head[from] = self.to.len() - 1;
    }

    /// Adds `a → b` with capacity `ab` and `b → a` with capacity `ba` (one edge pair).
    ///
    /// # Panics
    /// If a node is out of range (the caller builds the graph; this is a programming error).
    pub fn add_edge(&mut self, a: usize, b: usize, ab: f64, ba: f64) {
        assert!(a < self.nodes() && b < self.nodes(), "edge {a}–{b} outside 0..{}", self.nodes());
        self.push_edge(a, b, ab.max(0.0));
        self.push_edge(b, a, ba.max(0.0));
    }

    fn levels(&self, s: usize) -> Vec<usize> {
        let mut level = vec![NONE; self.nodes()];
        let mut queue = std::collections::VecDeque::from([s]);
        level[s] = 0;
        while let Some(u) = queue.pop_front() {
            let mut e = self.head[u];
            while e != NONE {
                let v = self.to[e];
                if level[v] == NONE && self.cap[e] > EPS {
                    level[v] = level[u] + 1;
                    queue.push_back(v);
                }
                e = self.next[e];
            }
        }
        level
    }

    /// Sends the maximum flow from `s` to `t` and returns its value.
    pub fn max_flow(&mut self, s: usize, t: usize) -> f64 {
        if s == t {
            return 0.0;
        }
        let mut total = 0.0;
        loop {
            let level = self.levels(s);
            if level[t] == NONE {
                return total;
            }
            let mut cursor = self.head.clone();
            // Iterative DFS: `path` holds the edges from s to the current node.
            let mut path: Vec<usize> = Vec::new();
            let mut u = s;
            loop {
                if u == t {
                    let pushed = path.iter().map(|&e| self.cap[e]).fold(f64::INFINITY, f64::min);
                    for &e in &path {
                        self.cap[e] -= pushed;
                        self.cap[e ^ 1] += pushed;
                    }
                    total += pushed;
                    // Restart from the tail of the first saturated edge.
                    let cut = path.iter().position(|&e| self.cap[e] <= EPS).unwrap_or(0);
                    path.truncate(cut);
                    u = path.last().map_or(s, |&e| self.to[e]);
                    continue;
                }
                let mut advanced = false;
                while cursor[u] != NONE {
                    let e = cursor[u];
                    let v = self.to[e];
                    if self.cap[e] > EPS && level[v] == level[u] + 1 {
                        path.push(e);
                        u = v;
                        advanced = true;
                        break;
                    }
                    cursor[u] = self.next[e];
                }
                if advanced {
                    continue;
                }
                // Dead end: retreat and skip the edge that led here.
                match path.pop() {
                    None => break,
                    Some(e) => {
                        u = self.to[e ^ 1];
                        cursor[u] = self.next[cursor[u]];
                    }
                }
            }
        }
    }

    /// After [`FlowGraph::max_flow`]: for each node, whether it is on the source side of the
    /// minimum cut (reachable from `s` through residual capacity).
    pub fn source_side(&self, s: usize) -> Vec<bool> {
        self.levels(s).into_iter().map(|l| l != NONE).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrous_tensor::rng::Rng;

    /// Value of the cut whose source side is `side`, on the original capacities.
    fn cut_value(edges: &[(usize, usize, f64)], side: &[bool]) -> f64 {
        edges.iter().filter(|(a, b, _)| side[*a] && !side[*b]).map(|e| e.2).sum()
    }

    /// Every s–t cut of a tiny graph, by enumeration: the true minimum.
    fn brute_min_cut(n: usize, s: usize, t: usize, edges: &[(usize, usize, f64)]) -> f64 {
        let mut best = f64::INFINITY;
        for mask in 0..(1u32 << n) {
            let side: Vec<bool> = (0..n).map(|i| mask >> i & 1 == 1).collect();
            if side[s] && !side[t] {
                best = best.min(cut_value(edges, &side));
            }
        }
        best
    }

    #[test]
    fn max_flow_equals_brute_force_min_cut_on_random_tiny_graphs() {
        let mut rng = Rng::seed_from(7);
        for trial in 0..300 {
            let n = 2 + trial % 7;
            let mut g = FlowGraph::new(n);
            let mut edges = Vec::new();
            for a in 0..n {
                for b in 0..n {
                    if a != b && rng.next_f32() < 0.45 {
                        // Integer-valued capacities half the time, to exercise exact ties.
                        let c = if trial % 2 == 0 {
                            (rng.next_f32() * 4.0).floor()
                        } else {
                            rng.next_f32() * 3.0
                        };
                        let c = f64::from(c);
                        g.add_edge(a, b, c, 0.0);
                        edges.push((a, b, c));
                    }
                }
            }
            let (s, t) = (0, n - 1);
            let flow = g.max_flow(s, t);
            let brute = brute_min_cut(n, s, t, &edges);
            assert!((flow - brute).abs() < 1e-6, "trial {trial}: flow {flow} vs min cut {brute}");
            let side = g.source_side(s);
            assert!(side[s] && !side[t]);
            assert!(
                (cut_value(&edges, &side) - brute).abs() < 1e-6,
                "trial {trial}: returned cut is not minimal"
            );
        }
    }

    #[test]
    fn textbook_example_has_flow_23() {
        // CLRS figure 26.1: max flow 23.
        let edges = [
            (0, 1, 16.0),
            (0, 2, 13.0),
            (2, 1, 4.0),
            (1, 3, 12.0),
            (3, 2, 9.0),
            (2, 4, 14.0),
            (4, 3, 7.0),
            (3, 5, 20.0),
            (4, 5, 4.0),
        ];
        let mut g = FlowGraph::new(6);
        for &(a, b, c) in &edges {
            g.add_edge(a, b, c, 0.0);
        }
        assert_eq!(g.max_flow(0, 5), 23.0);
    }
}
