using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetGen;

/// <summary>
/// The numeric half of a generated network's gradient check (CS231n notes, "gradient checking"): centered differences
/// (f(p + h) − f(p − h)) / 2h in float64, compared with the analytic gradient by |a − n| / max(|a|, |n|).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class GradCheck
{
    /// <summary>Gradients whose analytic and numeric values are both below this are treated as equal (both zero).</summary>
    public const double NoiseFloor = 1e-10;

    /// <summary>Copies float parameters into a double arena.</summary>
    public static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    /// <summary>A double copy of <paramref name="source"/>.</summary>
    public static double[] Widen(ReadOnlySpan<float> source)
    {
        var result = new double[source.Length];
        Widen(source, result);
        return result;
    }

    /// <summary>
    /// For each tensor of <paramref name="table"/>, perturbs up to <paramref name="maxChecksPerTensor"/> elements (0 = all;
    /// otherwise evenly spaced, always including the first and last) of <paramref name="parameters"/> by ±h, evaluates
    /// <paramref name="loss"/>, restores the element and compares with <paramref name="analytic"/>.
    /// </summary>
    public static GradCheckResult Run(IReadOnlyList<ParameterInfo> table, double[] parameters, double[] analytic, Func<double> loss, double h, int maxChecksPerTensor)
    {
        if (!(h > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(h), h, "The finite-difference step h must be > 0 (the CS231n notes suggest 1e-5).");
        }

        double[] expected = (double[])analytic.Clone();
        var entries = new List<GradCheckEntry>();
        foreach (ParameterInfo info in table)
        {
            int count = maxChecksPerTensor <= 0 || maxChecksPerTensor >= info.Length ? info.Length : maxChecksPerTensor;
            double worst = 0, worstAnalytic = 0, worstNumeric = 0;
            int worstIndex = 0;
            for (int c = 0; c < count; c++)
            {
                int i = count == info.Length ? c : (int)((long)c * (info.Length - 1) / Math.Max(count - 1, 1));
                int at = info.Offset + i;
                double saved = parameters[at];
                parameters[at] = saved + h;
                double plus = loss();
                parameters[at] = saved - h;
                double minus = loss();
                parameters[at] = saved;
                double numeric = (plus - minus) / (2 * h);
                double a = expected[at];
                double scale = Math.Max(Math.Abs(a), Math.Abs(numeric));
                // Both below the noise floor of a float64 centered difference (≈ ε·|L|/h ≈ 1e-11 for h = 1e-5): the
                // notes' "handle both being (nearly) zero" case, e.g. a gradient that cancels exactly; counted as agreeing.
                double relative = scale < NoiseFloor ? 0 : Math.Abs(a - numeric) / scale;
                if (relative > worst || c == 0)
                {
                    worst = relative;
                    worstAnalytic = a;
                    worstNumeric = numeric;
                    worstIndex = i;
                }
            }

            entries.Add(new GradCheckEntry(info.Key, count, worst, worstIndex, worstAnalytic, worstNumeric));
        }

        return new GradCheckResult(entries);
    }
}

/// <summary>The gradient check of one parameter tensor: the worst element found.</summary>
/// <param name="Key">The tensor's state_dict key.</param>
/// <param name="Checked">How many elements were checked.</param>
/// <param name="MaxRelativeError">The largest |a − n| / max(|a|, |n|).</param>
/// <param name="WorstIndex">Where it occurred (flat index in the tensor).</param>
/// <param name="Analytic">The analytic gradient there.</param>
/// <param name="Numeric">The centered-difference gradient there.</param>
public sealed record GradCheckEntry(string Key, int Checked, double MaxRelativeError, int WorstIndex, double Analytic, double Numeric);

/// <summary>The result of a gradient check: one entry per parameter tensor.</summary>
public sealed class GradCheckResult
{
    /// <summary>Wraps the per-tensor entries.</summary>
    public GradCheckResult(IReadOnlyList<GradCheckEntry> tensors) => Tensors = tensors;

    /// <summary>One entry per parameter tensor, in state_dict order.</summary>
    public IReadOnlyList<GradCheckEntry> Tensors { get; }

    /// <summary>The largest relative error over all tensors.</summary>
    public double MaxRelativeError
    {
        get
        {
            double max = 0;
            foreach (GradCheckEntry entry in Tensors)
            {
                max = Math.Max(max, entry.MaxRelativeError);
            }

            return max;
        }
    }

    /// <summary>A table: key, elements checked, max relative error, analytic and numeric values at the worst element.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.AppendLine("tensor          checked   max rel. error   analytic          numeric");
        foreach (GradCheckEntry e in Tensors)
        {
            builder.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,-15} {1,7}   {2,14:E3}   {3,15:G9}   {4,15:G9}", e.Key, e.Checked, e.MaxRelativeError, e.Analytic, e.Numeric));
        }

        return builder.ToString();
    }
}
