using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace NetGen.Kernels;

/// <summary>
/// Shape of a grouped, dilated 2-D convolution over one sample (no batch), PyTorch's <c>nn.Conv2d(C, O, (Kh, Kw),
/// stride, padding, dilation, groups)</c>: input <c>[C, H, W]</c>, weight <c>[O, C/G, Kh, Kw]</c>, output
/// <c>[O, Ho, Wo]</c> with <c>Ho = (H + 2·Ph − Dh·(Kh − 1) − 1) / Sh + 1</c> (floor), likewise Wo. Output channel
/// <c>o</c> belongs to group <c>o / (O/G)</c> and reads the input channels <c>[g·C/G, (g + 1)·C/G)</c>.
/// </summary>
/// <remarks>Every size is checked once here, so a kernel that takes a geometry only checks span lengths.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Conv2DGeneralGeometry
{
    /// <summary>Checks and stores the shape.</summary>
    /// <param name="channels">C, input channels (≥ 1, a multiple of <paramref name="groups"/>).</param>
    /// <param name="height">H, input rows (≥ 1).</param>
    /// <param name="width">W, input columns (≥ 1).</param>
    /// <param name="outChannels">O, output channels (≥ 1, a multiple of <paramref name="groups"/>).</param>
    /// <param name="kernelHeight">Kh (≥ 1; the dilated window Dh·(Kh − 1) + 1 at most H + 2·Ph).</param>
    /// <param name="kernelWidth">Kw (≥ 1; the dilated window Dw·(Kw − 1) + 1 at most W + 2·Pw).</param>
    /// <param name="strideHeight">Sh (≥ 1).</param>
    /// <param name="strideWidth">Sw (≥ 1).</param>
    /// <param name="paddingHeight">Ph, zero rows added above and below (≥ 0).</param>
    /// <param name="paddingWidth">Pw, zero columns added left and right (≥ 0).</param>
    /// <param name="dilationHeight">Dh, rows between two taps of the kernel (≥ 1; 1 = adjacent).</param>
    /// <param name="dilationWidth">Dw, columns between two taps (≥ 1).</param>
    /// <param name="groups">G (≥ 1): the channels are cut into G groups convolved separately; G = C is depthwise.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, dilation or group count below 1, a negative padding,
    /// channels not divisible by the groups, a dilated kernel larger than the padded input, or a tensor of more than
    /// <see cref="int.MaxValue"/> elements; names the argument.</exception>
    public Conv2DGeneralGeometry(int channels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
                                 int strideHeight, int strideWidth, int paddingHeight, int paddingWidth,
                                 int dilationHeight, int dilationWidth, int groups)
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
        Geometry2D.RequirePositive(dilationHeight, nameof(dilationHeight));
        Geometry2D.RequirePositive(dilationWidth, nameof(dilationWidth));
        Geometry2D.RequirePositive(groups, nameof(groups));
        if (channels % groups != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"'{nameof(groups)}' is {groups} but the {channels} input channels do not split into {groups} equal groups.");
        }
        if (outChannels % groups != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"'{nameof(groups)}' is {groups} but the {outChannels} output channels do not split into {groups} equal groups.");
        }
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
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        Groups = groups;
        OutHeight = Geometry2D.OutSize(height, Effective(kernelHeight, dilationHeight), strideHeight, paddingHeight, nameof(kernelHeight));
        OutWidth = Geometry2D.OutSize(width, Effective(kernelWidth, dilationWidth), strideWidth, paddingWidth, nameof(kernelWidth));
        InputLength = Geometry2D.Product(channels, height, width, nameof(channels));
        OutputLength = Geometry2D.Product(outChannels, OutHeight, OutWidth, nameof(outChannels));
        ColumnRows = Geometry2D.Product(channels / groups, kernelHeight, kernelWidth, nameof(channels));
        WeightLength = Geometry2D.Product(outChannels, ColumnRows, 1, nameof(outChannels));
        Geometry2D.Product(ColumnRows, OutHeight, OutWidth, nameof(channels)); // one group's im2col matrix must fit too
    }

    private static int Effective(int kernel, int dilation) => (int)Math.Min(int.MaxValue, ((long)dilation * (kernel - 1)) + 1);

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

    /// <summary>Dh, rows between two kernel taps.</summary>
    public int DilationHeight { get; }

    /// <summary>Dw, columns between two kernel taps.</summary>
    public int DilationWidth { get; }

    /// <summary>G, channel groups.</summary>
    public int Groups { get; }

    /// <summary>Ho = (H + 2·Ph − Dh·(Kh − 1) − 1) / Sh + 1, rounded down.</summary>
    public int OutHeight { get; }

    /// <summary>Wo = (W + 2·Pw − Dw·(Kw − 1) − 1) / Sw + 1, rounded down.</summary>
    public int OutWidth { get; }

    /// <summary>C·H·W, elements of one input sample.</summary>
    public int InputLength { get; }

    /// <summary>O·Ho·Wo, elements of one output sample.</summary>
    public int OutputLength { get; }

    /// <summary>O·(C/G)·Kh·Kw, elements of the weight.</summary>
    public int WeightLength { get; }

    /// <summary>(C/G)·Kh·Kw: rows of one group's im2col matrix, the depth of its GEMM.</summary>
    internal int ColumnRows { get; }

    /// <summary>Ho·Wo: columns of the im2col matrix, one per output position.</summary>
    internal int OutPlane => OutHeight * OutWidth;

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{Channels}, {Height}, {Width}] → [{OutChannels}, {OutHeight}, {OutWidth}], kernel {KernelHeight}×{KernelWidth}, stride {StrideHeight}×{StrideWidth}, padding {PaddingHeight}×{PaddingWidth}, dilation {DilationHeight}×{DilationWidth}, groups {Groups}";
}

/// <summary>
/// 2-D convolution with groups and dilation, PyTorch <c>nn.Conv2d</c> layout (zero padding): <c>x</c> is
/// <c>[B, C, H, W]</c>, <c>W</c> is <c>[O, C/G, Kh, Kw]</c>, <c>y</c> is <c>[B, O, Ho, Wo]</c>, all row-major (NCHW);
/// <c>y[b, o, i, j] = Σ_{c,u,v} W[o, c, u, v]·x[b, g·C/G + c, i·Sh − Ph + u·Dh, j·Sw − Pw + v·Dw] + bias[o]</c> with
/// <c>g = o / (O/G)</c>.
/// </summary>
/// <remarks>
/// <para>The general case of <see cref="Conv2D"/>, which keeps the fast path of groups 1 and dilation 1 to itself; the
/// generator picks this kernel only when a layer has groups or dilation above 1 (depthwise and atrous convolutions).</para>
/// <para><b>Lowering</b>: per sample and group, im2col of the group's C/G channels with the dilated taps into
/// <c>col[(C/G)·Kh·Kw, Ho·Wo]</c> (row <c>(c·Kh + u)·Kw + v</c> holds <c>x[c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw]</c>,
/// 0 in the padding), then <c>y_bg[O/G, Ho·Wo] = W_g[O/G, (C/G)·Kh·Kw] · col</c> in one packed GEMM. Backward:
/// <c>dW_g += dy_bg · colᵀ</c> and <c>dcol = W_gᵀ · dy_bg</c>, scattered back by col2im.</para>
/// <para><b>Order and threads</b>: samples and groups run in a fixed order on the calling thread, each GEMM free to split
/// over the cores (a packed GEMM gives the same bits split or not), so the result does not depend on the core count.
/// <c>dW</c> sums the samples in order; <c>db</c> is summed in sample order.</para>
/// <para><b>Scratch</b>: the im2col and dcol matrices live in per-thread buffers grown on first use and reused: no
/// allocation in steady state.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Conv2DGeneral
{
    /// <summary>y[B,O,Ho,Wo] = Σ_{c,u,v} W[o,c,u,v]·x[b, g·C/G + c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw] + bias[o]
    /// (zero padding, g = o / (O/G)), then max(0, ·) when <paramref name="fuseReLU"/></summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C/G, Kh, Kw].</param>
    /// <param name="bias">Bias, [O]; empty = no bias.</param>
    /// <param name="y">Output, [batch, O, Ho, Wo] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="fuseReLU">Apply ReLU as y is stored.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, in Conv2DGeneralGeometry g, bool fuseReLU = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, g.OutChannels, nameof(bias));
        }
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        if (batch == 0)
        {
            return;
        }

        int k = g.ColumnRows, plane = g.OutPlane, og = g.OutChannels / g.Groups;
        int groupInput = (g.Channels / g.Groups) * g.Height * g.Width;
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        fixed (T* col = Conv2D.Buffers<T>.Col((long)k * plane))
        {
            for (int b = 0; b < batch; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    T* yg = py + ((nint)b * g.OutputLength) + ((nint)grp * og * plane);
                    Im2Col(px + ((nint)b * g.InputLength) + ((nint)grp * groupInput), col, g);
                    if (pb != null)
                    {
                        // Each output row starts at its bias and the GEMM adds W_g·col on top.
                        for (int r = 0; r < og; r++)
                        {
                            new Span<T>(yg + ((nint)r * plane), plane).Fill(pb[(grp * og) + r]);
                        }
                    }
                    // y_bg[O/G, Ho·Wo] (+)= W_g[O/G, K] · col[K, Ho·Wo]
                    Gemm(pw + ((nint)grp * og * k), k, 1, col, plane, 1, yg, og, plane, k, accumulate: pb != null, fuseReLU);
                }
            }
        }
    }

    /// <summary>dx[B,C,H,W] = col2im(W_gᵀ · dy_bg) per group (overwritten); dW[O,C/G,Kh,Kw] = Σ_b dy_bg · col_bgᵀ
    /// (overwritten); db[O] = Σ_{b,ho,wo} dy (overwritten)</summary>
    /// <param name="dy">Gradient of the output, [batch, O, Ho, Wo].</param>
    /// <param name="x">Input saved by the forward pass, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C/G, Kh, Kw].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten); empty = not needed (first layer), skipped.</param>
    /// <param name="dw">Gradient of the weight, [O, C/G, Kh, Kw] (overwritten).</param>
    /// <param name="db">Gradient of the bias, [O] (overwritten); empty = no bias.</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dx, Span<T> dw, Span<T> db, int batch, in Conv2DGeneralGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        if (!dx.IsEmpty)
        {
            ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        }
        ThrowHelper.RequireLength(dw.Length, g.WeightLength, nameof(dw));
        if (!db.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db.Length, g.OutChannels, nameof(db));
        }
        if (batch == 0)
        {
            return;
        }

        int k = g.ColumnRows, plane = g.OutPlane, og = g.OutChannels / g.Groups;
        int groupInput = (g.Channels / g.Groups) * g.Height * g.Width;
        bool wantDx = !dx.IsEmpty;
        fixed (T* pdy = dy)
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pdx = dx)
        fixed (T* pdw = dw)
        fixed (T* col = Conv2D.Buffers<T>.Col((long)k * plane))
        fixed (T* dcol = wantDx ? Conv2D.Buffers<T>.DCol((long)k * plane) : null)
        {
            for (int b = 0; b < batch; b++)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    nint inputOffset = ((nint)b * g.InputLength) + ((nint)grp * groupInput);
                    T* dyg = pdy + ((nint)b * g.OutputLength) + ((nint)grp * og * plane);
                    T* wg = pw + ((nint)grp * og * k);
                    Im2Col(px + inputOffset, col, g);
                    // dW_g[O/G, K] (+)= dy_bg[O/G, Ho·Wo] · col[K, Ho·Wo]ᵀ: the first sample overwrites.
                    Gemm(dyg, plane, 1, col, 1, plane, pdw + ((nint)grp * og * k), og, k, plane, accumulate: b > 0, relu: false);
                    if (wantDx)
                    {
                        // dcol[K, Ho·Wo] = W_g[O/G, K]ᵀ · dy_bg[O/G, Ho·Wo]: A(i, p) = w_g[p·K + i]
                        Gemm(wg, 1, k, dyg, plane, 1, dcol, k, plane, og, accumulate: false, relu: false);
                        Col2Im(dcol, pdx + inputOffset, g);
                    }
                }
            }
        }

        // db[o] = Σ_b (Σ_{ho,wo} dy[b, o]), in sample order.
        if (!db.IsEmpty)
        {
            int outPlane = g.OutPlane;
            for (int o = 0; o < g.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    sum += TensorPrimitives.Sum(dy.Slice((b * g.OutputLength) + (o * outPlane), outPlane));
                }
                db[o] = sum;
            }
        }
    }

    private static void RequireGeometry(in Conv2DGeneralGeometry g)
    {
        if (g.OutChannels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
    }

    /// <summary>C[m,n] (+)= A·B with A(i, p) = a[i·ars + p·acs], B(p, j) = b[p·brs + j·bcs], on the packed kernel, split
    /// over the cores when large enough (the same bits either way).</summary>
    private static unsafe void Gemm<T>(T* a, nint ars, nint acs, T* b, nint brs, nint bcs, T* c, int m, int n, int k, bool accumulate, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var operands = new PackedGemm.Operands<T>
        {
            A = a, Ars = ars, Acs = acs,
            B = b, Brs = brs, Bcs = bcs,
            C = c, Ldc = n,
            M = m, N = n, K = k,
            Accumulate = accumulate, Relu = relu,
        };
        PackedGemm.Run(operands, parallel: true);
    }

    /// <summary>One group: col[(c·Kh + u)·Kw + v, ho·Wo + wo] = x[c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw] for the
    /// group's C/G channels starting at <paramref name="x"/>, 0 where that is padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Im2Col<T>(T* x, T* col, in Conv2DGeneralGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int plane = ho * wo, channels = g.Channels / g.Groups;
        T* row = col;
        for (int c = 0; c < channels; c++)
        {
            T* xc = x + ((nint)c * h * w);
            for (int u = 0; u < g.KernelHeight; u++)
            {
                int tapRow = u * g.DilationHeight;
                Geometry2D.ValidRange(ho, h, sh, g.PaddingHeight, tapRow, out int r0, out int r1);
                for (int v = 0; v < g.KernelWidth; v++, row += plane)
                {
                    int tapColumn = v * g.DilationWidth;
                    Geometry2D.ValidRange(wo, w, sw, g.PaddingWidth, tapColumn, out int c0, out int c1);
                    new Span<T>(row, r0 * wo).Clear();
                    for (int r = r0; r < r1; r++)
                    {
                        T* dst = row + ((nint)r * wo);
                        T* src = xc + ((nint)((r * sh) - g.PaddingHeight + tapRow) * w) - g.PaddingWidth + tapColumn;
                        new Span<T>(dst, c0).Clear();
                        for (int q = c0; q < c1; q++)
                        {
                            dst[q] = src[(nint)q * sw];
                        }
                        new Span<T>(dst + c1, wo - c1).Clear();
                    }
                    new Span<T>(row + ((nint)r1 * wo), (ho - r1) * wo).Clear();
                }
            }
        }
    }

    /// <summary>The transpose of <see cref="Im2Col"/> for one group: its C/G channels of dx = 0, then
    /// dx[c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw] += dcol[row, col] for every element inside the input, rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Col2Im<T>(T* dcol, T* dx, in Conv2DGeneralGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int plane = ho * wo, channels = g.Channels / g.Groups;
        new Span<T>(dx, channels * h * w).Clear();
        T* row = dcol;
        for (int c = 0; c < channels; c++)
        {
            T* dxc = dx + ((nint)c * h * w);
            for (int u = 0; u < g.KernelHeight; u++)
            {
                int tapRow = u * g.DilationHeight;
                Geometry2D.ValidRange(ho, h, sh, g.PaddingHeight, tapRow, out int r0, out int r1);
                for (int v = 0; v < g.KernelWidth; v++, row += plane)
                {
                    int tapColumn = v * g.DilationWidth;
                    Geometry2D.ValidRange(wo, w, sw, g.PaddingWidth, tapColumn, out int c0, out int c1);
                    for (int r = r0; r < r1; r++)
                    {
                        T* src = row + ((nint)r * wo);
                        T* dst = dxc + ((nint)((r * sh) - g.PaddingHeight + tapRow) * w) - g.PaddingWidth + tapColumn;
                        for (int q = c0; q < c1; q++)
                        {
                            dst[(nint)q * sw] += src[q];
                        }
                    }
                }
            }
        }
    }
}
