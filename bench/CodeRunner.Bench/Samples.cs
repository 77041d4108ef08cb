using System.Diagnostics;

namespace CodeRunner.Bench;

/// <summary>Timing helpers the benchmarks share: one way to take timed samples, one percentile definition.</summary>
internal static class Samples
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="iterations"/> times timed; the wall times in ms, sorted.</summary>
    public static async Task<List<double>> TimeAsync(Func<Task> action, int warmup, int iterations)
    {
        for (var i = 0; i < warmup; i++) await action();
        var samples = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await action();
            samples.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples;
    }

    /// <summary>The value at rank floor(p·n) of <paramref name="values"/> (NaN left out), capped at the largest; NaN when there are none.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(p * sorted.Length))];
    }
}
