using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>ADR 0058 in whole generated networks: a convolution whose max pool runs in its epilogue writes its output y
/// (the ReLU's, when fused) only while the activation views are recorded, since no kernel reads it. Training and
/// inference give the same bits either way; the views of those outputs are empty when not recorded and the ReLU's
/// output when recorded; the activation monitor switches recording on.</summary>
public sealed class RecordActivationsTests
{
    private static int Entry(string layer) => ConvSpeedCnn.ActivationTable.ToList().FindIndex(a => a.Layer == layer);

    [Fact]
    public void TheTableMarksTheOutputsOnlyTheEpiloguePoolReads()
    {
        Assert.Equal(["relu_1", "relu_4"], ConvSpeedCnn.ActivationTable.Where(a => a.OnRequest).Select(a => a.Layer));
        // Every other stored output is read by a kernel and stays in the views whatever the setting.
        Assert.Contains(ConvSpeedCnn.ActivationTable, a => !a.OnRequest && a.Kind == "MaxPool2D");
        Assert.All(SpiralNetLike(), a => Assert.False(a.OnRequest));
    }

    [Fact]
    public void TrainingAndPredict_GiveTheSameBitsRecordedOrNot()
    {
        var plain = new ConvSpeedCnn(9);
        var recorded = new ConvSpeedCnn(9) { RecordActivations = true };
        Assert.False(plain.RecordActivations);
        (float[] x, int[] labels) = GradientCheckTests.Batch(plain, 64, 4);
        for (int step = 0; step < 3; step++)
        {
            float a = plain.TrainStep(x, labels), b = recorded.TrainStep(x, labels);
            Assert.Equal(BitConverter.SingleToInt32Bits(a), BitConverter.SingleToInt32Bits(b));
        }
        Assert.True(plain.Parameters.SequenceEqual(recorded.Parameters));
        float[] p1 = new float[64 * 10], p2 = new float[64 * 10];
        plain.Predict(x, p1);
        recorded.Predict(x, p2);
        Assert.Equal(p1, p2);
    }

    [Fact]
    public void TheViewsOfOnRequestOutputs_AreEmptyUnlessRecorded_AndTheReLUsOutputWhenRecorded()
    {
        var net = new ConvSpeedCnn(5);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 16, 3);
        net.TrainStep(x, labels);
        int relu = Entry("relu_1"), pool = Entry("pool_2");
        Assert.True(relu >= 0 && pool >= 0);
        Assert.True(net.GetActivations(relu).IsEmpty, "not recorded: no view");
        Assert.Equal(16 * 1352, net.GetActivations(pool).Length); // a stored output every kernel reads stays

        net.RecordActivations = true;
        Assert.True(net.GetActivations(relu).IsEmpty, "switched on after the forward: the last forward did not record it");
        net.TrainStep(x, labels);
        float[] y = net.GetActivations(relu).ToArray();
        Assert.Equal(16 * 5408, y.Length);
        Assert.All(y, v => Assert.True(v >= 0f)); // a ReLU's output
        Assert.Contains(y, v => v > 0f);
        // The pool's output is the maximum of each 2×2 window of y (no padding): y is this forward's.
        float[] q = net.GetActivations(pool).ToArray();
        for (int plane = 0; plane < 16 * 8; plane += 37)
        {
            for (int oh = 0; oh < 13; oh++)
            {
                for (int ow = 0; ow < 13; ow++)
                {
                    int at = (plane * 676) + (2 * oh * 26) + (2 * ow);
                    float max = Math.Max(Math.Max(y[at], y[at + 1]), Math.Max(y[at + 26], y[at + 27]));
                    Assert.Equal(max, q[(plane * 169) + (oh * 13) + ow]);
                }
            }
        }

        // Predict records too while the switch is on, and not once it is off.
        float[] scores = new float[10];
        net.Predict(x.AsSpan(0, 784), scores);
        Assert.Equal(5408, net.GetActivations(relu).Length);
        net.RecordActivations = false;
        net.Predict(x.AsSpan(0, 784), scores);
        Assert.True(net.GetActivations(relu).IsEmpty);
    }

    [Fact]
    public void RecordingGradients_RecordsTheActivationsToo()
    {
        var net = new ConvSpeedCnn(5) { RecordActivationGradients = true };
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 3);
        net.TrainStep(x, labels);
        Assert.Equal(8 * 5408, net.GetActivations(Entry("relu_1")).Length);
    }

    [Fact]
    public void TheActivationMonitor_SwitchesRecordingOn_AndMeasuresTheConvolutionsReLUs()
    {
        var net = new ConvSpeedCnn(5);
        var monitor = new ActivationMonitor(net, everySteps: 1, recordGradients: false);
        Assert.True(net.RecordActivations);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 16, 3);
        net.TrainStep(x, labels);
        LayerStatistics relu = monitor.Measure().ToArray().Single(s => s.Layer == "relu_1");
        Assert.InRange(relu.DeadFraction, 0.0, 1.0); // measured (NaN when the view is empty)
        Assert.True(relu.Mean > 0);
    }

    [Fact]
    public void TheKernelsInstructionToSkipY_LeavesYAsItWas()
    {
        var g = new Conv2DGeometry(1, 12, 12, 4, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(4, 10, 10, 2, 2, 2, 2, 0, 0);
        float[] x = Random(2 * g.InputLength, 1), w = Random(g.WeightLength, 2), b = Random(4, 3);
        float[] y = Enumerable.Repeat(-7f, 2 * g.OutputLength).ToArray(), q = new float[2 * p.OutputLength], q2 = new float[q.Length];
        int[] i1 = new int[q.Length], i2 = new int[q.Length];
        ConvPool.Forward<float>(x, w, b, y, q, i1, 2, g, p, fuseReLU: true, storeY: false);
        Assert.All(y, v => Assert.Equal(-7f, v));
        float[] y2 = new float[y.Length];
        ConvPool.Forward<float>(x, w, b, y2, q2, i2, 2, g, p, fuseReLU: true);
        Assert.Equal(q2, q);
        Assert.Equal(i2, i1);
        Assert.Contains(y2, v => v > 0f);
    }

    private static IReadOnlyList<ActivationInfo> SpiralNetLike() => OnnxMlp.ActivationTable;

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }
}
