using System.Diagnostics;
using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Bench;

/// <summary>Median wall time of a hello-world run through the sandbox vs a bare interpreter start, and throughput.</summary>
public static class SandboxBenchmark
{
    private const int Iterations = 60;
    private const int Warmup = 5;
    private const string HelloWorld = "print('hello world')";

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Path.Combine(Path.GetTempPath(), "coderunner-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using var runner = new SandboxCodeRunner(new SandboxOptions { RunsDirectory = Path.Combine(root, "runs"), EnvironmentsDirectory = Path.Combine(root, "envs") });
            var python = runner.BaseInterpreter.Path;
            Console.WriteLine($"sandbox mode: {runner.Info.Mode} ({runner.Info.BubblewrapVersion ?? "no bwrap"}), isolated={runner.Info.IsIsolated}, python {python} {runner.Info.PythonVersion}, {Environment.ProcessorCount} cores");
            if (runner.Info.Reason is { } reason) Console.WriteLine($"note: {reason}");

            // The same program both ways: bare is python started directly from .NET with no isolation and no limits.
            var script = Path.Combine(root, "hello.py");
            await File.WriteAllTextAsync(script, HelloWorld);
            var bare = new ProcessCommand(python, ["-u", script]);

            var bareMs = await MedianAsync(async () => await CommandRunner.ExecuteBufferedAsync(bare));
            var sandboxMs = await MedianAsync(async () => await RunOnceAsync(runner, python));
            Console.WriteLine($"bare python start:   median {bareMs,7:F2} ms");
            Console.WriteLine($"sandboxed run:       median {sandboxMs,7:F2} ms");
            Console.WriteLine($"ratio {sandboxMs / bareMs:F2}x, overhead {sandboxMs - bareMs:F2} ms per run (target <= 15 ms)");

            foreach (var concurrency in new[] { 1, 4, 16 })
            {
                var total = concurrency * 8;
                var stopwatch = Stopwatch.StartNew();
                var next = 0;
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    while (Interlocked.Increment(ref next) <= total) await RunOnceAsync(runner, python);
                })));
                Console.WriteLine($"concurrency {concurrency,2}: {total / stopwatch.Elapsed.TotalSeconds,7:F1} runs/s ({total} runs in {stopwatch.ElapsedMilliseconds} ms)");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task RunOnceAsync(SandboxCodeRunner runner, string python)
    {
        await using var session = runner.Start(new RunRequest { Code = HelloWorld, InterpreterPath = python });
        var result = await session.Completion;
        if (result.Status != RunStatus.Success) throw new InvalidOperationException($"benchmark run failed: {result.Status}");
    }

    private static async Task<double> MedianAsync(Func<Task> action)
    {
        for (var i = 0; i < Warmup; i++) await action();
        var samples = new List<double>();
        for (var i = 0; i < Iterations; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await action();
            samples.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
