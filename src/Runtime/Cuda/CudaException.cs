using System;

namespace NetGen.Cuda;

/// <summary>A CUDA driver call failed: names the call, the CUresult and the driver's own name and description of it.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception of a failed call.</summary>
    /// <param name="call">The driver call, with the arguments that identify it.</param>
    /// <param name="result">The CUresult it returned.</param>
    /// <param name="errorName">cuGetErrorName of <paramref name="result"/> (e.g. CUDA_ERROR_OUT_OF_MEMORY).</param>
    /// <param name="description">cuGetErrorString of <paramref name="result"/>.</param>
    public CudaException(string call, int result, string errorName, string description)
        : base($"{call} failed: {errorName} ({result}): {description}")
    {
        Call = call;
        Result = result;
        ErrorName = errorName;
    }

    /// <summary>The driver call that failed.</summary>
    public string Call { get; }

    /// <summary>The CUresult it returned.</summary>
    public int Result { get; }

    /// <summary>The driver's name of <see cref="Result"/>.</summary>
    public string ErrorName { get; }
}
