namespace NetGen;

/// <summary>Where a generated network runs, chosen per instance: <c>new MnistNet(seed: 1, backend: Backend.Cuda)</c>.
/// docs/cuda.md lists what the CUDA backend supports and how its host mirror of the parameters is kept in step.</summary>
public enum Backend
{
    /// <summary>The CPU kernels (the default: <c>new MnistNet(seed)</c>).</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU through the CUDA driver (<c>libcuda.so.1</c>) alone: the parameter, gradient, optimizer-state
    /// and activation tensors live in device memory; <c>Parameters</c> and <c>Gradients</c> are a host mirror refreshed by
    /// <c>CopyFromDevice()</c> and sent back by <c>CopyToDevice()</c>.</summary>
    Cuda = 1,
}
