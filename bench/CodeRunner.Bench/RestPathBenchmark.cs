using System.Diagnostics;
using System.Net.Http.Json;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Execution;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Bench;

/// <summary>
/// Where a POST /api/v1/execute spends its time outside the sandbox: every database command and commit of a call
/// (seen through EF Core's diagnostic events), grouped by what it is for, next to the same program run through the
/// sandbox alone. "after sandbox" is from the final record's first command to the response, i.e. what the caller
/// waits for once the program has exited. Calls run one at a time, so every command seen belongs to that call.
/// </summary>
public static class RestPathBenchmark
{
    private const string HelloWorld = "print('hello world')";
    private const int Warmup = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 60;
        // On disk, not tmpfs: the cost of a commit is its fsync.
        var data = Path.Combine(args.Length > 1 ? args[1] : Path.GetTempPath(), "coderunner-restbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        try
        {
            // The bench calls faster than a client normally would; the per-key rate limit is not what is measured.
            await using var app = new BenchApp(data, new Dictionary<string, string> { ["Api:RateLimitPerMinute"] = "100000" });
            using var client = app.CreateClient();
            var runner = app.Services.GetRequiredService<ICodeRunner>();
            Console.WriteLine($"data {data}; sandbox {runner.Info.Mode}, isolated={runner.Info.IsIsolated}, python {runner.Info.PythonVersion}, {Environment.ProcessorCount} cores");
            client.DefaultRequestHeaders.Authorization = new("Bearer", await app.CreateApiKeyAsync("restbench"));

            // Steady state first (see Samples.WarmUntilCompiledAsync); calls at once reach it sooner than calls one by one.
            var compiled = await Samples.WarmUntilCompiledAsync(() => Samples.ConcurrentlyAsync(async () =>
            {
                using var response = await client.PostAsJsonAsync("/api/v1/execute", new { code = HelloWorld });
                response.EnsureSuccessStatusCode();
            }, 4, 160));
            Console.WriteLine($"warm-up rounds of 160 calls 4 at once, methods JIT-compiled in each: {string.Join(" ", compiled)}");

            // Each sandbox-only run right before its call, so both see the same machine.
            var sandboxMs = new List<double>();
            async Task SandboxOnlyAsync(bool counted)
            {
                var stopwatch = Stopwatch.StartNew();
                await using (var session = runner.Start(new RunRequest { Code = HelloWorld, InterpreterPath = runner.Info.BasePythonPath }))
                    await session.Completion;
                if (counted) sandboxMs.Add(stopwatch.Elapsed.TotalMilliseconds);
                // Let the pool refill, as it would between two callers' requests.
                await Task.Delay(50);
            }

            using var commands = new CommandLog();
            var calls = new List<CallSample>();
            for (var i = 0; i < Warmup + runs; i++)
            {
                await SandboxOnlyAsync(counted: i >= Warmup);
                commands.Clear();
                var stopwatch = Stopwatch.StartNew();
                using var response = await client.PostAsJsonAsync("/api/v1/execute", new { code = HelloWorld });
                await response.Content.ReadAsByteArrayAsync();
                var totalMs = stopwatch.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"call {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                // The api.call audit row is written after the response; give it its moment so it lands in this call's log.
                await Task.Delay(20);
                if (i >= Warmup) calls.Add(new CallSample(totalMs, commands.Snapshot()));
            }

            Console.WriteLine($"runs: {runs} (after {Warmup} warm-up), one at a time");
            Console.WriteLine($"sandbox only (Start → exit)        p50 {Median(sandboxMs),7:F1} ms");
            Console.WriteLine($"POST /api/v1/execute (→ response)   p50 {Median(calls.Select(c => c.TotalMs)),7:F1} ms");
            Console.WriteLine($"REST path adds                      p50 {Median(calls.Select(c => c.TotalMs)) - Median(sandboxMs),7:F1} ms");
            Console.WriteLine($"after sandbox (final record → response) p50 {Median(calls.Select(c => c.AfterSandboxMs)),7:F1} ms");
            Console.WriteLine($"write statements per call: {Median(calls.Select(c => (double)c.Writes)):F0}; commits (explicit transactions) per call: {Median(calls.Select(c => (double)c.Commits)):F0}");
            Console.WriteLine("database time per call by stage (p50 of each stage's summed command + commit time):");
            foreach (var stage in calls.SelectMany(c => c.ByStage.Keys).Distinct().Order())
            {
                var values = calls.Select(c => c.ByStage.GetValueOrDefault(stage)).ToList();
                var count = calls.Select(c => (double)c.CountByStage.GetValueOrDefault(stage)).ToList();
                Console.WriteLine($"  {stage,-34} p50 {Median(values),6:F2} ms  p95 {Samples.Percentile(values, 0.95),6:F2} ms  ({Median(count):F0} statements)");
            }
            Console.WriteLine($"  {"all database work",-34} p50 {Median(calls.Select(c => c.ByStage.Values.Sum())),6:F2} ms");
            var typical = calls.OrderBy(c => c.TotalMs).ElementAt(calls.Count / 2);
            Console.WriteLine($"the median call's timeline (ms from the request; response at {typical.TotalMs:F1}):");
            foreach (var command in typical.Commands)
                Console.WriteLine($"  {command.StartMs,7:F1} +{command.DurationMs,6:F2}  {(command.IsWrite ? "write" : command.IsCommit ? "commit" : "read "),-6} {command.Stage}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record Command(string Stage, bool IsWrite, bool IsCommit, double StartMs, double DurationMs);

    private sealed class CallSample
    {
        public CallSample(double totalMs, IReadOnlyList<Command> commands)
        {
            TotalMs = totalMs;
            Commands = commands;
            Writes = commands.Count(c => c.IsWrite);
            Commits = commands.Count(c => c.IsCommit);
            ByStage = commands.GroupBy(c => c.Stage).ToDictionary(g => g.Key, g => g.Sum(c => c.DurationMs));
            CountByStage = commands.Where(c => !c.IsCommit).GroupBy(c => c.Stage).ToDictionary(g => g.Key, g => g.Count());
            var recordStart = commands.FirstOrDefault(c => c.Stage == "final record (run row update)")?.StartMs;
            AfterSandboxMs = recordStart is { } start ? totalMs - start : double.NaN;
        }

        public double TotalMs { get; }
        public IReadOnlyList<Command> Commands { get; }
        public int Writes { get; }
        public int Commits { get; }
        public double AfterSandboxMs { get; }
        public Dictionary<string, double> ByStage { get; }
        public Dictionary<string, int> CountByStage { get; }
    }

    /// <summary>EF Core's executed commands and commits, with start times relative to <see cref="Clear"/>.</summary>
    private sealed class CommandLog : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly List<IDisposable> subscriptions = [];
        private readonly List<Command> commands = [];
        private readonly IDisposable allListeners;
        private long startedAt = Stopwatch.GetTimestamp();

        public CommandLog() => allListeners = DiagnosticListener.AllListeners.Subscribe(this);

        public void Clear()
        {
            lock (commands)
            {
                commands.Clear();
                startedAt = Stopwatch.GetTimestamp();
            }
        }

        public IReadOnlyList<Command> Snapshot() { lock (commands) return commands.ToList(); }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name) lock (subscriptions) subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            var now = Stopwatch.GetTimestamp();
            Command? command = value.Value switch
            {
                // A reader's statement (e.g. INSERT … RETURNING) commits when the reader is done, so its time runs to the reader's disposal.
                CommandExecutedEventData { Result: System.Data.Common.DbDataReader } => null,
                CommandExecutedEventData executed => Classify(executed.Command.CommandText, executed.Duration),
                DataReaderDisposingEventData reader => Classify(reader.Command.CommandText, reader.Duration),
                TransactionEndEventData committed when value.Key == RelationalEventId.TransactionCommitted.Name =>
                    new Command("commit of an explicit transaction", false, true, 0, committed.Duration.TotalMilliseconds),
                _ => null,
            };
            if (command is null) return;
            lock (commands)
            {
                var startMs = Stopwatch.GetElapsedTime(startedAt, now).TotalMilliseconds - command.DurationMs;
                commands.Add(command with { StartMs = startMs });
            }
        }

        private static Command Classify(string sql, TimeSpan duration)
        {
            var isWrite = sql.Contains("INSERT", StringComparison.OrdinalIgnoreCase) || sql.Contains("UPDATE", StringComparison.OrdinalIgnoreCase)
                          || sql.Contains("DELETE", StringComparison.OrdinalIgnoreCase);
            var stage = sql switch
            {
                _ when sql.Contains("\"ApiKeys\"") && isWrite => "API key last-used bookkeeping",
                _ when sql.Contains("\"ApiKeys\"") || sql.Contains("\"AspNetUserRoles\"") || sql.Contains("\"AspNetUsers\"") => "API key + user lookup",
                _ when sql.Contains("\"DailyUsages\"") => "quota (API calls/day)",
                _ when sql.Contains("\"AuditLogs\"") => "audit rows",
                _ when sql.Contains("INSERT INTO \"CodeExecutions\"") => "run row insert",
                _ when sql.Contains("\"CodeExecutions\"") && sql.Contains("UPDATE") => "final record (run row update)",
                _ when sql.Contains("FROM \"CodeExecutions\"") => "final record (run row update)",
                _ when sql.Contains("\"PythonEnvironments\"") => "environment lookup",
                _ => "other",
            };
            return new Command(stage, isWrite, false, 0, duration.TotalMilliseconds);
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }

        public void Dispose()
        {
            allListeners.Dispose();
            lock (subscriptions) subscriptions.ForEach(s => s.Dispose());
        }
    }

    private static double Median(IEnumerable<double> values) => Samples.Percentile(values, 0.5);
}
