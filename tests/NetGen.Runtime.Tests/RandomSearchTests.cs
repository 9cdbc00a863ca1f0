namespace NetGen.Runtime.Tests;

public class RandomSearchTests
{
    /// <summary>Kolmogorov–Smirnov statistic of <paramref name="u"/> against U(0, 1).</summary>
    private static double KolmogorovSmirnov(double[] u)
    {
        double[] sorted = (double[])u.Clone();
        Array.Sort(sorted);
        double d = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            d = Math.Max(d, Math.Max(((i + 1.0) / sorted.Length) - sorted[i], sorted[i] - ((double)i / sorted.Length)));
        }

        return d;
    }

    /// <summary>The KS critical value at α = 0.001 for n samples: √(−ln(α/2) / 2) / √n ≈ 1.949 / √n.</summary>
    private static double Critical(int n) => Math.Sqrt(-Math.Log(0.001 / 2) / 2) / Math.Sqrt(n);

    [Fact]
    public void LogUniformSamplesAreUniformInLogSpaceAndNotInLinearSpace()
    {
        const int N = 4000;
        var search = new RandomSearch([SearchRange.LogUniform("lr", 1e-6, 1)], seed: 7);
        double[] values = search.Sample(N).Select(t => t["lr"]).ToArray();
        Assert.All(values, v => Assert.InRange(v, 1e-6, 1));

        // log10(v) ~ U(−6, 0): the KS statistic of (log10 v + 6)/6 against U(0,1) stays below the α = 0.001 critical value.
        double dLog = KolmogorovSmirnov(values.Select(v => (Math.Log10(v) + 6) / 6).ToArray());
        Assert.True(dLog < Critical(N), $"KS D = {dLog:F4} ≥ {Critical(N):F4}: the samples are not log-uniform");

        // The same statistic on the linear values rejects uniformity by far (half the samples are below 1e-3).
        double dLinear = KolmogorovSmirnov(values.Select(v => (v - 1e-6) / (1 - 1e-6)).ToArray());
        Assert.True(dLinear > 10 * Critical(N), $"KS D = {dLinear:F4}: linear-scale uniformity was not rejected");

        // Uniform ranges are uniform on the original scale.
        var uniform = new RandomSearch([SearchRange.Uniform("p", 0.2, 0.8)], seed: 7);
        double dUniform = KolmogorovSmirnov(uniform.Sample(N).Select(t => (t["p"] - 0.2) / 0.6).ToArray());
        Assert.True(dUniform < Critical(N), $"KS D = {dUniform:F4}");
    }

    /// <summary>A deterministic "validation score" peaked at lr = 1e-2 and wd = 1e-4 (in log space), with a busy loop of
    /// uneven length so that workers finish in a different order than they started.</summary>
    private static double Score(SearchTrial t)
    {
        double a = Math.Log10(t["lr"]) + 2, b = Math.Log10(t["wd"]) + 4;
        Thread.SpinWait((int)(t.Seed % 20000));
        return 1 / (1 + (a * a) + (b * b));
    }

    private static RandomSearch Search(int workers, ulong seed = 42) =>
        new([SearchRange.LogUniform("lr", 1e-5, 1), SearchRange.LogUniform("wd", 1e-7, 1e-1)], seed) { MaxDegreeOfParallelism = workers };

    [Fact]
    public void SameSeedGivesTheSameConfigurationsAndTableWithOneOrTwoWorkers()
    {
        SearchResult one = Search(1).Run(24, Score);
        SearchResult two = Search(2).Run(24, Score);
        Assert.Equal(one.ToTable(), two.ToTable());
        Assert.Equal(Search(1).Sample(24).Select(t => t.Seed), Search(2).Sample(24).Select(t => t.Seed));

        // Sorted by score, best first; every trial appears once.
        double[] scores = one.Outcomes.Select(o => o.Score).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        Assert.Equal(Enumerable.Range(0, 24), one.Outcomes.Select(o => o.Trial.Index).Order());
        Assert.Equal(Score(one.Best.Trial), one.Best.Score);

        // Another seed samples other configurations.
        Assert.NotEqual(one.ToTable(), Search(1, seed: 43).Run(24, Score).ToTable());
    }

    [Fact]
    public void DivergedTrialsSortLastAndShowAsDiverged()
    {
        SearchResult result = Search(2).Run(10, t => t["lr"] > 0.01 ? double.NaN : t["lr"]);
        Assert.Contains("diverged", result.ToTable());
        int firstNaN = result.Outcomes.ToList().FindIndex(o => double.IsNaN(o.Score));
        Assert.True(firstNaN > 0);
        Assert.All(result.Outcomes.Skip(firstNaN), o => Assert.True(double.IsNaN(o.Score)));
    }

    [Fact]
    public void BoundaryWarningTriggersOnlyWhenTheBestSitsNearAnEdge()
    {
        // The score grows with lr: the best lr is near the upper edge 1 (top 10 % in log space) and is reported;
        // wd does not matter, so its best value is wherever that trial's wd fell.
        var search = new RandomSearch([SearchRange.LogUniform("lr", 1e-6, 1), SearchRange.Uniform("p", 0, 1)], seed: 3);
        SearchResult increasing = search.Run(40, t => Math.Log10(t["lr"]) - (Math.Abs(t["p"] - 0.5) * 0.01));
        double position = (Math.Log10(increasing.Best.Trial["lr"]) + 6) / 6;
        Assert.True(position > 0.9, $"precondition: best lr at {position:F3} of the log range");
        string warning = Assert.Single(increasing.BoundaryWarnings, w => w.Contains("lr"));
        Assert.Contains("upper edge", warning);
        Assert.Contains("in log space", warning);

        // Peaked in the middle (lr = 1e-3, p = 0.5): no warning.
        SearchResult peaked = search.Run(40, t => -Math.Abs(Math.Log10(t["lr"]) + 3) - Math.Abs(t["p"] - 0.5));
        Assert.Empty(peaked.BoundaryWarnings);

        // The lower edge on a uniform range.
        SearchResult low = search.Run(40, t => -t["p"]);
        Assert.Contains(low.BoundaryWarnings, w => w.Contains("p = ") && w.Contains("lower edge"));
    }

    [Fact]
    public void RefineNarrowsEveryRangeAroundTheBestTrials()
    {
        RandomSearch coarse = Search(2);
        SearchResult result = coarse.Run(40, Score);
        RandomSearch fine = coarse.Refine(result, top: 3);
        Assert.Equal(1, fine.Round);
        for (int r = 0; r < coarse.Ranges.Count; r++)
        {
            SearchRange before = coarse.Ranges[r], after = fine.Ranges[r];
            double widthBefore = Math.Log10(before.Max / before.Min), widthAfter = Math.Log10(after.Max / after.Min);
            Assert.True(widthAfter < 0.6 * widthBefore, $"{after.Name}: width {widthAfter:F2} decades from {widthBefore:F2}");
            Assert.InRange(after.Min, before.Min, before.Max);
            Assert.InRange(after.Max, before.Min, before.Max);
            foreach (SearchOutcome o in result.Outcomes.Take(3))
            {
                Assert.InRange(o.Trial[after.Name], after.Min, after.Max);
            }
        }

        // The refined search samples fresh values, and its best is at least as good as the coarse best on this smooth score.
        SearchResult refined = fine.Run(40, Score);
        Assert.DoesNotContain(refined.Outcomes, o => o.Trial["lr"] == result.Best.Trial["lr"]);
        Assert.True(refined.Best.Score >= result.Best.Score * 0.95, $"{refined.Best.Score} vs {result.Best.Score}");
    }

    [Fact]
    public void InvalidRangesAndDuplicateNamesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SearchRange.LogUniform("lr", 0, 1));
        Assert.Throws<ArgumentException>(() => SearchRange.Uniform("p", 1, 1));
        Assert.Throws<ArgumentException>(() => new RandomSearch([SearchRange.Uniform("p", 0, 1), SearchRange.Uniform("p", 0, 2)], 1));
        var trial = Search(1).Sample(1)[0];
        Assert.Throws<KeyNotFoundException>(() => trial["momentum"]);
    }
}
