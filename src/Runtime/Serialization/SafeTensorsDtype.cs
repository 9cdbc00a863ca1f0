namespace NetGen.Serialization;

/// <summary>
/// The dtype strings of the safetensors format and their element sizes.
/// </summary>
public static class SafeTensorsDtype
{
    /// <summary>IEEE 754 binary32, little-endian.</summary>
    public const string F32 = "F32";

    /// <summary>IEEE 754 binary64, little-endian.</summary>
    public const string F64 = "F64";

    /// <summary>Two's-complement signed 64-bit integer, little-endian (PyTorch's <c>torch.int64</c>, e.g. a BatchNorm
    /// layer's <c>num_batches_tracked</c>, a 0-dimensional tensor).</summary>
    public const string I64 = "I64";

    /// <summary>Bytes per element of <paramref name="dtype"/>, or 0 when the format does not define it.</summary>
    /// <param name="dtype">A dtype string as written in a header, e.g. "F32".</param>
    /// <returns>The element size in bytes; 0 for an unknown dtype.</returns>
    public static int SizeOf(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" or "F8_E8M0" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or F32 => 4,
        I64 or "U64" or F64 => 8,
        _ => 0,
    };

    /// <summary>
    /// Position of <paramref name="dtype"/> in the Rust library's <c>Dtype</c> enum, which it sorts tensors by
    /// (descending) before their names; used so that written files lay tensors out as the Python library does.
    /// </summary>
    internal static int Rank(string dtype) => dtype switch
    {
        "BOOL" => 0,
        "U8" => 4,
        "I8" => 5,
        "F8_E5M2" => 6,
        "F8_E4M3" => 7,
        "F8_E8M0" => 8,
        "I16" => 9,
        "U16" => 10,
        "F16" => 11,
        "BF16" => 12,
        "I32" => 13,
        "U32" => 14,
        F32 => 15,
        F64 => 16,
        I64 => 17,
        "U64" => 18,
        _ => -1,
    };
}
