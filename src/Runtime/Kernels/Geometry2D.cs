using System;

namespace NetGen.Kernels;

/// <summary>
/// Shape of a 2-D convolution over one sample (no batch): input <c>[C, H, W]</c>, weight <c>[O, C, Kh, Kw]</c>, output
/// <c>[O, Ho, Wo]</c> with <c>Ho = (H + 2·Ph − Kh) / Sh + 1</c> (floor, as PyTorch's <c>nn.Conv2d</c>), likewise Wo.
/// </summary>
/// <remarks>Every size is checked once here, so a kernel that takes a geometry only checks span lengths.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Conv2DGeometry
{
    /// <summary>Checks and stores the shape.</summary>
    /// <param name="channels">C, input channels (≥ 1).</param>
    /// <param name="height">H, input rows (≥ 1).</param>
    /// <param name="width">W, input columns (≥ 1).</param>
    /// <param name="outChannels">O, output channels (≥ 1).</param>
    /// <param name="kernelHeight">Kh (≥ 1, at most H + 2·Ph).</param>
    /// <param name="kernelWidth">Kw (≥ 1, at most W + 2·Pw).</param>
    /// <param name="strideHeight">Sh (≥ 1).</param>
    /// <param name="strideWidth">Sw (≥ 1).</param>
    /// <param name="paddingHeight">Ph, zero rows added above and below (≥ 0).</param>
    /// <param name="paddingWidth">Pw, zero columns added left and right (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride below 1, a negative padding, a kernel larger than
    /// the padded input, or a tensor of more than <see cref="int.MaxValue"/> elements; names the argument.</exception>
    public Conv2DGeometry(int channels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
                          int strideHeight, int strideWidth, int paddingHeight, int paddingWidth)
    {
        Geometry2D.RequirePositive(channels, nameof(channels));
        Geometry2D.RequirePositive(height, nameof(height));
        Geometry2D.RequirePositive(width, nameof(width));
        Geometry2D.RequirePositive(outChannels, nameof(outChannels));
        Geometry2D.RequirePositive(kernelHeight, nameof(kernelHeight));
        Geometry2D.RequirePositive(kernelWidth, nameof(kernelWidth));
        Geometry2D.RequirePositive(strideHeight, nameof(strideHeight));
        Geometry2D.RequirePositive(strideWidth, nameof(strideWidth));
        Geometry2D.RequireNonNegative(paddingHeight, nameof(paddingHeight));
        Geometry2D.RequireNonNegative(paddingWidth, nameof(paddingWidth));
        Channels = channels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PaddingHeight = paddingHeight;
        PaddingWidth = paddingWidth;
        OutHeight = Geometry2D.OutSize(height, kernelHeight, strideHeight, paddingHeight, nameof(kernelHeight));
        OutWidth = Geometry2D.OutSize(width, kernelWidth, strideWidth, paddingWidth, nameof(kernelWidth));
        InputLength = Geometry2D.Product(channels, height, width, nameof(channels));
        OutputLength = Geometry2D.Product(outChannels, OutHeight, OutWidth, nameof(outChannels));
        ColumnRows = Geometry2D.Product(channels, kernelHeight, kernelWidth, nameof(channels));
        WeightLength = Geometry2D.Product(outChannels, ColumnRows, 1, nameof(outChannels));
        Geometry2D.Product(ColumnRows, OutHeight, OutWidth, nameof(channels)); // the im2col matrix must fit too
    }

    /// <summary>C, input channels.</summary>
    public int Channels { get; }

    /// <summary>H, input rows.</summary>
    public int Height { get; }

    /// <summary>W, input columns.</summary>
    public int Width { get; }

    /// <summary>O, output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kh, kernel rows.</summary>
    public int KernelHeight { get; }

    /// <summary>Kw, kernel columns.</summary>
    public int KernelWidth { get; }

    /// <summary>Sh, vertical stride.</summary>
    public int StrideHeight { get; }

    /// <summary>Sw, horizontal stride.</summary>
    public int StrideWidth { get; }

    /// <summary>Ph, zero rows above and below.</summary>
    public int PaddingHeight { get; }

    /// <summary>Pw, zero columns left and right.</summary>
    public int PaddingWidth { get; }

    /// <summary>Ho = (H + 2·Ph − Kh) / Sh + 1, rounded down.</summary>
    public int OutHeight { get; }

    /// <summary>Wo = (W + 2·Pw − Kw) / Sw + 1, rounded down.</summary>
    public int OutWidth { get; }

    /// <summary>C·H·W, elements of one input sample.</summary>
    public int InputLength { get; }

    /// <summary>O·Ho·Wo, elements of one output sample.</summary>
    public int OutputLength { get; }

    /// <summary>O·C·Kh·Kw, elements of the weight.</summary>
    public int WeightLength { get; }

    /// <summary>C·Kh·Kw: rows of the im2col matrix, the depth of the lowered GEMM.</summary>
    internal int ColumnRows { get; }

    /// <summary>Ho·Wo: columns of the im2col matrix, one per output position.</summary>
    internal int OutPlane => OutHeight * OutWidth;

    /// <summary>A 1×1 kernel, stride 1, no padding: the im2col matrix of a sample is the sample itself.</summary>
    internal bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PaddingHeight == 0 && PaddingWidth == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{Channels}, {Height}, {Width}] → [{OutChannels}, {OutHeight}, {OutWidth}], kernel {KernelHeight}×{KernelWidth}, stride {StrideHeight}×{StrideWidth}, padding {PaddingHeight}×{PaddingWidth}";
}

/// <summary>
/// Shape of a 2-D pooling window over one sample (no batch): input <c>[C, H, W]</c>, output <c>[C, Ho, Wo]</c> with
/// <c>Ho = (H + 2·Ph − Kh) / Sh + 1</c> (floor: PyTorch's <c>ceil_mode=False</c>), likewise Wo; dilation 1.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Pool2DGeometry
{
    /// <summary>Checks and stores the shape.</summary>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="height">H (≥ 1).</param>
    /// <param name="width">W (≥ 1).</param>
    /// <param name="kernelHeight">Kh (≥ 1, at most H + 2·Ph).</param>
    /// <param name="kernelWidth">Kw (≥ 1, at most W + 2·Pw).</param>
    /// <param name="strideHeight">Sh (≥ 1; PyTorch's default is the kernel size, which the caller passes explicitly).</param>
    /// <param name="strideWidth">Sw (≥ 1).</param>
    /// <param name="paddingHeight">Ph, −∞ rows above and below: 0 to Kh / 2, as PyTorch requires.</param>
    /// <param name="paddingWidth">Pw: 0 to Kw / 2.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride below 1, a negative padding or one above half the
    /// kernel, a kernel larger than the padded input, or a tensor of more than <see cref="int.MaxValue"/> elements;
    /// names the argument.</exception>
    public Pool2DGeometry(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int paddingHeight, int paddingWidth)
    {
        Geometry2D.RequirePositive(channels, nameof(channels));
        Geometry2D.RequirePositive(height, nameof(height));
        Geometry2D.RequirePositive(width, nameof(width));
        Geometry2D.RequirePositive(kernelHeight, nameof(kernelHeight));
        Geometry2D.RequirePositive(kernelWidth, nameof(kernelWidth));
        Geometry2D.RequirePositive(strideHeight, nameof(strideHeight));
        Geometry2D.RequirePositive(strideWidth, nameof(strideWidth));
        Geometry2D.RequireNonNegative(paddingHeight, nameof(paddingHeight));
        Geometry2D.RequireNonNegative(paddingWidth, nameof(paddingWidth));
        // PyTorch: "pad should be at most half of effective kernel size". It also guarantees that every window holds at
        // least one input element, so a window's maximum is never the padding's −∞ and its argmax is a real position.
        Geometry2D.RequireHalfKernel(paddingHeight, kernelHeight, nameof(paddingHeight));
        Geometry2D.RequireHalfKernel(paddingWidth, kernelWidth, nameof(paddingWidth));
        Channels = channels;
        Height = height;
        Width = width;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PaddingHeight = paddingHeight;
        PaddingWidth = paddingWidth;
        OutHeight = Geometry2D.OutSize(height, kernelHeight, strideHeight, paddingHeight, nameof(kernelHeight));
        OutWidth = Geometry2D.OutSize(width, kernelWidth, strideWidth, paddingWidth, nameof(kernelWidth));
        InputLength = Geometry2D.Product(channels, height, width, nameof(channels));
        OutputLength = Geometry2D.Product(channels, OutHeight, OutWidth, nameof(channels));
    }

    /// <summary>C, channels (input and output).</summary>
    public int Channels { get; }

    /// <summary>H, input rows.</summary>
    public int Height { get; }

    /// <summary>W, input columns.</summary>
    public int Width { get; }

    /// <summary>Kh, window rows.</summary>
    public int KernelHeight { get; }

    /// <summary>Kw, window columns.</summary>
    public int KernelWidth { get; }

    /// <summary>Sh, vertical stride.</summary>
    public int StrideHeight { get; }

    /// <summary>Sw, horizontal stride.</summary>
    public int StrideWidth { get; }

    /// <summary>Ph, −∞ rows above and below.</summary>
    public int PaddingHeight { get; }

    /// <summary>Pw, −∞ columns left and right.</summary>
    public int PaddingWidth { get; }

    /// <summary>Ho = (H + 2·Ph − Kh) / Sh + 1, rounded down.</summary>
    public int OutHeight { get; }

    /// <summary>Wo = (W + 2·Pw − Kw) / Sw + 1, rounded down.</summary>
    public int OutWidth { get; }

    /// <summary>C·H·W, elements of one input sample.</summary>
    public int InputLength { get; }

    /// <summary>C·Ho·Wo, elements of one output sample.</summary>
    public int OutputLength { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{Channels}, {Height}, {Width}] → [{Channels}, {OutHeight}, {OutWidth}], window {KernelHeight}×{KernelWidth}, stride {StrideHeight}×{StrideWidth}, padding {PaddingHeight}×{PaddingWidth}";
}

/// <summary>The checks and index arithmetic both geometries share.</summary>
internal static class Geometry2D
{
    public static void RequirePositive(int value, string paramName)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"'{paramName}' must be at least 1.");
        }
    }

    public static void RequireNonNegative(int value, string paramName)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"'{paramName}' must be non-negative.");
        }
    }

    public static void RequireHalfKernel(int padding, int kernel, string paramName)
    {
        if (padding > kernel / 2)
        {
            throw new ArgumentOutOfRangeException(paramName, padding, $"'{paramName}' is {padding} but a pooling window of {kernel} allows at most {kernel / 2} (half the window, as PyTorch requires).");
        }
    }

    /// <summary>(size + 2·padding − kernel) / stride + 1, after checking that the kernel fits the padded input.</summary>
    public static int OutSize(int size, int kernel, int stride, int padding, string kernelName)
    {
        long padded = size + (2L * padding);
        if (kernel > padded)
        {
            throw new ArgumentOutOfRangeException(kernelName, kernel, $"'{kernelName}' is {kernel} but the padded input is only {padded} wide.");
        }
        return (int)(((padded - kernel) / stride) + 1);
    }

    public static int Product(int a, int b, int c, string paramName)
    {
        long product = (long)a * b * c;
        if (product > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(paramName, $"A tensor of {a}×{b}×{c} = {product} elements is larger than a span can hold.");
        }
        return (int)product;
    }

    /// <summary>The outputs [start, end) whose tap at <paramref name="offset"/> (0 ≤ offset &lt; kernel) reads a real
    /// input element: <c>0 ≤ o·stride − padding + offset &lt; size</c>.</summary>
    public static void ValidRange(int outSize, int size, int stride, int padding, int offset, out int start, out int end)
    {
        int first = padding - offset; // o·stride ≥ first
        start = first <= 0 ? 0 : Math.Min(outSize, (first + stride - 1) / stride);
        int last = size - 1 + padding - offset; // o·stride ≤ last
        end = last < 0 ? 0 : Math.Min(outSize, (last / stride) + 1);
        if (end < start)
        {
            end = start;
        }
    }
}
