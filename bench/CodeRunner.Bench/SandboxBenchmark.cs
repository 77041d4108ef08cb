using System.Diagnostics;
using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Bench;

/// <summary>Median wall time of a hello-world run through the sandbox vs a bare interpreter start, and throughput.</summary>
public static class SandboxBenchmark
{
    private const int Iterations = 100;
    private const int Warmup = 5;
    private const string HelloWorld = "print('hello world')";

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Path.Combine(Path.GetTempPath(), "coderunner-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // "pool=N": warm pool size for the base environment (default: the product's default; 0 = cold starts only).
            var options = new SandboxOptions { RunsDirectory = Path.Combine(root, "runs"), EnvironmentsDirectory = Path.Combine(root, "envs") };
            if (args.FirstOrDefault(a => a.StartsWith("pool=", StringComparison.Ordinal)) is { } pool) options.WarmPool.Size = int.Parse(pool[5..], System.Globalization.CultureInfo.InvariantCulture);
            await using var runner = await SandboxCodeRunner.StartAsync(options);
            var python = runner.BaseInterpreter.Path;
            Console.WriteLine($"sandbox mode: {runner.Info.Mode} ({runner.Info.BubblewrapVersion ?? "no bwrap"}), isolated={runner.Info.IsIsolated}, python {python} {runner.Info.PythonVersion}, {Environment.ProcessorCount} cores");
            if (runner.Info.Reason is { } reason) Console.WriteLine($"note: {reason}");
            await WaitForPoolAsync(runner, options.WarmPool.Size);
            var idle = runner.WarmPool;
            Console.WriteLine(idle.Enabled
                ? $"warm pool: size {options.WarmPool.Size}, {idle.Ready} ready, idle memory {idle.IdleMemoryBytes / (1024.0 * 1024.0):F1} MB ({idle.IdleMemoryBytes / (1024.0 * 1024.0) / Math.Max(1, idle.Ready):F1} MB each)"
                : "warm pool: off (every run starts cold)");

            // The same program both ways: bare is python started directly from .NET with no isolation and no limits.
            var script = Path.Combine(root, "hello.py");
            await File.WriteAllTextAsync(script, HelloWorld);
            var bare = new ProcessCommand(python, ["-u", script]);

            // Steady state first, as in the REST benches: the process's own run code compiled at tier 1 (see Samples.WarmUntilCompiledAsync).
            var compiled = await Samples.WarmUntilCompiledAsync(async () =>
            {
                for (var i = 0; i < 20; i++) await RunOnceAsync(runner, python);
                await ThroughputAsync(4, () => RunOnceAsync(runner, python));
                await WaitForPoolAsync(runner, options.WarmPool.Size);
            });
            Console.WriteLine($"warm-up rounds (20 runs one at a time + 32 at 4 at once), methods JIT-compiled in each: {string.Join(" ", compiled)}");
            var compiledBefore = Samples.CompiledMethods();
            var before = runner.WarmPool;
            var (bareSamples, sandboxSamples) = await Samples.TimeInterleavedAsync(async () => await CommandRunner.ExecuteBufferedAsync(bare), () => RunOnceAsync(runner, python), Warmup, Iterations);
            var after = runner.WarmPool;
            var (bareMs, sandboxMs) = (Samples.Percentile(bareSamples, 0.5), Samples.Percentile(sandboxSamples, 0.5));
            Console.WriteLine($"bare python start:   median {bareMs,7:F2} ms");
            Console.WriteLine($"sandboxed run:       median {sandboxMs,7:F2} ms (one at a time: {after.WarmRuns - before.WarmRuns} warm, {after.ColdRuns - before.ColdRuns} cold)");
            Console.WriteLine($"ratio {sandboxMs / bareMs:F2}x, overhead {sandboxMs - bareMs:F2} ms per run (target <= 15 ms)");

            foreach (var concurrency in new[] { 1, 4, 16 })
            {
                before = runner.WarmPool;
                var rate = await ThroughputAsync(concurrency, () => RunOnceAsync(runner, python));
                after = runner.WarmPool;
                Console.WriteLine($"concurrency {concurrency,2}: {rate,7:F1} runs/s ({concurrency * 8} runs, {after.WarmRuns - before.WarmRuns} warm, {after.ColdRuns - before.ColdRuns} cold)");
            }
            // Bare rounds on both sides of the product's, so both rates come from the same stretch of time.
            var bareRate = await ThroughputAsync(16, async () => await CommandRunner.ExecuteBufferedAsync(bare));
            before = runner.WarmPool;
            var rate16 = await ThroughputAsync(16, () => RunOnceAsync(runner, python));
            after = runner.WarmPool;
            bareRate = (bareRate + await ThroughputAsync(16, async () => await CommandRunner.ExecuteBufferedAsync(bare))) / 2;
            Console.WriteLine($"concurrency 16 again: {rate16,7:F1} runs/s ({after.WarmRuns - before.WarmRuns} warm, {after.ColdRuns - before.ColdRuns} cold) = {rate16 / bareRate:F2}x bare");
            Console.WriteLine($"bare at 16:     {bareRate,7:F1} spawns/s");
            var status = runner.WarmPool;
            Console.WriteLine($"runs served warm {status.WarmRuns}, cold {status.ColdRuns}; {Samples.SteadyState(compiledBefore)}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs/s of <paramref name="concurrency"/> loops sharing concurrency × 8 runs.</summary>
    private static async Task<double> ThroughputAsync(int concurrency, Func<Task> run)
    {
        var total = concurrency * 8;
        var stopwatch = Stopwatch.StartNew();
        await Samples.ConcurrentlyAsync(run, concurrency, total);
        return total / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task WaitForPoolAsync(SandboxCodeRunner runner, int size)
    {
        for (var waited = 0; runner.WarmPool.Enabled && runner.WarmPool.Ready < size && waited < 30_000; waited += 50) await Task.Delay(50);
    }

    private static async Task RunOnceAsync(SandboxCodeRunner runner, string python)
    {
        await using var session = runner.Start(new RunRequest { Code = HelloWorld, InterpreterPath = python });
        var output = new System.Text.StringBuilder();
        await foreach (var runEvent in session.Events.ReadAllAsync()) if (runEvent is RunOutput text) output.Append(text.Text);
        var result = await session.Completion;
        if (result.Status != RunStatus.Success || output.ToString() != "hello world\n")
            throw new InvalidOperationException($"benchmark run failed: {result.Status}, output '{output}'");
    }
}
