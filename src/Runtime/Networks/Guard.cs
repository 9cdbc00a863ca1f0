using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;
using NetGen.Kernels;

namespace NetGen;

/// <summary>
/// Argument checks of generated networks. They run before anything is touched, so a bad call changes nothing, and the
/// messages name the network, the argument and the expected sizes. Nothing is allocated unless a check fails.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Guard
{
    /// <summary>Rows in <paramref name="inputs"/>: its length must be a positive multiple of <paramref name="inputSize"/>.</summary>
    public static int Rows(ReadOnlySpan<float> inputs, int inputSize, string network)
    {
        if (inputs.Length == 0 || inputs.Length % inputSize != 0)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {inputs.Length} values; expected rows × {inputSize} (InputSize) with at least one row.", "inputs");
        }

        return inputs.Length / inputSize;
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming <paramref name="network"/> once it is disposed.</summary>
    public static void NotDisposed(bool disposed, string network)
    {
        if (disposed)
        {
            throw new ObjectDisposedException(network, $"Network '{network}' was disposed. Create a new instance (and Load the weights) to use it again.");
        }
    }

    /// <summary>Checks that <paramref name="outputs"/> holds exactly <paramref name="length"/> values.</summary>
    public static void Output(Span<float> outputs, int length, string network)
    {
        if (outputs.Length != length)
        {
            throw new ArgumentException(
                $"Argument 'outputs' of network '{network}' has {outputs.Length} values; expected {length} (rows × OutputSize).", "outputs");
        }
    }

    /// <summary>
    /// A regression batch: 1 to <paramref name="maxBatch"/> rows of <paramref name="inputSize"/> values and
    /// <paramref name="outputs"/> finite float targets per row. Returns the row count. With <c>checkInputs</c> false (here and
    /// in the other batch guards) the inputs' finiteness is left to the step's folded check (a generated network whose first
    /// layer's weight gradient reads every input value, ADR 0040), which calls <see cref="Finite"/> on a refused step, so a
    /// bad input still throws this exception with nothing changed.
    /// </summary>
    public static int Targets(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int inputSize, int outputs, int maxBatch, string network, bool checkInputs = true)
    {
        int rows = Rows(inputs, inputSize, network);
        if (rows > maxBatch)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {rows} rows; a training call takes at most MaxBatch = {maxBatch} (BatchSize in [Network]). Split the batch or raise BatchSize.", "inputs");
        }

        if (targets.Length != (long)rows * outputs)
        {
            throw new ArgumentException(
                $"Argument 'targets' of network '{network}' has {targets.Length} values; expected rows × OutputSize = {rows} × {outputs}.", "targets");
        }

        if (checkInputs)
        {
            Finite(inputs, "inputs", network);
        }

        Finite(targets, "targets", network);
        return rows;
    }

    /// <summary>
    /// A multi-label batch for the binary hinge: as <see cref="Targets"/>, and every target exactly 0 or 1 (the loss maps it
    /// to y' = 2t − 1 ∈ {−1, +1}). Returns the row count.
    /// </summary>
    public static int BinaryTargets(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int inputSize, int outputs, int maxBatch, string network, bool checkInputs = true)
    {
        int rows = Targets(inputs, targets, inputSize, outputs, maxBatch, network, checkInputs);
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] != 0 && targets[i] != 1)
            {
                throw new ArgumentOutOfRangeException(
                    "targets", targets[i], $"targets[{i}] (row {i / outputs}, output {i % outputs}) = {targets[i]} of network '{network}' is not 0 or 1; the binary hinge takes 0/1 labels per output.");
            }
        }

        return rows;
    }

    /// <summary>
    /// A batch with target distributions (soft targets): 1 to <paramref name="maxBatch"/> rows of <paramref name="inputSize"/>
    /// values and <paramref name="classes"/> probabilities per row, each finite and ≥ 0. Rows need not sum to 1: as in
    /// PyTorch's <c>F.cross_entropy</c> with probability targets they are used as given (a row summing to s weighs its
    /// example by s). Returns the row count.
    /// </summary>
    public static int Probabilities(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targetProbabilities, int inputSize, int classes, int maxBatch, string network, bool checkInputs = true)
    {
        int rows = Rows(inputs, inputSize, network);
        if (rows > maxBatch)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {rows} rows; a training call takes at most MaxBatch = {maxBatch} (BatchSize in [Network]). Split the batch or raise BatchSize.", "inputs");
        }

        if (targetProbabilities.Length != (long)rows * classes)
        {
            throw new ArgumentException(
                $"Argument 'targetProbabilities' of network '{network}' has {targetProbabilities.Length} values; expected rows × OutputSize = {rows} × {classes}, one distribution per input row.", "targetProbabilities");
        }

        if (checkInputs)
        {
            Finite(inputs, "inputs", network);
        }

        for (int i = 0; i < targetProbabilities.Length; i++)
        {
            float p = targetProbabilities[i];
            if (!float.IsFinite(p) || p < 0)
            {
                throw new ArgumentOutOfRangeException(
                    "targetProbabilities", p, $"targetProbabilities[{i}] (row {i / classes}, class {i % classes}) = {p} of network '{network}' is not a finite probability ≥ 0.");
            }
        }

        return rows;
    }

    /// <summary>Training on fewer than <paramref name="minimum"/> rows is refused, with <paramref name="why"/>.</summary>
    public static void MinimumTrainingBatch(int rows, int minimum, string network, string why)
    {
        if (rows < minimum)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {rows} row(s); a training call needs at least {minimum}: {why}.", "inputs");
        }
    }

    /// <summary>A learning rate must be finite and ≥ 0 (a schedule may reach 0, as cosine annealing does); returns it.</summary>
    public static double LearningRate(double value, string network)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(
                "value", value, $"The learning rate of network '{network}' must be a finite value ≥ 0; it is unchanged.");
        }

        return value;
    }

    /// <summary>
    /// A training batch: 1 to <paramref name="maxBatch"/> rows of <paramref name="inputSize"/> features, one label per row,
    /// each label a class index in [0, <paramref name="classes"/>). Returns the row count.
    /// </summary>
    public static int Batch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int inputSize, int classes, int maxBatch, string network, bool checkInputs = true)
    {
        int rows = Rows(inputs, inputSize, network);
        if (rows > maxBatch)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {rows} rows; a training call takes at most MaxBatch = {maxBatch} (BatchSize in [Network]). Split the batch or raise BatchSize.", "inputs");
        }

        if (labels.Length != rows)
        {
            throw new ArgumentException(
                $"Argument 'labels' of network '{network}' has {labels.Length} values; expected one per input row ({rows}).", "labels");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(
                    "labels", labels[i], $"labels[{i}] = {labels[i]} is not a class index of network '{network}'; expected 0 ≤ label < {classes}.");
            }
        }

        if (checkInputs)
        {
            Finite(inputs, "inputs", network);
        }

        return rows;
    }

    /// <summary>
    /// Refuses a training argument holding NaN or ±∞, naming the argument and its first bad index. One vectorised read of
    /// the values (the maximum magnitude is NaN or ∞ exactly when a value is not finite); the index is searched for only
    /// when the check fails. It runs before the forward pass because the forward pass already changes state (batch
    /// normalisation's running statistics), so a check folded into it would come too late.
    /// </summary>
    public static void Finite(ReadOnlySpan<float> values, string argument, string network)
    {
        if (FiniteCheck.Disabled || AllFinite(values))
        {
            return;
        }

        int i = FirstNonFinite(values);
        throw new ArgumentOutOfRangeException(
            argument, values[i], $"{argument}[{i}] = {values[i]} of network '{network}' is not a finite number; nothing was changed.");
    }

    /// <summary>
    /// True when a training step's <paramref name="loss"/> and every element of its <paramref name="gradients"/> are
    /// finite: one vectorised read of the gradient arena (its maximum magnitude), less than the optimizer's own pass reads.
    /// </summary>
    public static bool IsFiniteStep(double loss, ReadOnlySpan<float> gradients) =>
        double.IsFinite(loss) && AllFinite(gradients);

    /// <summary>
    /// <see cref="IsFiniteStep(double, ReadOnlySpan{float})"/> for the gradient arena of a generated network: above 64K
    /// elements the read is split over the cores (whole 64-element blocks per part; a yes/no answer, so the split changes
    /// nothing), which halves its cost on two cores. Allocates nothing after the first call.
    /// </summary>
    public static unsafe bool IsFiniteStep(double loss, float[] gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (FiniteCheck.Disabled)
        {
            return true;
        }

        if (!double.IsFinite(loss))
        {
            return false;
        }

        int n = gradients.Length;
        int parts = n >= 1 << 16 ? Workers.PartsFor(n, 1 << 15, (n + 63L) / 64, partsPerThread: 1) : 1;
        if (parts > 1 && Workers.TryAcquire(out FiniteJob job))
        {
            fixed (float* values = gradients)
            {
                job.Values = values;
                job.Length = n;
                job.Bad = 0;
                Workers.RunAndRelease(job, parts);
                job.Values = null;
                return job.Bad == 0;
            }
        }

        return AllFinite(gradients);
    }

    /// <summary>
    /// The step check of a generated network whose kernels checked their gradients as they wrote them (ADR 0040): the loss,
    /// <paramref name="finite"/> (set by those kernels since the start of Backward) and a read of only the gradient tensors
    /// no kernel checked, given as (offset, length) pairs in <paramref name="unchecked"/> (small tensors, or ones changed
    /// after Backward, such as those with a regularisation term). True when all of them are finite.
    /// </summary>
    public static bool IsFiniteStep<T>(double loss, FiniteCheck finite, T[] gradients, int[] @unchecked)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(finite);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(@unchecked);
        if (FiniteCheck.Disabled)
        {
            return true;
        }

        if (!double.IsFinite(loss) || !finite.AllFinite)
        {
            return false;
        }

        for (int i = 0; i + 1 < @unchecked.Length; i += 2)
        {
            var values = new ReadOnlySpan<T>(gradients, @unchecked[i], @unchecked[i + 1]);
            if (typeof(T) == typeof(float) ? !AllFinite(MemoryMarshal.Cast<T, float>(values)) : !AllFinite<T>(values))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One part of the parallel finiteness read: 64-element blocks [part·b/parts, (part+1)·b/parts).</summary>
    private sealed unsafe class FiniteJob : ParallelJob
    {
        public float* Values;
        public int Length;
        public int Bad;

        public override void Run(int part, int parts)
        {
            long blocks = (Length + 63L) / 64;
            int start = (int)(blocks * part / parts * 64);
            int end = (int)Math.Min(Length, blocks * (part + 1) / parts * 64);
            if (!AllFinite(new ReadOnlySpan<float>(Values + start, end - start)))
            {
                Volatile.Write(ref Bad, 1);
            }
        }
    }

    /// <summary>
    /// Whether every value is finite, in one streaming read: x − x is 0 for a finite x and NaN for NaN or ±∞, so a sum of
    /// those is NaN exactly when a value is not finite. One subtraction and one addition per vector, four independent
    /// sums, and no branch inside the loop: about the speed of reading the memory, a third of the time
    /// <see cref="TensorPrimitives.MaxMagnitude{T}(ReadOnlySpan{T})"/> took (performance.md, "The non-finite checks").
    /// </summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 4 * Vector512<float>.Count)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - (4 * Vector512<float>.Count); i += 4 * Vector512<float>.Count)
            {
                Vector512<float> v0 = Vector512.LoadUnsafe(ref start, (nuint)i);
                Vector512<float> v1 = Vector512.LoadUnsafe(ref start, (nuint)(i + Vector512<float>.Count));
                Vector512<float> v2 = Vector512.LoadUnsafe(ref start, (nuint)(i + (2 * Vector512<float>.Count)));
                Vector512<float> v3 = Vector512.LoadUnsafe(ref start, (nuint)(i + (3 * Vector512<float>.Count)));
                a0 += v0 - v0;
                a1 += v1 - v1;
                a2 += v2 - v2;
                a3 += v3 - v3;
            }

            if (!float.IsFinite(Vector512.Sum((a0 + a1) + (a2 + a3))))
            {
                return false;
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 4 * Vector256<float>.Count)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - (4 * Vector256<float>.Count); i += 4 * Vector256<float>.Count)
            {
                Vector256<float> v0 = Vector256.LoadUnsafe(ref start, (nuint)i);
                Vector256<float> v1 = Vector256.LoadUnsafe(ref start, (nuint)(i + Vector256<float>.Count));
                Vector256<float> v2 = Vector256.LoadUnsafe(ref start, (nuint)(i + (2 * Vector256<float>.Count)));
                Vector256<float> v3 = Vector256.LoadUnsafe(ref start, (nuint)(i + (3 * Vector256<float>.Count)));
                a0 += v0 - v0;
                a1 += v1 - v1;
                a2 += v2 - v2;
                a3 += v3 - v3;
            }

            if (!float.IsFinite(Vector256.Sum((a0 + a1) + (a2 + a3))))
            {
                return false;
            }
        }

        for (; i < n; i++)
        {
            if (!float.IsFinite(Unsafe.Add(ref start, i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Throws the exception of a refused step (see <see cref="IsFiniteStep(double, ReadOnlySpan{float})"/>) without naming a layer output; generated
    /// networks call the overload that takes <c>firstNonFiniteOutput</c>.
    /// </summary>
    public static void ThrowNonFiniteStep(double loss, ReadOnlySpan<float> gradients, ParameterInfo[] parameters, string call, string network) =>
        ThrowNonFiniteStep(loss, gradients, parameters, null, call, network);

    /// <summary>
    /// Throws the <see cref="NonFiniteStepException"/> of a refused step (see <see cref="IsFiniteStep(double, ReadOnlySpan{float})"/>). It names the first
    /// layer where the step went non-finite: the first layer, in forward order, whose output holds NaN or ±∞
    /// (<paramref name="firstNonFiniteOutput"/>, found by the generated network after the refusal, null when every output is
    /// finite); else, when the loss is finite, the first layer the backward pass reached whose parameter gradient is not
    /// finite (the last such tensor in state_dict order), with the tensor's key and element. Runs only on a refused step.
    /// </summary>
    public static void ThrowNonFiniteStep(double loss, ReadOnlySpan<float> gradients, ParameterInfo[] parameters, string? firstNonFiniteOutput, string call, string network)
    {
        string what;
        string? layer = null, tensor = null;
        int element = -1;
        if (firstNonFiniteOutput is not null)
        {
            layer = firstNonFiniteOutput;
            what = $"the loss is {loss}; the first layer whose output is not finite is {firstNonFiniteOutput}";
        }
        else if (!double.IsFinite(loss))
        {
            what = $"the loss is {loss} while every layer's output is finite (the loss or its regularisation term overflowed)";
        }
        else
        {
            // Backward runs the layers in reverse order, so the gradient went non-finite first in the last tensor (in
            // state_dict order) that holds a non-finite element; the ones before it were computed from it.
            ParameterInfo? found = null;
            for (int t = parameters.Length - 1; t >= 0 && found is null; t--)
            {
                ParameterInfo p = parameters[t];
                if (!float.IsFinite(TensorPrimitives.MaxMagnitude(gradients.Slice(p.Offset, p.Length))))
                {
                    found = p;
                }
            }

            found ??= parameters[0];
            int i = found.Offset + FirstNonFinite(gradients.Slice(found.Offset, found.Length));
            layer = $"'{found.Layer}'";
            tensor = found.Key;
            element = i - found.Offset;
            what = $"the loss is {loss} but the gradient of '{found.Key}' (layer '{found.Layer}') is {gradients[i]} at element {element}, the first non-finite gradient the backward pass reached";
        }

        throw new NonFiniteStepException(
            $"{call} of network '{network}' was refused: {what} (an overflow, or a NaN reached through the parameters). " +
            "The parameters, buffers, optimizer state and step counter are unchanged; Gradients holds the refused gradient. " +
            "Lower the learning rate, clip gradients or check the data.",
            network, call, loss, layer, tensor, element);
    }

    /// <summary>Whether every element of <paramref name="values"/> is finite (the generated networks' per-layer check of a
    /// refused step; not on the hot path).</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> values)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (T v in values)
        {
            if (!T.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>A clipping setting is null (off) or finite and &gt; 0; returns it.</summary>
    public static double? ClipSetting(double? value, string setting, string network)
    {
        if (value is double v && (!(v > 0) || double.IsInfinity(v)))
        {
            throw new ArgumentOutOfRangeException(
                setting, v, $"{setting} of network '{network}' must be null (off) or a finite value > 0; it is unchanged.");
        }

        return value;
    }
}
