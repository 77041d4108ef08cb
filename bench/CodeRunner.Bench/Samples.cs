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

    /// <summary>
    /// Times <paramref name="first"/> and <paramref name="second"/> in alternating blocks of <paramref name="block"/> (the
    /// order swapped every pair of blocks), so both see the same machine: this host's speed drifts by tens of percent
    /// within a minute, which biased a ratio taken from two back-to-back series. Within a block the same action runs back
    /// to back, as in a series of its own (a warm pool gets no more time to refill than it would there).
    /// The wall times in ms of each, sorted.
    /// </summary>
    public static async Task<(List<double> First, List<double> Second)> TimeInterleavedAsync(Func<Task> first, Func<Task> second, int warmup, int iterations, int block = 10)
    {
        for (var i = 0; i < warmup; i++)
        {
            await first();
            await second();
        }
        var (a, b) = (new List<double>(), new List<double>());
        for (var round = 0; a.Count < iterations || b.Count < iterations; round++)
        {
            foreach (var (action, samples) in round % 2 == 0 ? [(first, a), (second, b)] : new[] { (second, b), (first, a) })
            {
                samples.AddRange(await TimeAsync(action, warmup: 0, Math.Min(block, iterations - samples.Count)));
            }
        }
        a.Sort();
        b.Sort();
        return (a, b);
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="total"/> times, <paramref name="concurrency"/> at once.</summary>
    public static Task ConcurrentlyAsync(Func<Task> action, int concurrency, int total)
    {
        var next = 0;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= total) await action();
        })));
    }

    /// <summary>
    /// Repeats <paramref name="round"/> until .NET stops compiling new code for it: a server that has been up a while runs
    /// its hot paths at tier 1, while a fresh process spends its first minutes re-compiling them (tier 0 → instrumented →
    /// tier 1) on the same cores. Done when a round compiles fewer than <paramref name="quietMethods"/> methods, or after
    /// <paramref name="maxRounds"/>. Returns the methods each round compiled, to print.
    /// </summary>
    public static async Task<IReadOnlyList<long>> WarmUntilCompiledAsync(Func<Task> round, int maxRounds = 12, long quietMethods = 25)
    {
        var compiled = new List<long>();
        for (var i = 0; i < maxRounds; i++)
        {
            var before = CompiledMethods();
            await round();
            // Tier-1 compiles run on a background thread after a call-counting delay: let them land before counting.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            compiled.Add(CompiledMethods() - before);
            if (compiled[^1] < quietMethods) break;
        }
        return compiled;
    }

    /// <summary>Methods the JIT has compiled so far in this process: taken before a timed part, for <see cref="SteadyState"/>.</summary>
    public static long CompiledMethods() => System.Runtime.JitInfo.GetCompiledMethodCount();

    /// <summary>What shows whether a timed part ran at steady state: methods compiled since <paramref name="compiledBefore"/> (near zero when it did) and the machine's load.</summary>
    public static string SteadyState(long compiledBefore) =>
        $"methods JIT-compiled while measuring: {CompiledMethods() - compiledBefore}; load average: {LoadAverage()}";

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The value at rank floor(p·n) of <paramref name="values"/> (NaN left out), capped at the largest; NaN when there are none.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(p * sorted.Length))];
    }
}
