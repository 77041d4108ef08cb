using System.Diagnostics;
using System.Net;
using CodeRunner.Core.Accounts;
using CodeRunner.Sandbox.Execution;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Bench;

/// <summary>
/// Click on Run → first output line visible in Chromium, and → finished (status shown), next to the same program
/// started directly through the sandbox (Start → first output event, → completion). The difference is what the
/// web path adds: SignalR round trips, quota and database writes, the render batching.
/// </summary>
public static class WebBenchmark
{
    private const int Iterations = 12;
    private const int Warmup = 3;

    private static string Program(string token) => $"import time\nprint('{token}', flush=True)\ntime.sleep(0.3)\nprint('done')\n";

    public static async Task<int> RunAsync(string[] args)
    {
        var data = Path.Combine(Path.GetTempPath(), "coderunner-webbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        try
        {
            await using var app = new BenchApp(data);
            app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            app.StartServer();
            var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var runner = app.Services.GetRequiredService<ICodeRunner>();
            Console.WriteLine($"app on {baseUrl}; sandbox {runner.Info.Mode}, isolated={runner.Info.IsIsolated}, python {runner.Info.PythonVersion}, {Environment.ProcessorCount} cores");

            var userName = (await app.CreateUserAsync("bench")).UserName!;
            var sandbox = await MeasureSandboxAsync(runner);
            var web = await MeasureBrowserAsync(baseUrl, userName);

            Report("sandbox only (Start → first output / → exit)", sandbox);
            Report("web path (click Run → first line visible / → status shown)", web);
            var firstAdded = Median(web.Select(w => w.FirstMs)) - Median(sandbox.Select(s => s.FirstMs));
            var doneAdded = Median(web.Select(w => w.DoneMs)) - Median(sandbox.Select(s => s.DoneMs));
            Console.WriteLine($"added by the web path: first line {firstAdded,7:F1} ms (target <= 100 ms), completion {doneAdded,7:F1} ms");
            return 0;
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record Sample(double FirstMs, double DoneMs);

    private static async Task<List<Sample>> MeasureSandboxAsync(ICodeRunner runner)
    {
        var samples = new List<Sample>();
        for (var i = 0; i < Warmup + Iterations; i++)
        {
            var token = $"first-s{i}";
            var stopwatch = Stopwatch.StartNew();
            double first = -1;
            await using (var session = runner.Start(new RunRequest { Code = Program(token), InterpreterPath = runner.Info.BasePythonPath }))
            {
                await foreach (var runEvent in session.Events.ReadAllAsync())
                    if (first < 0 && runEvent is RunOutput output && output.Text.Contains(token)) first = stopwatch.Elapsed.TotalMilliseconds;
                await session.Completion;
            }
            if (i >= Warmup) samples.Add(new Sample(first, stopwatch.Elapsed.TotalMilliseconds));
        }
        return samples;
    }

    private static async Task<List<Sample>> MeasureBrowserAsync(string baseUrl, string userName)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = baseUrl, Locale = "zh-CN", ViewportSize = new() { Width = 1360, Height = 860 } });
        await page.GotoAsync("/account/login?returnUrl=%2Frun");
        await page.Locator("#login-name").FillAsync(userName);
        await page.Locator("#login-password").FillAsync(BenchApp.UserPassword);
        await page.Locator("button[type=submit]").ClickAsync();
        await page.Locator("#run-start:not([disabled])").WaitForAsync(new() { Timeout = 30_000 });

        var samples = new List<Sample>();
        for (var i = 0; i < Warmup + Iterations; i++)
        {
            var token = $"first-w{i}";
            await page.EvaluateAsync("code => monaco.editor.getEditors()[0].setValue(code)", Program(token));
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            // Timed inside the page: click, then watch the DOM for the token and for the status badge.
            var times = await page.EvaluateAsync<double[]>("""
                token => new Promise(resolve => {
                    const out = document.getElementById('run-output');
                    let first = null;
                    const start = performance.now();
                    const observer = new MutationObserver(() => {
                        const now = performance.now();
                        if (first === null && out.textContent.includes(token)) first = now - start;
                        if (first !== null && document.getElementById('run-status')) { observer.disconnect(); resolve([first, now - start]); }
                    });
                    observer.observe(document.querySelector('.run-page'), { childList: true, subtree: true, characterData: true });
                    document.getElementById('run-start').click();
                })
                """, token);
            if (i >= Warmup) samples.Add(new Sample(times[0], times[1]));
        }
        await page.Locator("#run-status").ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "coderunner-webbench-status.png") });
        return samples;
    }

    private static void Report(string label, List<Sample> samples) =>
        Console.WriteLine($"{label,-62} median first {Median(samples.Select(s => s.FirstMs)),7:F1} ms, done {Median(samples.Select(s => s.DoneMs)),7:F1} ms  (n={samples.Count})");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
