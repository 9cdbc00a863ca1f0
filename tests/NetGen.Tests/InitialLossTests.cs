using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The CS231n sanity check ("look for correct loss at chance performance"): a freshly constructed network with small
/// random weights (Init.SmallNormal, biases 0) gives scores ≈ 0, so its first loss is the value docs/attributes.md lists
/// for each classification loss: ln C for softmax cross-entropy (with or without label smoothing), (C − 1)·Δ for the
/// multiclass hinge, (C − 1)·Δ² for the squared hinge, ln 2 for binary cross-entropy, O·Δ for the binary hinge.
/// </summary>
public sealed class InitialLossTests
{
    private const int Rows = 32, Classes = 10;

    /// <summary>Unit-scale inputs from a fixed stream; labels cycling through the classes; 0/1 targets alternating.</summary>
    private static (float[] X, int[] Labels, float[] Targets) Batch()
    {
        var x = new float[Rows * 20];
        ulong key = CounterRng.Key(5, 99, 0, 0);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)CounterRng.Normal(key, (ulong)i);
        }

        int[] labels = Enumerable.Range(0, Rows).Select(i => i % Classes).ToArray();
        float[] targets = Enumerable.Range(0, Rows * Classes).Select(i => (float)((i * 7 % 3) == 0 ? 1 : 0)).ToArray();
        return (x, labels, targets);
    }

    public static TheoryData<string, double> LabelCases => new()
    {
        { nameof(InitSoftmax), Math.Log(Classes) },
        { nameof(InitSmoothedSoftmax), Math.Log(Classes) },
        { nameof(InitHinge), Classes - 1 },
        { nameof(InitHingeMargin2), (Classes - 1) * 2.0 },
        { nameof(InitSquaredHinge), (Classes - 1) * 4.0 },
    };

    [Theory]
    [MemberData(nameof(LabelCases))]
    public void FirstLossOfAClassifierWithSmallWeightsIsTheChanceValue(string name, double expected)
    {
        INeuralNetwork<int> net = name switch
        {
            nameof(InitSoftmax) => new InitSoftmax(17),
            nameof(InitSmoothedSoftmax) => new InitSmoothedSoftmax(17),
            nameof(InitHinge) => new InitHinge(17),
            nameof(InitHingeMargin2) => new InitHingeMargin2(17),
            _ => new InitSquaredHinge(17),
        };
        AssertSmallWeights(net);
        (float[] x, int[] labels, _) = Batch();
        float loss = net.TrainStep(x, labels);
        Assert.True(Math.Abs(loss - expected) <= 1e-3 * expected, $"{name}: first loss {loss:R}, expected ≈ {expected:R}");
    }

    [Theory]
    [InlineData(nameof(InitBce), 0.69314718055994531)]
    [InlineData(nameof(InitBinaryHinge), Classes * 1.0)]
    public void FirstLossOfAMultiLabelNetworkWithSmallWeightsIsTheChanceValue(string name, double expected)
    {
        INeuralNetwork<float> net = name == nameof(InitBce) ? new InitBce(17) : new InitBinaryHinge(17);
        AssertSmallWeights(net);
        (float[] x, _, float[] targets) = Batch();
        float loss = net.TrainStep(x, targets);
        Assert.True(Math.Abs(loss - expected) <= 1e-3 * expected, $"{name}: first loss {loss:R}, expected ≈ {expected:R}");
    }

    [Fact]
    public void TheCheckCanFailWithLargerWeights()
    {
        // The same network with the default (He, Glorot) initialisation has scores of order 1: its first loss is not ln C.
        var net = new InitSoftmaxDefaultInit(17);
        (float[] x, int[] labels, _) = Batch();
        float loss = net.TrainStep(x, labels);
        Assert.True(Math.Abs(loss - Math.Log(Classes)) > 1e-3 * Math.Log(Classes), $"first loss {loss:R}");
    }

    private static void AssertSmallWeights(INeuralNetwork net)
    {
        // Freshly constructed: weights drawn 0.01·N(0, 1) (no element near 1), biases 0.
        foreach (ParameterInfo info in net.ParameterTable)
        {
            Span<float> p = net.Parameters.Slice(info.Offset, info.Length);
            double max = 0;
            foreach (float v in p)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            Assert.True(info.Key.EndsWith("bias", StringComparison.Ordinal) ? max == 0 : max is > 0 and < 0.06, $"'{info.Key}': max |w| = {max}");
        }
    }
}
