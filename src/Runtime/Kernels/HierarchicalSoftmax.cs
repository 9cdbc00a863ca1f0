using System;
using System.Numerics;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>
/// The binary tree of a hierarchical softmax over <see cref="Classes"/> classes (Morin and Bengio, 2005; Mikolov et al.,
/// 2013): <see cref="Classes"/> leaves (the classes) and <see cref="Nodes"/> = C − 1 inner nodes, each with a vector
/// <c>v_n</c> (a row of the node matrix V[C − 1, H]) and a bias <c>b_n</c>. Class c is the path from the root to its leaf:
/// at inner node n the step to the <b>left</b> child has code <c>s = +1</c> and probability σ(h·v_n + b_n), the step to
/// the right child has code <c>s = −1</c> and probability σ(−(h·v_n + b_n)), so p(c | h) = Π_path σ(s·(h·v_n + b_n)) and
/// the probabilities of the C classes sum to 1.
/// </summary>
/// <remarks>
/// <para><see cref="Balanced"/> splits the classes [lo, hi) into [lo, mid) on the left and [mid, hi) on the right,
/// mid = lo + ⌈(hi − lo)/2⌉, numbering the inner nodes in preorder (the root is node 0): every path has at most
/// ⌈log₂ C⌉ nodes. <see cref="FromParents"/> takes a user-given tree as a parent array.</para>
/// <para><see cref="NodeEvaluations"/> counts the node scores h·v_n + b_n the kernels computed on this tree (one dot product
/// of length H each): the cost measure of the tests, independent of timing.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class HierarchicalSoftmaxTree
{
    private readonly int[] _pathStart;   // [C + 1]: class c's path is entries [_pathStart[c], _pathStart[c + 1])
    private readonly int[] _pathNodes;   // inner node of each path step, root first
    private readonly sbyte[] _pathCodes; // +1 (left) or −1 (right) of each path step
    private readonly int[] _left;        // [C − 1]: left child of each inner node: an inner node (≥ 0) or ~class (< 0)
    private readonly int[] _right;       // [C − 1]: right child, same encoding
    private long _evaluations;

    private HierarchicalSoftmaxTree(int classes, int[] left, int[] right)
    {
        Classes = classes;
        _left = left;
        _right = right;
        var paths = new System.Collections.Generic.List<(int Node, sbyte Code)>[classes];
        var stack = new System.Collections.Generic.List<(int Node, sbyte Code)>();
        Walk(0);
        _pathStart = new int[classes + 1];
        for (int c = 0; c < classes; c++)
        {
            _pathStart[c + 1] = _pathStart[c] + paths[c].Count;
        }

        _pathNodes = new int[_pathStart[classes]];
        _pathCodes = new sbyte[_pathStart[classes]];
        for (int c = 0; c < classes; c++)
        {
            for (int k = 0; k < paths[c].Count; k++)
            {
                _pathNodes[_pathStart[c] + k] = paths[c][k].Node;
                _pathCodes[_pathStart[c] + k] = paths[c][k].Code;
            }
        }

        for (int c = 0; c < classes; c++)
        {
            MaxDepth = Math.Max(MaxDepth, paths[c].Count);
        }

        void Walk(int node)
        {
            foreach ((int child, sbyte code) in new[] { (left[node], (sbyte)1), (right[node], (sbyte)-1) })
            {
                stack.Add((node, code));
                if (child >= 0)
                {
                    Walk(child);
                }
                else
                {
                    paths[~child] = new System.Collections.Generic.List<(int, sbyte)>(stack);
                }

                stack.RemoveAt(stack.Count - 1);
            }
        }
    }

    /// <summary>C, the number of leaves.</summary>
    public int Classes { get; }

    /// <summary>C − 1, the number of inner nodes (rows of the node matrix V).</summary>
    public int Nodes => Classes - 1;

    /// <summary>The longest path: ⌈log₂ C⌉ for <see cref="Balanced"/>.</summary>
    public int MaxDepth { get; }

    /// <summary>Node scores h·v_n + b_n computed so far by the kernels on this tree (a cost counter for tests; thread-safe).</summary>
    public long NodeEvaluations => Interlocked.Read(ref _evaluations);

    /// <summary>Sets <see cref="NodeEvaluations"/> back to 0.</summary>
    public void ResetNodeEvaluations() => Interlocked.Exchange(ref _evaluations, 0);

    internal void Count(long evaluations) => Interlocked.Add(ref _evaluations, evaluations);

    /// <summary>The inner nodes on class <paramref name="c"/>'s path, root first.</summary>
    public ReadOnlySpan<int> PathNodes(int c) => _pathNodes.AsSpan(_pathStart[c], _pathStart[c + 1] - _pathStart[c]);

    /// <summary>The code of each step of class <paramref name="c"/>'s path: +1 to the left child, −1 to the right.</summary>
    public ReadOnlySpan<sbyte> PathCodes(int c) => _pathCodes.AsSpan(_pathStart[c], _pathStart[c + 1] - _pathStart[c]);

    /// <summary>The left child of inner node <paramref name="node"/>: an inner node (≥ 0) or <c>~class</c> (&lt; 0).</summary>
    public int Left(int node) => _left[node];

    /// <summary>The right child of inner node <paramref name="node"/>: an inner node (≥ 0) or <c>~class</c> (&lt; 0).</summary>
    public int Right(int node) => _right[node];

    /// <summary>The balanced tree over <paramref name="classes"/> ≥ 2 classes: [lo, hi) splits into [lo, mid) (left) and
    /// [mid, hi) (right), mid = lo + ⌈(hi − lo)/2⌉; inner nodes numbered in preorder; depth ≤ ⌈log₂ C⌉.</summary>
    public static HierarchicalSoftmaxTree Balanced(int classes)
    {
        if (classes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A hierarchical softmax needs at least 2 classes.");
        }

        int[] left = new int[classes - 1], right = new int[classes - 1];
        int next = 0;
        Build(0, classes);
        return new HierarchicalSoftmaxTree(classes, left, right);

        // Returns the node for classes [lo, hi): ~lo for a single class, else a new inner node.
        int Build(int lo, int hi)
        {
            if (hi - lo == 1)
            {
                return ~lo;
            }

            int node = next++;
            int mid = lo + ((hi - lo + 1) / 2);
            left[node] = Build(lo, mid);
            right[node] = Build(mid, hi);
            return node;
        }
    }

    /// <summary>
    /// A user-given tree as a parent array of length 2C − 1: entries 0 … C − 2 are the inner nodes (node 0 is the root, its
    /// parent −1), entry C − 1 + c is class c's leaf. Every inner node must have exactly two children; of the two, the one
    /// with the smaller index in the array is the left child (code +1). Every class must be reachable from the root.
    /// </summary>
    /// <exception cref="ArgumentException">The array does not describe such a tree; the message names the entry.</exception>
    public static HierarchicalSoftmaxTree FromParents(ReadOnlySpan<int> parents)
    {
        if (parents.Length < 3 || parents.Length % 2 == 0)
        {
            throw new ArgumentException($"Argument 'parents' has {parents.Length} entries; a tree over C ≥ 2 classes has 2C − 1 (C − 1 inner nodes, then C leaves).", nameof(parents));
        }

        int classes = (parents.Length + 1) / 2, inner = classes - 1;
        int[] left = new int[inner], right = new int[inner];
        left.AsSpan().Fill(int.MinValue);
        right.AsSpan().Fill(int.MinValue);
        if (parents[0] != -1)
        {
            throw new ArgumentException($"Entry 0 of 'parents' (the root) must be −1, not {parents[0]}.", nameof(parents));
        }

        for (int i = 1; i < parents.Length; i++)
        {
            int p = parents[i];
            if (p < 0 || p >= inner)
            {
                throw new ArgumentException($"Entry {i} of 'parents' is {p}; a parent must be an inner node in [0, {inner}).", nameof(parents));
            }

            int child = i < inner ? i : ~(i - inner);
            if (left[p] == int.MinValue)
            {
                left[p] = child;
            }
            else if (right[p] == int.MinValue)
            {
                right[p] = child;
            }
            else
            {
                throw new ArgumentException($"Inner node {p} of 'parents' has more than two children (entry {i} is the third).", nameof(parents));
            }
        }

        for (int n = 0; n < inner; n++)
        {
            if (right[n] == int.MinValue)
            {
                throw new ArgumentException($"Inner node {n} of 'parents' has {(left[n] == int.MinValue ? "no" : "one")} child; every inner node needs two.", nameof(parents));
            }
        }

        // C − 1 inner nodes with two children each and 2C − 2 child slots: a cycle would leave some class unreachable.
        var reached = new bool[classes];
        var visited = new bool[inner];
        var pending = new System.Collections.Generic.Stack<int>();
        pending.Push(0);
        while (pending.Count > 0)
        {
            int n = pending.Pop();
            if (visited[n])
            {
                continue;
            }

            visited[n] = true;
            foreach (int child in new[] { left[n], right[n] })
            {
                if (child >= 0)
                {
                    pending.Push(child);
                }
                else
                {
                    reached[~child] = true;
                }
            }
        }

        int missing = Array.IndexOf(reached, false);
        if (missing >= 0)
        {
            throw new ArgumentException($"Class {missing} of 'parents' (entry {inner + missing}) is not reachable from the root (node 0): the parent array has a cycle.", nameof(parents));
        }

        return new HierarchicalSoftmaxTree(classes, left, right);
    }
}

/// <summary>
/// Hierarchical softmax over a <see cref="HierarchicalSoftmaxTree"/>: the loss with its gradients, computed along the
/// target's path only (O(H·log C) per row for a balanced tree), the full distribution over the C classes (O(C·H) per
/// row) and the greedy descent to a leaf (O(H·log C) per row).
/// </summary>
/// <remarks>Shapes: features <c>h[B, H]</c>, node matrix <c>V[C − 1, H]</c> (row n is v_n), node biases <c>b[C − 1]</c>.
/// Sums run in double, as the other losses' do.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class HierarchicalSoftmax
{
    [ThreadStatic]
    private static double[]? s_logSigmoids; // log σ(z_n) and log σ(−z_n) of one row, for Probabilities

    /// <summary>
    /// L_i = −Σ_{n ∈ path(y_i)} log σ(s_n·z_n), z_n = h_i·v_n + b_n; returns Σ_i L_i. Writes the gradients of the batch
    /// mean L = (1/B) Σ_i L_i: with g_n = −s_n·σ(−s_n·z_n)/B (∂L/∂z_n),
    /// dh_i = Σ_path g_n·v_n (overwritten), dV_n = Σ_i g_n·h_i and db_n = Σ_i g_n (dV and db are cleared first, then only
    /// the rows on the batch's paths are written).
    /// </summary>
    public static double Loss<T>(
        ReadOnlySpan<T> h, ReadOnlySpan<int> labels, Span<T> dh, int batch, int features,
        ReadOnlySpan<T> nodeWeight, ReadOnlySpan<T> nodeBias, Span<T> dNodeWeight, Span<T> dNodeBias, HierarchicalSoftmaxTree tree)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(h, batch, features, nodeWeight, nodeBias, tree);
        ThrowHelper.RequireLength(labels.Length, batch, nameof(labels));
        ThrowHelper.RequireLength(dh.Length, (long)batch * features, nameof(dh));
        ThrowHelper.RequireLength(dNodeWeight.Length, (long)tree.Nodes * features, nameof(dNodeWeight));
        ThrowHelper.RequireLength(dNodeBias.Length, tree.Nodes, nameof(dNodeBias));
        for (int i = 0; i < batch; i++)
        {
            if ((uint)labels[i] >= (uint)tree.Classes)
            {
                ThrowHelper.ThrowLabel(labels[i], i, tree.Classes);
            }
        }

        dNodeWeight.Slice(0, tree.Nodes * features).Clear();
        dNodeBias.Slice(0, tree.Nodes).Clear();
        if (batch == 0)
        {
            return 0.0;
        }

        double loss = 0.0;
        long evaluations = 0;
        T invB = T.One / T.CreateTruncating(batch);
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> hi = h.Slice(i * features, features);
            Span<T> dhi = dh.Slice(i * features, features);
            dhi.Clear();
            ReadOnlySpan<int> nodes = tree.PathNodes(labels[i]);
            ReadOnlySpan<sbyte> codes = tree.PathCodes(labels[i]);
            evaluations += nodes.Length;
            for (int k = 0; k < nodes.Length; k++)
            {
                int n = nodes[k];
                ReadOnlySpan<T> v = nodeWeight.Slice(n * features, features);
                T s = T.CreateTruncating(codes[k]);
                T z = Dot(hi, v) + nodeBias[n];

                // −log σ(s·z) = softplus(−s·z) = max(−s·z, 0) + log(1 + e^(−|s·z|)): e^(−|·|) ≤ 1 never overflows.
                T m = -s * z;
                loss += double.CreateTruncating(T.Max(m, T.Zero) + T.LogP1(T.Exp(-T.Abs(m))));

                // ∂(−log σ(s·z))/∂z = −s·σ(−s·z) = −s·σ(m); σ(m) from the same e^(−|m|).
                T e = T.Exp(-T.Abs(m));
                T sigma = m >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
                T g = -s * sigma * invB;
                Span<T> dv = dNodeWeight.Slice(n * features, features);
                for (int j = 0; j < features; j++)
                {
                    dhi[j] += g * v[j];
                    dv[j] += g * hi[j];
                }

                dNodeBias[n] += g;
            }
        }

        tree.Count(evaluations);
        return loss;
    }

    /// <summary>
    /// p(c | h_i) = Π_{n ∈ path(c)} σ(s_n·z_n) for every class: probabilities[B, C]. Every node's score is computed once per
    /// row (C − 1 dot products), then each class sums its path's log σ in double and exponentiates, so a long path does not
    /// underflow before the end.
    /// </summary>
    public static void Probabilities<T>(
        ReadOnlySpan<T> h, int batch, int features, ReadOnlySpan<T> nodeWeight, ReadOnlySpan<T> nodeBias,
        Span<T> probabilities, HierarchicalSoftmaxTree tree)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(h, batch, features, nodeWeight, nodeBias, tree);
        ThrowHelper.RequireLength(probabilities.Length, (long)batch * tree.Classes, nameof(probabilities));
        int inner = tree.Nodes;
        if (s_logSigmoids is null || s_logSigmoids.Length < 2 * inner)
        {
            s_logSigmoids = new double[2 * inner]; // grown once per thread, then reused: Predict allocates nothing in steady state
        }

        Span<double> logLeft = s_logSigmoids.AsSpan(0, inner), logRight = s_logSigmoids.AsSpan(inner, inner);
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> hi = h.Slice(i * features, features);
            for (int n = 0; n < inner; n++)
            {
                double z = double.CreateTruncating(Dot(hi, nodeWeight.Slice(n * features, features)) + nodeBias[n]);
                logLeft[n] = LogSigmoid(z);
                logRight[n] = LogSigmoid(-z);
            }

            for (int c = 0; c < tree.Classes; c++)
            {
                ReadOnlySpan<int> nodes = tree.PathNodes(c);
                ReadOnlySpan<sbyte> codes = tree.PathCodes(c);
                double log = 0;
                for (int k = 0; k < nodes.Length; k++)
                {
                    log += codes[k] > 0 ? logLeft[nodes[k]] : logRight[nodes[k]];
                }

                probabilities[(i * tree.Classes) + c] = T.CreateTruncating(Math.Exp(log));
            }
        }

        tree.Count((long)batch * inner);
    }

    /// <summary>
    /// Greedy descent: from the root, step left while z_n = h·v_n + b_n ≥ 0 (σ(z_n) ≥ ½), else right, to a leaf; one node
    /// score per level, at most ⌈log₂ C⌉ for a balanced tree. The leaf reached is the class of the most probable step at
    /// each node, which need not be the argmax of the full distribution (that takes <see cref="Probabilities{T}"/>).
    /// </summary>
    public static void GreedyClasses<T>(
        ReadOnlySpan<T> h, int batch, int features, ReadOnlySpan<T> nodeWeight, ReadOnlySpan<T> nodeBias,
        Span<int> classes, HierarchicalSoftmaxTree tree)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(h, batch, features, nodeWeight, nodeBias, tree);
        ThrowHelper.RequireLength(classes.Length, batch, nameof(classes));
        long evaluations = 0;
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> hi = h.Slice(i * features, features);
            int node = 0;
            while (node >= 0)
            {
                T z = Dot(hi, nodeWeight.Slice(node * features, features)) + nodeBias[node];
                evaluations++;
                node = z >= T.Zero ? tree.Left(node) : tree.Right(node);
            }

            classes[i] = ~node;
        }

        tree.Count(evaluations);
    }

    private static double LogSigmoid(double z) => z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));

    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int j = 0; j < a.Length; j++)
        {
            sum += a[j] * b[j];
        }

        return sum;
    }

    private static void Validate<T>(ReadOnlySpan<T> h, int batch, int features, ReadOnlySpan<T> nodeWeight, ReadOnlySpan<T> nodeBias, HierarchicalSoftmaxTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(features, nameof(features));
        ThrowHelper.RequireLength(h.Length, (long)batch * features, nameof(h));
        ThrowHelper.RequireLength(nodeWeight.Length, (long)tree.Nodes * features, nameof(nodeWeight));
        ThrowHelper.RequireLength(nodeBias.Length, tree.Nodes, nameof(nodeBias));
    }
}
