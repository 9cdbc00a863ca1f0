using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The generated members: shapes, initialisation, summary, parameter access, argument errors.</summary>
public sealed class GeneratedApiTests
{
    [Fact]
    public void ShapesAreCompileTimeConstants()
    {
        const int parameters = (784 * 256) + 256 + (256 * 128) + 128 + (128 * 10) + 10;
        Assert.Equal(784, MnistMlp.InputSize);
        Assert.Equal(10, MnistMlp.OutputSize);
        Assert.Equal(64, MnistMlp.MaxBatch);
        Assert.Equal(parameters, MnistMlp.ParameterCount);
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }, MnistMlp.ParameterTable.Select(p => p.Key));
        Assert.Equal(new[] { 256, 784 }, MnistMlp.ParameterTable[0].Shape);
        Assert.Equal("fc1", MnistMlp.ParameterTable[0].Layer);
    }

    [Fact]
    public void PrePackedWeightsFollowEveryWayTheWeightsChange()
    {
        // MnistMlp's three forward GEMMs are planned packed at batch 64, so it keeps Wᵀ pre-packed between calls. After
        // each kind of change, its predictions must equal those of a fresh network holding the same parameters (copied
        // through Save/Load, which reads the arena without touching the packed copies).
        var net = new MnistMlp(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 64, 5);
        var scores = new float[64 * MnistMlp.OutputSize];
        var expected = new float[64 * MnistMlp.OutputSize];
        void AssertCurrent(string after)
        {
            var stream = new MemoryStream();
            net.Save(stream);
            stream.Position = 0;
            var fresh = new MnistMlp(2);
            fresh.Load(stream);
            fresh.Predict(x, expected);
            net.Predict(x, scores);
            Assert.True(expected.AsSpan().SequenceEqual(scores), $"stale pre-packed weights after {after}");
        }

        net.Predict(x, scores); // packs
        AssertCurrent("the first Predict");

        Span<float> w = net.GetParameter("0.weight");
        w[5] += 0.5f;
        w[784 * 200] -= 0.25f;
        AssertCurrent("a write through GetParameter");

        net.Parameters[MnistMlp.ParameterTable[2].Offset + 7] += 1f; // "2.weight"
        AssertCurrent("a write through Parameters");

        net.TrainStep(x, labels);
        AssertCurrent("a training step");

        var other = new MnistMlp(3);
        var file = new MemoryStream();
        other.Save(file);
        file.Position = 0;
        net.Load(file);
        AssertCurrent("Load");

        var state = new MemoryStream();
        new MnistMlp(4).SaveTrainingState(state);
        state.Position = 0;
        net.LoadTrainingState(state);
        AssertCurrent("LoadTrainingState");
    }

    [Fact]
    public void SequentialIndicesCountActivationAndDropoutModules()
    {
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "5.weight", "6.weight", "6.bias", "8.weight", "8.bias", "10.weight", "10.bias", "12.weight", "12.bias", "15.weight", "15.bias" },
            ActsSgd.ParameterTable.Select(p => p.Key));
        Assert.Equal(new[] { 1 }, ActsSgd.ParameterTable.Single(p => p.Key == "5.weight").Shape);
    }

    [Fact]
    public void SameSeedGivesSameParametersAndOtherSeedsDiffer()
    {
        var a = new MnistMlp(123);
        var b = new MnistMlp(123);
        var c = new MnistMlp(124);
        Assert.True(a.Parameters.SequenceEqual(b.Parameters));
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));
    }

    [Fact]
    public void HeInitialisationForReLULayersHasTheRightSpreadAndZeroBias()
    {
        var net = new MnistMlp(5);
        ReadOnlySpan<float> w = net.GetParameter("0.weight");
        double mean = 0, sq = 0;
        foreach (float v in w)
        {
            mean += v;
            sq += v * (double)v;
        }

        mean /= w.Length;
        double std = Math.Sqrt((sq / w.Length) - (mean * mean));
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, Math.Sqrt(2.0 / 784) * 0.98, Math.Sqrt(2.0 / 784) * 1.02);
        Assert.All(net.GetParameter("0.bias").ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GlorotInitialisationWhenNoReLUFollows()
    {
        var net = new GcTanh(5); // Dense(5) → Tanh: Glorot uniform, limit √(6/(4+5))
        double limit = Math.Sqrt(6.0 / 9);
        float[] w = net.GetParameter("0.weight").ToArray();
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        Assert.True(w.Max() - w.Min() > limit * 0.5);
    }

    [Fact]
    public void PReLUStartsAtItsInitialSlope()
    {
        Assert.Equal(0.25f, new ActsSgd(1).GetParameter("5.weight")[0]);
        Assert.Equal(-0.5f, new GcInputActivation(1).GetParameter("0.weight")[0]);
    }

    [Fact]
    public void SummaryListsLayersShapesAndCounts()
    {
        string summary = new MnistMlp(1).Summary();
        Assert.Contains("fc1 (Dense)", summary);
        Assert.Contains("nn.Linear(784, 256)", summary);
        Assert.Contains("[128]", summary);
        Assert.Contains("235,146", summary); // total parameters
        Assert.Contains("FLOPs", summary);
    }

    [Fact]
    public void WrongInputLengthThrowsNamingTheArgumentAndChangesNothing()
    {
        var net = new GcReLU(1);
        float[] before = net.Parameters.ToArray();
        var ex = Assert.Throws<ArgumentException>(() => net.TrainStep(new float[7], new int[2]));
        Assert.Equal("inputs", ex.ParamName);
        Assert.Contains("GcReLU", ex.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.Step);
    }

    [Fact]
    public void OutOfRangeLabelThrowsAndChangesNothing()
    {
        var net = new GcReLU(1);
        float[] before = net.Parameters.ToArray();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(new float[8], new[] { 0, 3 }));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains("labels[1] = 3", ex.Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void BatchLargerThanMaxBatchIsRejectedForTrainingButPredictSplitsIt()
    {
        var net = new GcReLU(1);
        var x = new float[10 * GcReLU.InputSize];
        Assert.Throws<ArgumentException>(() => net.TrainStep(x, new int[10]));
        var scores = new float[10 * GcReLU.OutputSize];
        net.Predict(x, scores);
        var single = new float[GcReLU.OutputSize];
        net.Predict(x.AsSpan(9 * GcReLU.InputSize), single);
        Assert.Equal(single, scores.AsSpan(9 * GcReLU.OutputSize).ToArray());
    }

    [Fact]
    public void UnknownParameterKeyNamesTheKnownOnes()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => new GcReLU(1).GetParameter("1.weight").Length);
        Assert.Contains("0.weight", ex.Message);
    }

    [Fact]
    public void ComputeGradientsDoesNotUpdateParameters()
    {
        var net = new GcTanh(2);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 1);
        float[] before = net.Parameters.ToArray();
        float loss = net.ComputeGradients(x, labels);
        Assert.True(loss > 0);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Contains(net.Gradients.ToArray(), g => g != 0);
    }

    [Fact]
    public void InitialLossIsLogCForSoftmaxAndCMinusOneForHinge()
    {
        // CS231n sanity check: with tiny weights every score is ≈ 0, so the loss is ln C (softmax) or C − 1 (hinge).
        var softmax = new GcTanh(1);
        var hinge = new GcHinge(1);
        softmax.Parameters.Fill(1e-6f);
        hinge.Parameters.Fill(1e-6f);
        (float[] x, int[] labels) = GradientCheckTests.Batch(softmax, 3, 1);
        Assert.Equal(Math.Log(3), softmax.ComputeGradients(x, labels), 4);
        Assert.Equal(2.0, hinge.ComputeGradients(x, labels), 4);
    }
}
