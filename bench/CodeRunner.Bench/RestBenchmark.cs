using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Common;
using CodeRunner.Core.Execution;
using CodeRunner.Sandbox.Execution;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Bench;

/// <summary>
/// POST /api/v1/execute (hello world) through the real app on a real Kestrel port with a real API key, next to a
/// bare <c>python3 -c</c> start measured in the same run: p50/p95 one at a time, and runs/s with 16 requests at
/// once vs bare spawns/s with 16 at once. Sandbox:WarmPool:* and any other setting can be given as key=value
/// arguments (e.g. <c>Sandbox:WarmPool:Size=0</c>).
/// </summary>
public static class RestBenchmark
{
    private const int Iterations = 60;
    private const int Warmup = 30;
    private const int Concurrency = 16;
    private const int RunsPerWorker = 8;
    private const string HelloWorld = "print('hello world')";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Path.Combine(Path.GetTempPath(), "coderunner-restbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        try
        {
            var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            // The bench user (level 4: no daily quota) may have 16 API runs at once, and the machine 16 sandboxes; arguments override.
            var appSettings = new Dictionary<string, string>
            {
                ["Execution:MaxConcurrentRuns"] = Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Api:RateLimitPerMinute"] = "1000000",
            };
            foreach (var (key, value) in settings) appSettings[key] = value;
            // An array setting would be appended to the defaults, not replace them.
            await using var app = new BenchApp(data, appSettings,
                services => services.PostConfigure<ExecutionOptions>(o => o.ParallelApiRunsByLevel = [.. o.ParallelApiRunsByLevel.Select(_ => Concurrency)]));
            app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            app.StartServer();
            var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var runner = app.Services.GetRequiredService<ICodeRunner>();
            var python = runner.Info.BasePythonPath;
            Console.WriteLine($"app on {baseUrl}; sandbox {runner.Info.Mode}, isolated={runner.Info.IsIsolated}, python {python} {runner.Info.PythonVersion}, {Environment.ProcessorCount} cores");
            foreach (var (key, value) in settings) Console.WriteLine($"setting {key}={value}");

            using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.CreateApiKeyAsync("restbench"));

            // Steady state first: what a server that has been up a while runs (see Samples.WarmUntilCompiledAsync).
            var compiled = await Samples.WarmUntilCompiledAsync(async () =>
            {
                for (var i = 0; i < Warmup; i++) await ExecuteAsync(http);
                await ThroughputAsync(() => ExecuteAsync(http));
            });
            Console.WriteLine($"warm-up rounds ({Warmup} calls one at a time + {Concurrency * RunsPerWorker} at {Concurrency} at once), methods JIT-compiled in each: {string.Join(" ", compiled)}");
            var compiledBefore = Samples.CompiledMethods();
            var (bare, rest) = await Samples.TimeInterleavedAsync(() => BarePythonAsync(python), () => ExecuteAsync(http), Warmup, Iterations);
            Console.WriteLine($"bare python3 -c start:   p50 {Samples.Percentile(bare, 0.50),7:F2} ms  p95 {Samples.Percentile(bare, 0.95),7:F2} ms  (n={bare.Count})");
            Console.WriteLine($"REST hello world:        p50 {Samples.Percentile(rest, 0.50),7:F2} ms  p95 {Samples.Percentile(rest, 0.95),7:F2} ms  (n={rest.Count})");
            Console.WriteLine($"REST p50 / bare p50:     {Samples.Percentile(rest, 0.50) / Samples.Percentile(bare, 0.50),7:F2}x  (target <= 1.0x)");

            // Alternating rounds, as the one-at-a-time samples above: both rates taken over the same stretch of time.
            await ThroughputAsync(() => BarePythonAsync(python));
            var (bareRate, bareCpu) = await ThroughputAsync(() => BarePythonAsync(python));
            var (restRate, restCpu) = await ThroughputAsync(() => ExecuteAsync(http));
            var (bareRate2, _) = await ThroughputAsync(() => BarePythonAsync(python));
            var (restRate2, _) = await ThroughputAsync(() => ExecuteAsync(http));
            (bareRate, restRate) = ((bareRate + bareRate2) / 2, (restRate + restRate2) / 2);
            Console.WriteLine($"bare spawns/s at {Concurrency}:     {bareRate,7:F1}   CPU per spawn: {bareCpu}");
            Console.WriteLine($"REST runs/s at {Concurrency}:       {restRate,7:F1}   CPU per run:   {restCpu}");
            Console.WriteLine($"REST / bare at {Concurrency}:       {restRate / bareRate,7:F2}x  (target >= 0.8x)");
            var pool = runner.WarmPool;
            Console.WriteLine(pool.Enabled
                ? $"warm pool: {pool.WarmRuns} runs warm, {pool.ColdRuns} cold; {pool.Ready} ready, idle memory {pool.IdleMemoryBytes / (1024.0 * 1024.0):F1} MB"
                : "warm pool: off");
            Console.WriteLine(Samples.SteadyState(compiledBefore));
            return 0;
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>python3 -c started with System.Diagnostics.Process, independent of the product's process code.</summary>
    private static async Task BarePythonAsync(string python)
    {
        using var process = Process.Start(new ProcessStartInfo(python, ["-c", HelloWorld]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !output.Contains("hello world", StringComparison.Ordinal)) throw new InvalidOperationException("bare python failed");
    }

    private static async Task ExecuteAsync(HttpClient http)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/execute", new { code = HelloWorld });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || !body.Contains("hello world", StringComparison.Ordinal) || !body.Contains("\"success\"", StringComparison.Ordinal))
            throw new InvalidOperationException($"REST run failed: {(int)response.StatusCode} {body}");
    }

    /// <summary>Runs per second with <see cref="Concurrency"/> at once, and the CPU each took: this process (app and client) and its children (sandboxes, interpreters).</summary>
    private static async Task<(double Rate, CpuPerRun Cpu)> ThroughputAsync(Func<Task> action)
    {
        var total = Concurrency * RunsPerWorker;
        var before = CpuTimes.Read();
        var stopwatch = Stopwatch.StartNew();
        await Samples.ConcurrentlyAsync(action, Concurrency, total);
        var rate = total / stopwatch.Elapsed.TotalSeconds;
        var after = CpuTimes.Read();
        return (rate, new CpuPerRun((after.OwnMs - before.OwnMs) / total, (after.ChildrenMs - before.ChildrenMs) / total));
    }

    private sealed record CpuPerRun(double AppMs, double ChildrenMs)
    {
        // The sandbox's own processes are reaped inside its pid namespace (bwrap's outer process exits without waiting
        // for its init), so for runs "child processes" is bwrap's outer part only: the interpreter's CPU is not in it.
        public override string ToString() => $"{AppMs + ChildrenMs,6:F1} ms (this process {AppMs:F1}, reaped child processes {ChildrenMs:F1})";
    }

    /// <summary>/proc/self/stat: CPU of this process (every thread) and of its reaped children and their descendants.</summary>
    private sealed record CpuTimes(double OwnMs, double ChildrenMs)
    {
        private const double TickMs = 10; // USER_HZ is 100 on Linux

        public static CpuTimes Read()
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double Ticks(int field) => double.Parse(fields[field - 3], System.Globalization.CultureInfo.InvariantCulture);
            return new CpuTimes((Ticks(14) + Ticks(15)) * TickMs, (Ticks(16) + Ticks(17)) * TickMs);
        }
    }
}
