using System.Reflection;
using NetGen.Cuda;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Backend.Cuda without a GPU (docs/cuda.md): every declared network has the constructor that takes a backend; on
/// Backend.Cpu it is the network of the same seed; on Backend.Cuda every one is covered (no NotSupportedException: every
/// layer, loss and optimizer has a CUDA lowering), and on a machine without the NVIDIA driver it throws
/// InvalidOperationException naming what is missing. Parity with the CPU on the emulated driver: CudaParityTests.
/// </summary>
public sealed class CudaBackendTests
{
    /// <summary>Every class of this assembly the generator wrote (the declared test networks and the sample's).</summary>
    public static TheoryData<string> Networks()
    {
        var data = new TheoryData<string>();
        foreach (Type type in typeof(CudaBackendTests).Assembly.GetTypes().Where(t => typeof(INeuralNetwork).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<NetworkAttribute>() is not null).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void EveryNetworkTakesABackend(string typeName)
    {
        Type type = typeof(CudaBackendTests).Assembly.GetType(typeName)!;
        ConstructorInfo? withBackend = type.GetConstructor(new[] { typeof(ulong), typeof(Backend) });
        Assert.NotNull(withBackend);

        // Backend.Cpu: the network of the same seed, bit for bit (compared through Save: Parameters is a span).
        object cpu = withBackend.Invoke(new object[] { 7UL, Backend.Cpu });
        object plain = Activator.CreateInstance(type, 7UL)!;
        Assert.Equal(Backend.Cpu, (Backend)type.GetProperty("Backend")!.GetValue(cpu)!);
        Assert.Equal(Saved(plain), Saved(cpu));
        type.GetMethod("CopyFromDevice")!.Invoke(cpu, null); // no-ops on the CPU
        type.GetMethod("CopyToDevice")!.Invoke(cpu, null);
        Assert.Equal(Saved(plain), Saved(cpu));

        string name = ((INeuralNetwork)cpu).Name;
        Exception? error = null;
        try
        {
            object gpu = withBackend.Invoke(new object[] { 7UL, Backend.Cuda });
            Assert.Equal(Backend.Cuda, (Backend)type.GetProperty("Backend")!.GetValue(gpu)!); // a machine with a GPU
            Assert.Equal(Saved(plain), Saved(gpu));
        }
        catch (TargetInvocationException e)
        {
            error = e.InnerException;
        }

        // Every layer, loss and optimizer has a CUDA lowering now: no declared network may be refused as unsupported
        // (Assert.IsNotType names the message if one is); without a driver the error names what is missing.
        if (error is not null)
        {
            Assert.IsNotType<NotSupportedException>(error);
            AssertNoDriver(error, name);
        }
    }

    [Fact]
    public void WithoutTheDriverBackendCudaNamesWhatIsMissing()
    {
        if (CudaDevice.IsAvailable)
        {
            var gpu = new CudaSgdNet(1, Backend.Cuda); // a machine with a GPU: it works
            Assert.Equal(Backend.Cuda, gpu.Backend);
            return;
        }

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => new CudaSgdNet(1, Backend.Cuda));
        AssertNoDriver(e, "CudaSgdNet");
    }

    [Fact]
    public void AnUnknownBackendIsRefused()
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new CudaSgdNet(1, (Backend)7));
        Assert.Equal("backend", e.ParamName);
        Assert.Contains("CudaSgdNet", e.Message, StringComparison.Ordinal);
    }

    private static void AssertNoDriver(Exception e, string name)
    {
        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains($"Network '{name}' was asked to run on Backend.Cuda, but", e.Message, StringComparison.Ordinal);
        Assert.Contains(CudaDevice.UnavailableReason ?? "compute capability", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Saved(object network)
    {
        using var stream = new MemoryStream();
        network.GetType().GetMethod("Save", new[] { typeof(Stream) })!.Invoke(network, new object[] { stream });
        return stream.ToArray();
    }
}
