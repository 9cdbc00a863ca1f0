using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// A Dense layer's <c>Wᵀ</c> kept between calls in the panel layout of the packed GEMM, so a forward pass <c>x·Wᵀ</c>
/// that finds it current skips packing the weights: the pre-packed weights of a generated network.
/// </summary>
/// <remarks>
/// <para>The generated network owns one per Dense layer whose forward GEMM is planned Packed or PackedParallel (the sizes
/// are compile-time constants) and calls <see cref="Invalidate"/> whenever the weights may change: after every optimizer
/// update, after Load, and when it hands out a writable view of the parameters. The next packed forward then repacks
/// as part of its GEMM (each thread packing the columns it computes), which costs what packing inside the GEMM always
/// cost; calls after that, until the weights change again, do not pack at all (inference, evaluation, Predict over
/// many MaxBatch chunks).</para>
/// <para>The layout depends on this machine's register width (NR = 2 registers), so it is built at run time and never
/// saved. It is bound to one weight tensor by its owner: the kernels only check its shape.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class PackedWeights<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Room for <c>Wᵀ</c> of a Dense layer with <paramref name="inputs"/> inputs and <paramref name="outputs"/> outputs.</summary>
    public PackedWeights(int inputs, int outputs)
    {
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        Inputs = inputs;
        Outputs = outputs;
        Buffer = new T[PackedGemm.PackedLength<T>(inputs, outputs)];
    }

    /// <summary>I of the layer.</summary>
    public int Inputs { get; }

    /// <summary>O of the layer.</summary>
    public int Outputs { get; }

    /// <summary>Whether the panels hold the current weights (set by the forward pass that packed them).</summary>
    public bool IsCurrent { get; internal set; }

    /// <summary>The panels, <c>RoundUp(O, NR) · I</c> elements.</summary>
    internal T[] Buffer { get; }

    /// <summary>W as stored ([outputs, inputs]) reordered into the batch-1 GEMV's row panels (<c>Gemv.Rows</c>, ADR 0054),
    /// allocated by the first one-row call that packs them: the second one-row call after the weights change (so a
    /// training loop at batch 1, which changes the weights between every two calls, never packs).</summary>
    internal T[]? RowPanels { get; set; }

    /// <summary>The second half's partial sums of a batch-1 pair whose second layer this is (<c>Gemv.ForwardPair</c>,
    /// ADR 0061), [outputs], allocated by the first such call: scratch, never current or stale.</summary>
    internal T[]? PairPartials { get; set; }

    /// <summary>W as stored reordered for the second layer of a batch-1 pair (<c>Gemv.ForwardPair</c>, ADR 0061): each
    /// half of the depth in row panels of its own (the columns <c>[0, s)</c> of every row, then <c>[s, I)</c>), packed by
    /// the pair's call that reads or packs the first layer's row panels, each core its half.</summary>
    internal T[]? PairPanels { get; set; }

    /// <summary>Whether <see cref="PairPanels"/> hold the current weights, laid out for <see cref="PairPanelWidth"/>.</summary>
    internal bool PairPanelsAreCurrent { get; set; }

    /// <summary>The register width, in elements, <see cref="PairPanels"/> were laid out for.</summary>
    internal int PairPanelWidth { get; set; }

    /// <summary>The register width, in elements, <see cref="RowPanels"/> were laid out for.</summary>
    internal int RowPanelWidth { get; set; }

    /// <summary>Whether <see cref="RowPanels"/> hold the current weights.</summary>
    internal bool RowPanelsAreCurrent { get; set; }

    /// <summary>A one-row call read W as stored since the last <see cref="Invalidate"/>; the next one packs.</summary>
    internal bool RowPanelsSeenOnce { get; set; }

    /// <summary>The weights may have changed: the next packed forward repacks (and the second one-row call after this one
    /// repacks the row panels).</summary>
    public void Invalidate()
    {
        IsCurrent = false;
        RowPanelsAreCurrent = false;
        RowPanelsSeenOnce = false;
        PairPanelsAreCurrent = false;
    }
}
