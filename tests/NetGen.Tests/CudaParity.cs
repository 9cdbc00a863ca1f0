namespace NetGen.Tests;

/// <summary>
/// What the CUDA parity tests share (CudaParityTests, CudaNetParityTests, CudaCnnParityTests, CudaDropoutParityTests,
/// CudaFmpParityTests, CudaHsmParityTests): the host mirror brought up to date, the tolerance check measured against the
/// tensor's largest magnitude (a sum that cancels is not measured against itself), and the inputs and labels they feed.
/// </summary>
internal static class CudaParity
{
    /// <summary>Copies a CUDA instance's parameters, gradients and buffers to its host mirror (CopyFromDevice).</summary>
    internal static void Sync(INeuralNetwork network) => network.GetType().GetMethod("CopyFromDevice")!.Invoke(network, null);

    /// <summary>Every element finite, and max |expected − actual| ≤ relative · max(max |expected|, floor).</summary>
    internal static void AssertClose(float[] expected, float[] actual, double relative, string what, double floor = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0, difference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{what}: element {i} is {actual[i]}");
            scale = Math.Max(scale, Math.Abs(expected[i]));
            difference = Math.Max(difference, Math.Abs((double)expected[i] - actual[i]));
        }

        Assert.True(difference <= relative * Math.Max(scale, floor), $"{what}: largest difference {difference:G4} over largest magnitude {scale:G4} = {difference / scale:G4} > {relative:G2}");
    }

    /// <summary><paramref name="count"/> values uniform in [−1, 1) from <paramref name="seed"/>.</summary>
    internal static float[] Inputs(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    /// <summary>Labels (7i + 1) mod <paramref name="classes"/>: every class present in a batch of at least that many rows.</summary>
    internal static int[] Labels(int count, int classes)
    {
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (i * 7 + 1) % classes;
        }

        return labels;
    }
}
