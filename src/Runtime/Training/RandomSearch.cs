using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace NetGen;

/// <summary>How a <see cref="SearchRange"/> is sampled.</summary>
public enum SearchScale
{
    /// <summary>Uniform on [min, max] (e.g. a dropout probability).</summary>
    Uniform,

    /// <summary>Uniform in log space: 10^U(log₁₀ min, log₁₀ max) (learning rates, regularisation strengths).</summary>
    LogUniform,
}

/// <summary>
/// One hyper-parameter's range. Learning rates and regularisation strengths act multiplicatively, so they are sampled
/// log-uniformly (Bergstra and Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012; the CS231n notes:
/// <c>learning_rate = 10 ** uniform(-6, 1)</c>); a dropout probability uniformly.
/// </summary>
public sealed record SearchRange
{
    /// <summary>Creates a range; <see cref="LogUniform"/> and <see cref="Uniform"/> read better.</summary>
    /// <exception cref="ArgumentException">A bound is not finite, min ≥ max, or min ≤ 0 on a log scale.</exception>
    public SearchRange(string name, double min, double max, SearchScale scale)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!double.IsFinite(min) || !double.IsFinite(max) || min >= max)
        {
            throw new ArgumentException($"Search range '{name}': [{min}, {max}] is not an interval of finite numbers with min < max.", nameof(min));
        }

        if (scale == SearchScale.LogUniform && min <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(min), min, $"Search range '{name}' is log-uniform, so min must be > 0 (it is {min}).");
        }

        Name = name;
        Min = min;
        Max = max;
        Scale = scale;
    }

    /// <summary>The hyper-parameter's name (a column of the result table).</summary>
    public string Name { get; }

    /// <summary>Lower bound.</summary>
    public double Min { get; }

    /// <summary>Upper bound.</summary>
    public double Max { get; }

    /// <summary>Uniform or log-uniform.</summary>
    public SearchScale Scale { get; }

    /// <summary>10^U(log₁₀ min, log₁₀ max).</summary>
    public static SearchRange LogUniform(string name, double min, double max) => new(name, min, max, SearchScale.LogUniform);

    /// <summary>U(min, max).</summary>
    public static SearchRange Uniform(string name, double min, double max) => new(name, min, max, SearchScale.Uniform);

    /// <summary>The value at position <paramref name="u"/> ∈ [0, 1] of the range, in its scale (u = 0.5 on [1e-6, 1]
    /// log-uniform is 1e-3).</summary>
    public double At(double u) => Scale == SearchScale.LogUniform
        ? Math.Pow(10, Math.Log10(Min) + (u * (Math.Log10(Max) - Math.Log10(Min))))
        : Min + (u * (Max - Min));

    /// <summary>Where <paramref name="value"/> lies in the range, in its scale: 0 at <see cref="Min"/>, 1 at <see cref="Max"/>.</summary>
    public double PositionOf(double value) => Scale == SearchScale.LogUniform
        ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
        : (value - Min) / (Max - Min);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} ∈ [{Min:G3}, {Max:G3}]{(Scale == SearchScale.LogUniform ? " log-uniform" : " uniform")}");
}

/// <summary>One sampled configuration: its index in the search, its values by range name, and a seed for the model.</summary>
public sealed class SearchTrial
{
    private readonly IReadOnlyList<SearchRange> _ranges;
    private readonly double[] _values;

    internal SearchTrial(int index, IReadOnlyList<SearchRange> ranges, double[] values, ulong seed)
    {
        Index = index;
        _ranges = ranges;
        _values = values;
        Seed = seed;
    }

    /// <summary>The trial's number in its search, from 0 (the order in which configurations were sampled).</summary>
    public int Index { get; }

    /// <summary>A seed for the model of this trial, derived from the search's seed and <see cref="Index"/>.</summary>
    public ulong Seed { get; }

    /// <summary>The sampled values in the order of the search's ranges.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The value of the range called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No range has that name.</exception>
    public double this[string name]
    {
        get
        {
            for (int i = 0; i < _ranges.Count; i++)
            {
                if (_ranges[i].Name == name)
                {
                    return _values[i];
                }
            }

            throw new KeyNotFoundException($"The search has no range '{name}'; its ranges are {string.Join(", ", Names(_ranges))}.");
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _ranges.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(_ranges[i].Name).Append(" = ").Append(_values[i].ToString("G3", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static IEnumerable<string> Names(IReadOnlyList<SearchRange> ranges)
    {
        foreach (SearchRange r in ranges)
        {
            yield return "'" + r.Name + "'";
        }
    }
}

/// <summary>A trial and its validation score.</summary>
/// <param name="Trial">The configuration.</param>
/// <param name="Score">What the callback returned; NaN when training diverged (a returned ±∞ is stored as NaN).</param>
public readonly record struct SearchOutcome(SearchTrial Trial, double Score);

/// <summary>
/// The outcome of <see cref="RandomSearch.Run"/>: every trial sorted by validation score, best first (trials whose score is
/// NaN last; equal scores by trial index, so the table does not depend on which worker finished first), and a warning for
/// each range whose best value sits near an edge.
/// </summary>
public sealed class SearchResult
{
    internal SearchResult(IReadOnlyList<SearchRange> ranges, SearchOutcome[] sorted, bool higherIsBetter, IReadOnlyList<string> warnings)
    {
        Ranges = ranges;
        Outcomes = sorted;
        HigherIsBetter = higherIsBetter;
        BoundaryWarnings = warnings;
    }

    /// <summary>The ranges searched.</summary>
    public IReadOnlyList<SearchRange> Ranges { get; }

    /// <summary>Every trial, best first.</summary>
    public IReadOnlyList<SearchOutcome> Outcomes { get; }

    /// <summary>The best trial.</summary>
    public SearchOutcome Best => Outcomes[0];

    /// <summary>Whether a larger score is better (accuracy) or a smaller one (loss).</summary>
    public bool HigherIsBetter { get; }

    /// <summary>One line per range whose best value lies within <see cref="RandomSearch.BoundaryFraction"/> of an edge
    /// (measured in the range's scale): the optimum may lie outside, so the range should be extended that way.</summary>
    public IReadOnlyList<string> BoundaryWarnings { get; }

    /// <summary>The table: rank, trial, one column per range, score; best first.</summary>
    public string ToTable()
    {
        var header = new List<string> { "rank", "trial" };
        foreach (SearchRange r in Ranges)
        {
            header.Add(r.Name);
        }

        header.Add(HigherIsBetter ? "score (higher is better)" : "score (lower is better)");
        var rows = new List<string[]> { header.ToArray() };
        for (int k = 0; k < Outcomes.Count; k++)
        {
            SearchOutcome o = Outcomes[k];
            var row = new List<string> { (k + 1).ToString(CultureInfo.InvariantCulture), o.Trial.Index.ToString(CultureInfo.InvariantCulture) };
            foreach (double v in o.Trial.Values)
            {
                row.Add(v.ToString("G3", CultureInfo.InvariantCulture));
            }

            row.Add(double.IsNaN(o.Score) ? "diverged" : o.Score.ToString("F4", CultureInfo.InvariantCulture));
            rows.Add(row.ToArray());
        }

        var widths = new int[header.Count];
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                text.Append(c == 0 ? string.Empty : "  ").Append(c < 2 ? row[c].PadLeft(widths[c]) : c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c]));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>
/// Random search over hyper-parameters (Bergstra and Bengio 2012), coarse to fine as the CS231n notes advise: sample
/// configurations from the ranges (log-uniform for learning rates and regularisation strengths), train a model per
/// configuration with short runs, read the table sorted by validation score, then <see cref="Refine"/> the ranges around the
/// best results and search again with longer runs. A best value near a range's edge is reported: the notes warn that the
/// optimum may then lie outside the range.
/// </summary>
/// <remarks>
/// Trial i of a search draws its values from the counter-based stream <c>Key(seed, SearchStream, round, i)</c>, so the same
/// seed gives the same configurations, the same model seeds and (with a deterministic callback) the same table whatever
/// <see cref="MaxDegreeOfParallelism"/> is: workers only change which trial runs when. Each worker trains one model at a
/// time; the callback must build its own network (a network is not thread-safe).
/// </remarks>
public sealed class RandomSearch
{
    /// <summary>The <see cref="CounterRng"/> stream of the sampled values.</summary>
    public const ulong SearchStream = 0x534541524348; // "SEARCH"

    private readonly SearchRange[] _ranges;

    /// <summary>Creates a search over <paramref name="ranges"/> (distinct names).</summary>
    /// <param name="ranges">The hyper-parameters and their ranges.</param>
    /// <param name="seed">Keys every sampled value and every trial's model seed.</param>
    /// <param name="round">The refinement round (0 for a first, coarse search; <see cref="Refine"/> counts up), so refined
    /// searches draw fresh values.</param>
    public RandomSearch(IEnumerable<SearchRange> ranges, ulong seed, int round = 0)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        _ranges = new List<SearchRange>(ranges).ToArray();
        if (_ranges.Length == 0)
        {
            throw new ArgumentException("A random search needs at least one range.", nameof(ranges));
        }

        var names = new HashSet<string>();
        foreach (SearchRange r in _ranges)
        {
            ArgumentNullException.ThrowIfNull(r, nameof(ranges));
            if (!names.Add(r.Name))
            {
                throw new ArgumentException($"Two search ranges are named '{r.Name}'.", nameof(ranges));
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegative(round);
        Seed = seed;
        Round = round;
    }

    /// <summary>The ranges, in the order of <see cref="SearchTrial.Values"/>.</summary>
    public IReadOnlyList<SearchRange> Ranges => _ranges;

    /// <summary>The seed of the sampled values.</summary>
    public ulong Seed { get; }

    /// <summary>The refinement round.</summary>
    public int Round { get; }

    /// <summary>Trials trained at the same time, one model per worker; default 2 (the two cores of a small machine).</summary>
    public int MaxDegreeOfParallelism { get; init; } = 2;

    /// <summary>Whether a larger score is better (validation accuracy, the default) or a smaller one (validation loss).</summary>
    public bool HigherIsBetter { get; init; } = true;

    /// <summary>A best value within this fraction of a range's width from one of its edges (in log space for a log-uniform
    /// range) is reported in <see cref="SearchResult.BoundaryWarnings"/>. Default 0.1.</summary>
    public double BoundaryFraction { get; init; } = 0.1;

    /// <summary>The first <paramref name="count"/> configurations of this search (the ones <see cref="Run"/> trains).</summary>
    public SearchTrial[] Sample(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var trials = new SearchTrial[count];
        for (int i = 0; i < count; i++)
        {
            ulong key = CounterRng.Key(Seed, SearchStream, (ulong)Round, (ulong)i);
            var values = new double[_ranges.Length];
            for (int r = 0; r < _ranges.Length; r++)
            {
                values[r] = _ranges[r].At(CounterRng.UniformDouble(key, (ulong)r));
            }

            trials[i] = new SearchTrial(i, _ranges, values, CounterRng.Bits(key, ulong.MaxValue));
        }

        return trials;
    }

    /// <summary>Samples <paramref name="trials"/> configurations and calls <paramref name="evaluate"/> on each, up to
    /// <see cref="MaxDegreeOfParallelism"/> at a time; <paramref name="evaluate"/> builds and trains a model for the
    /// configuration (seeded with <see cref="SearchTrial.Seed"/>) and returns its validation score, NaN when it diverged.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public SearchResult Run(int trials, Func<SearchTrial, double> evaluate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegreeOfParallelism, 1, nameof(MaxDegreeOfParallelism));
        SearchTrial[] sampled = Sample(trials);
        var scores = new double[trials];
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        try
        {
            Parallel.For(0, trials, options, i => scores[i] = evaluate(sampled[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        var outcomes = new SearchOutcome[trials];
        for (int i = 0; i < trials; i++)
        {
            outcomes[i] = new SearchOutcome(sampled[i], double.IsFinite(scores[i]) ? scores[i] : double.NaN); // ±∞ counts as diverged
        }

        Array.Sort(outcomes, Compare);
        return new SearchResult(_ranges, outcomes, HigherIsBetter, Warnings(outcomes[0]));
    }

    /// <summary>
    /// A narrower search around the <paramref name="top"/> best trials of <paramref name="result"/>: each range becomes the
    /// span of the top values (in its scale) widened by <paramref name="padding"/> of that span on each side (at least 5 % of
    /// the old width), kept inside the old range. Round + 1, same seed, so it samples fresh values. A boundary warning in
    /// <paramref name="result"/> means the best may be outside: extend that range (a new search) rather than refine.
    /// </summary>
    public RandomSearch Refine(SearchResult result, int top = 3, double padding = 0.25)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        var finite = new List<SearchOutcome>();
        foreach (SearchOutcome o in result.Outcomes)
        {
            if (!double.IsNaN(o.Score) && finite.Count < top)
            {
                finite.Add(o);
            }
        }

        if (finite.Count == 0)
        {
            throw new ArgumentException("Every trial diverged (score NaN): there is nothing to refine around. Lower the ranges' upper ends.", nameof(result));
        }

        var refined = new SearchRange[_ranges.Length];
        for (int r = 0; r < _ranges.Length; r++)
        {
            SearchRange range = _ranges[r];
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            foreach (SearchOutcome o in finite)
            {
                double p = range.PositionOf(o.Trial.Values[r]);
                lo = Math.Min(lo, p);
                hi = Math.Max(hi, p);
            }

            double pad = Math.Max(padding * (hi - lo), 0.05);
            lo = Math.Max(0, lo - pad);
            hi = Math.Min(1, hi + pad);
            refined[r] = new SearchRange(range.Name, range.At(lo), range.At(hi), range.Scale);
        }

        return new RandomSearch(refined, Seed, Round + 1)
        {
            MaxDegreeOfParallelism = MaxDegreeOfParallelism,
            HigherIsBetter = HigherIsBetter,
            BoundaryFraction = BoundaryFraction,
        };
    }

    private int Compare(SearchOutcome a, SearchOutcome b)
    {
        bool an = double.IsNaN(a.Score), bn = double.IsNaN(b.Score);
        if (an != bn)
        {
            return an ? 1 : -1;
        }

        int byScore = an ? 0 : HigherIsBetter ? b.Score.CompareTo(a.Score) : a.Score.CompareTo(b.Score);
        return byScore != 0 ? byScore : a.Trial.Index.CompareTo(b.Trial.Index);
    }

    private List<string> Warnings(SearchOutcome best)
    {
        var warnings = new List<string>();
        if (double.IsNaN(best.Score))
        {
            return warnings;
        }

        for (int r = 0; r < _ranges.Length; r++)
        {
            SearchRange range = _ranges[r];
            double value = best.Trial.Values[r];
            double p = range.PositionOf(value);
            string scale = range.Scale == SearchScale.LogUniform ? " (in log space)" : string.Empty;
            if (p < BoundaryFraction || p > 1 - BoundaryFraction)
            {
                bool low = p < BoundaryFraction;
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"the best {range.Name} = {value:G3} lies within {BoundaryFraction:P0}{scale} of the {(low ? "lower" : "upper")} edge {(low ? range.Min : range.Max):G3} of [{range.Min:G3}, {range.Max:G3}]: the optimum may be outside, extend the range {(low ? "downward" : "upward")}"));
            }
        }

        return warnings;
    }
}
