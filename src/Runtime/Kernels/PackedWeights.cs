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

    /// <summary>W as stored in columns for the second layer of a batch-1 pair that runs it over columns
    /// (<c>Gemv.PairColumns</c>, ADR 0067): column k's [outputs] values contiguous, k in order (each half of the depth
    /// packed by the core that reads it); kept apart from <see cref="PairPanels"/> so the paired benchmark can switch
    /// between the two without repacking.</summary>
    internal T[]? PairColumnPanels { get; private set; }

    /// <summary>Whether <see cref="PairColumnPanels"/> hold the current weights.</summary>
    internal bool PairColumnsAreCurrent { get; set; }

    /// <summary>Elements of <see cref="PairColumnPanels"/> before the first column.</summary>
    internal int PairColumnOffset { get; private set; }

    /// <summary><see cref="PairColumnPanels"/>, allocated for <paramref name="length"/> elements on first use.</summary>
    internal T[] PairColumnsFor(long length)
    {
        if (PairColumnPanels is null)
        {
            PairColumnPanels = AllocatePanels(length, out int offset);
            PairColumnOffset = offset;
        }
        return PairColumnPanels;
    }

    /// <summary>Whether <see cref="PairPanels"/> hold the current weights, laid out for <see cref="PairPanelWidth"/>.</summary>
    internal bool PairPanelsAreCurrent { get; set; }

    /// <summary>The register width, in elements, <see cref="PairPanels"/> were laid out for.</summary>
    internal int PairPanelWidth { get; set; }

    /// <summary>The cut between the two halves (<c>Gemv.PairSplit</c>) <see cref="PairPanels"/> were laid out for.</summary>
    internal int PairPanelSplit { get; set; }

    /// <summary>The register width, in elements, <see cref="RowPanels"/> were laid out for.</summary>
    internal int RowPanelWidth { get; set; }

    /// <summary>Whether <see cref="RowPanels"/> hold the current weights.</summary>
    internal bool RowPanelsAreCurrent { get; set; }

    /// <summary>A one-row call read W as stored since the last <see cref="Invalidate"/>; the next one packs.</summary>
    internal bool RowPanelsSeenOnce { get; set; }

    /// <summary>Elements of <see cref="RowPanels"/> before the first panel (see <see cref="AllocatePanels"/>).</summary>
    internal int RowPanelOffset { get; private set; }

    /// <summary>Elements of <see cref="PairPanels"/> before the first panel.</summary>
    internal int PairPanelOffset { get; private set; }

    /// <summary><see cref="RowPanels"/>, allocated for <paramref name="length"/> elements on first use.</summary>
    internal T[] RowPanelsFor(long length)
    {
        if (RowPanels is null)
        {
            RowPanels = AllocatePanels(length, out int offset);
            RowPanelOffset = offset;
        }
        return RowPanels;
    }

    /// <summary><see cref="PairPanels"/>, allocated for <paramref name="length"/> elements on first use.</summary>
    internal T[] PairPanelsFor(long length)
    {
        if (PairPanels is null)
        {
            PairPanels = AllocatePanels(length, out int offset);
            PairPanelOffset = offset;
        }
        return PairPanels;
    }

    /// <summary>Copies of a one-row call's input on 64-byte lines, one slot per part (<c>Gemv.AlignInput</c>, ADR 0061):
    /// <see cref="XSlots"/> slots of <see cref="XSlotLength"/> elements from <see cref="XCopyOffset"/>; null until the
    /// first call that copies.</summary>
    internal T[]? XCopies { get; private set; }

    /// <summary>Elements of <see cref="XCopies"/> before the first slot.</summary>
    internal int XCopyOffset { get; private set; }

    /// <summary>Elements per slot of <see cref="XCopies"/>: the inputs rounded up to a whole cache line.</summary>
    internal int XSlotLength { get; private set; }

    /// <summary>Slots of <see cref="XCopies"/>: one per part a one-row call can be cut into (<c>Workers</c> runs at most 8).</summary>
    internal const int XSlots = 8;

    /// <summary><see cref="XCopies"/> for inputs of <paramref name="length"/> elements, allocated (pinned, so the offset
    /// holds) by the first call; called by the caller before it hands parts to the workers.</summary>
    internal unsafe T[] XCopiesFor(int length)
    {
        int slot = (length + (64 / sizeof(T)) - 1) / (64 / sizeof(T)) * (64 / sizeof(T));
        if (XCopies is null || XSlotLength < slot)
        {
            T[] copies = GC.AllocateArray<T>((XSlots * slot) + (64 / sizeof(T)), pinned: true);
            fixed (T* p = copies)
            {
                XCopyOffset = (int)((64 - ((nint)p & 63)) & 63) / sizeof(T);
            }
            XSlotLength = slot;
            XCopies = copies;
        }
        return XCopies;
    }

    /// <summary>Room for <paramref name="length"/> elements of row panels that start on a 64-byte cache line (when
    /// <c>Gemv.AlignPanels</c>, ADR 0061): a pinned array (it never moves, so the offset found now holds for its life) with
    /// one cache line to spare, the panels from element <paramref name="offset"/>. A 512-bit load from a panel then reads
    /// one cache line instead of two. Off: a plain array, offset 0 (as before).</summary>
    private static unsafe T[] AllocatePanels(long length, out int offset)
    {
        if (!Gemv.AlignPanels)
        {
            offset = 0;
            return new T[length];
        }

        T[] panels = GC.AllocateArray<T>(checked((int)length + (64 / sizeof(T))), pinned: true);
        fixed (T* p = panels)
        {
            offset = (int)((64 - ((nint)p & 63)) & 63) / sizeof(T);
        }
        return panels;
    }

    /// <summary>The weights may have changed: the next packed forward repacks (and the second one-row call after this one
    /// repacks the row panels).</summary>
    public void Invalidate()
    {
        IsCurrent = false;
        RowPanelsAreCurrent = false;
        RowPanelsSeenOnce = false;
        PairPanelsAreCurrent = false;
        PairColumnsAreCurrent = false;
    }
}
