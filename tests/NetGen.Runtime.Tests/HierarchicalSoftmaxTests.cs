using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The hierarchical-softmax tree and kernels: paths, the loss and its gradients against a naive double reference and
/// centred differences, the full distribution, greedy descent, and the cost counted in node evaluations (not time).</summary>
public sealed class HierarchicalSoftmaxTests
{
    private static double[] Random(int n, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = ((rng.NextDouble() * 2) - 1) * scale;
        }

        return x;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1000)]
    public void BalancedTreeHasOnePathPerClassOfAtMostCeilLog2CNodes(int classes)
    {
        var tree = HierarchicalSoftmaxTree.Balanced(classes);
        int ceilLog2 = (int)Math.Ceiling(Math.Log2(classes));
        Assert.Equal(classes - 1, tree.Nodes);
        Assert.Equal(ceilLog2, tree.MaxDepth);
        var seen = new HashSet<string>();
        for (int c = 0; c < classes; c++)
        {
            ReadOnlySpan<int> nodes = tree.PathNodes(c);
            Assert.InRange(nodes.Length, 1, ceilLog2);
            Assert.Equal(0, nodes[0]); // every path starts at the root
            Assert.True(seen.Add(string.Join(",", tree.PathCodes(c).ToArray())), $"class {c} shares its code with another class");
        }
    }

    [Fact]
    public void TenClassesHavePathsOfFourFourThreeThreeThreeInEachHalf()
    {
        // The docs' initial loss for C = 10 (every branch ½): mean path length 3.4, so 3.4·ln 2 ≈ 2.357.
        var tree = HierarchicalSoftmaxTree.Balanced(10);
        Assert.Equal(new[] { 4, 4, 3, 3, 3, 4, 4, 3, 3, 3 }, Enumerable.Range(0, 10).Select(c => tree.PathNodes(c).Length));
    }

    [Fact]
    public void ThreeClassesSplitTwoLeftOneRight()
    {
        var tree = HierarchicalSoftmaxTree.Balanced(3);
        Assert.Equal(new[] { 0, 1 }, tree.PathNodes(0).ToArray());
        Assert.Equal(new sbyte[] { 1, 1 }, tree.PathCodes(0).ToArray());
        Assert.Equal(new sbyte[] { 1, -1 }, tree.PathCodes(1).ToArray());
        Assert.Equal(new[] { 0 }, tree.PathNodes(2).ToArray());
        Assert.Equal(new sbyte[] { -1 }, tree.PathCodes(2).ToArray());
    }

    [Fact]
    public void ParentArrayGivesTheSameTreeAsTheBalancedOneAndBadArraysThrowNamingTheEntry()
    {
        // Balanced(3): node 0 → (node 1, class 2), node 1 → (class 0, class 1). Entries: node 0, node 1, class 0, 1, 2.
        var tree = HierarchicalSoftmaxTree.FromParents(new[] { -1, 0, 1, 1, 0 });
        var balanced = HierarchicalSoftmaxTree.Balanced(3);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(balanced.PathNodes(c).ToArray(), tree.PathNodes(c).ToArray());
            Assert.Equal(balanced.PathCodes(c).ToArray(), tree.PathCodes(c).ToArray());
        }

        // An unbalanced chain over 4 classes: class 3 hangs deepest.
        var chain = HierarchicalSoftmaxTree.FromParents(new[] { -1, 0, 1, 0, 1, 2, 2 });
        Assert.Equal(3, chain.MaxDepth);
        Assert.Equal(new sbyte[] { -1 }, chain.PathCodes(0).ToArray()); // node 0's children: node 1 (entry 1, left), class 0 (entry 3, right)

        Assert.Contains("2C − 1", Assert.Throws<ArgumentException>(() => HierarchicalSoftmaxTree.FromParents(new[] { -1, 0, 0, 0 })).Message);
        Assert.Contains("root", Assert.Throws<ArgumentException>(() => HierarchicalSoftmaxTree.FromParents(new[] { 1, 0, 1, 1, 0 })).Message);
        Assert.Contains("more than two children", Assert.Throws<ArgumentException>(() => HierarchicalSoftmaxTree.FromParents(new[] { -1, 0, 0, 0, 0 })).Message);
        Assert.Contains("Entry 2", Assert.Throws<ArgumentException>(() => HierarchicalSoftmaxTree.FromParents(new[] { -1, 0, 5, 1, 0 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => HierarchicalSoftmaxTree.Balanced(1));
    }

    [Fact]
    public void LossAndGradientsMatchANaiveReferenceAndCentredDifferences()
    {
        const int B = 4, H = 5, C = 7;
        var tree = HierarchicalSoftmaxTree.Balanced(C);
        double[] h = Random(B * H, 1), v = Random((C - 1) * H, 2), b = Random(C - 1, 3);
        int[] y = { 0, 6, 3, 4 };
        var dh = new double[B * H];
        var dv = Enumerable.Repeat(9.0, (C - 1) * H).ToArray(); // stale values: the kernel clears them
        var db = Enumerable.Repeat(9.0, C - 1).ToArray();
        double sum = HierarchicalSoftmax.Loss<double>(h, y, dh, B, H, v, b, dv, db, tree);

        double Mean(double[] hh, double[] vv, double[] bb)
        {
            double total = 0;
            for (int i = 0; i < B; i++)
            {
                for (int k = 0; k < tree.PathNodes(y[i]).Length; k++)
                {
                    int n = tree.PathNodes(y[i])[k];
                    double z = bb[n];
                    for (int j = 0; j < H; j++)
                    {
                        z += hh[(i * H) + j] * vv[(n * H) + j];
                    }

                    total -= Math.Log(1 / (1 + Math.Exp(-tree.PathCodes(y[i])[k] * z)));
                }
            }

            return total / B;
        }

        Assert.Equal(Mean(h, v, b), sum / B, 12);
        void Check(double[] x, double[] analytic)
        {
            for (int k = 0; k < x.Length; k++)
            {
                double saved = x[k];
                x[k] = saved + 1e-6;
                double plus = Mean(h, v, b);
                x[k] = saved - 1e-6;
                double minus = Mean(h, v, b);
                x[k] = saved;
                Assert.Equal((plus - minus) / 2e-6, analytic[k], 7);
            }
        }

        Check(h, dh);
        Check(v, dv);
        Check(b, db);
    }

    [Fact]
    public void ProbabilitiesSumToOneAndGreedyDescentFollowsTheLikelierChild()
    {
        const int B = 3, H = 4, C = 11;
        var tree = HierarchicalSoftmaxTree.Balanced(C);
        double[] h = Random(B * H, 4, 2), v = Random((C - 1) * H, 5, 2), b = Random(C - 1, 6);
        var p = new double[B * C];
        HierarchicalSoftmax.Probabilities<double>(h, B, H, v, b, p, tree);
        var greedy = new int[B];
        HierarchicalSoftmax.GreedyClasses<double>(h, B, H, v, b, greedy, tree);
        var dh = new double[B * H];
        for (int i = 0; i < B; i++)
        {
            Assert.Equal(1.0, p.Skip(i * C).Take(C).Sum(), 12);

            // p(c) = exp(−L) for the one-row loss of class c.
            for (int c = 0; c < C; c++)
            {
                double loss = HierarchicalSoftmax.Loss<double>(h.AsSpan(i * H, H), new[] { c }, dh.AsSpan(0, H), 1, H, v, b, new double[(C - 1) * H], new double[C - 1], tree);
                Assert.Equal(Math.Exp(-loss), p[(i * C) + c], 12);
            }

            // Along the greedy class's path every step took the child with probability ≥ ½.
            for (int k = 0; k < tree.PathNodes(greedy[i]).Length; k++)
            {
                int n = tree.PathNodes(greedy[i])[k];
                double z = b[n] + Enumerable.Range(0, H).Sum(j => h[(i * H) + j] * v[(n * H) + j]);
                Assert.True(tree.PathCodes(greedy[i])[k] * z >= 0);
            }
        }
    }

    [Fact]
    public void WithOneThousandClassesTrainingAndGreedyCostAtMostCeilLog2CNodeEvaluationsPerSampleAndTheDistributionCMinusOne()
    {
        // The cost is counted, not timed: NodeEvaluations counts the node scores h·v_n + b_n (one length-H dot product each).
        // A flat softmax over C classes computes C such scores (the C rows of its last Dense) for every sample.
        const int B = 64, H = 8;
        var perSample = new Dictionary<int, double>();
        foreach (int classes in new[] { 10, 100, 1000 })
        {
            var tree = HierarchicalSoftmaxTree.Balanced(classes);
            float[] h = Random(B * H, 7).Select(x => (float)x).ToArray();
            float[] v = Random((classes - 1) * H, 8, 0.1).Select(x => (float)x).ToArray();
            var b = new float[classes - 1];
            int[] y = Enumerable.Range(0, B).Select(i => (i * 7919) % classes).ToArray();
            int ceilLog2 = (int)Math.Ceiling(Math.Log2(classes));

            tree.ResetNodeEvaluations();
            HierarchicalSoftmax.Loss<float>(h, y, new float[B * H], B, H, v, b, new float[v.Length], new float[b.Length], tree);
            long training = tree.NodeEvaluations;
            Assert.Equal(y.Sum(c => (long)tree.PathNodes(c).Length), training); // exactly the nodes on the targets' paths
            Assert.True(training <= (long)B * ceilLog2, $"C = {classes}: {training} node evaluations for {B} samples > {B}·⌈log₂ C⌉ = {B * ceilLog2}");
            perSample[classes] = (double)training / B;

            tree.ResetNodeEvaluations();
            HierarchicalSoftmax.GreedyClasses<float>(h, B, H, v, b, new int[B], tree);
            Assert.True(tree.NodeEvaluations <= (long)B * ceilLog2);

            tree.ResetNodeEvaluations();
            HierarchicalSoftmax.Probabilities<float>(h, B, H, v, b, new float[B * classes], tree);
            Assert.Equal((long)B * (classes - 1), tree.NodeEvaluations); // the full distribution is O(C) per sample
        }

        // ×100 classes (10 → 1000) costs at most ⌈log₂ 1000⌉ = 10 nodes per sample against a flat softmax's 1000.
        Assert.InRange(perSample[1000], 9.0, 10.0);
        Assert.True(perSample[1000] / perSample[10] < 3.5, $"per-sample cost grew {perSample[1000] / perSample[10]}× from 10 to 1000 classes");
    }

    [Fact]
    public void WrongLengthsAndLabelsThrowBeforeAnythingIsWritten()
    {
        var tree = HierarchicalSoftmaxTree.Balanced(4);
        var dv = new double[6];
        var db = new double[3];
        dv[0] = 5;
        Assert.Throws<ArgumentOutOfRangeException>(() => HierarchicalSoftmax.Loss<double>(new double[4], new[] { 0, 4 }, new double[4], 2, 2, new double[6], new double[3], dv, db, tree));
        Assert.Equal(5, dv[0]);
        Assert.Throws<ArgumentException>(() => HierarchicalSoftmax.Loss<double>(new double[4], new[] { 0, 1 }, new double[4], 2, 2, new double[5], new double[3], dv, db, tree));
        Assert.Throws<ArgumentException>(() => HierarchicalSoftmax.Probabilities<double>(new double[4], 2, 2, new double[6], new double[3], new double[7], tree));
    }
}
