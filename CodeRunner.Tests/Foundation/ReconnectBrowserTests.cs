using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Foundation;

/// <summary>The real server process is stopped under an open page and started again on the same port.</summary>
public sealed class ReconnectBrowserTests : IAsyncLifetime
{
    private readonly TempDirectory data = new("coderunner-reconnect");
    private readonly int port = FreePort();
    private Process? server;
    private IPlaywright? playwright;
    private IBrowser? browser;

    private string BaseUrl => $"http://127.0.0.1:{port}";

    public async Task InitializeAsync()
    {
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserAppFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [Fact]
    public async Task Page_says_the_connection_is_lost_when_the_server_stops_and_recovers_when_it_returns()
    {
        await StartServerAsync();
        var context = await browser!.NewContextAsync(new() { BaseURL = BaseUrl });
        var page = await context.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Page_says_the_connection_is_lost_when_the_server_stops_and_recovers_when_it_returns), async () =>
        {
            await page.GotoAsync("/");
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            var modal = page.Locator("#components-reconnect-modal");
            await Assertions.Expect(modal).ToBeHiddenAsync();

            StopServer();
            await Assertions.Expect(modal).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Assertions.Expect(modal).ToContainTextAsync("与服务器的连接已断开");
            await BrowserAppFixture.ScreenshotAsync(page, "reconnect-lost");

            await StartServerAsync();
            // The new process does not know the old circuit: the page either reconnects, or (retry button of the
            // .NET 10 ReconnectModal, or its "cannot resume" reload button) reloads.
            var reload = page.Locator("#components-reload-button");
            var retry = page.Locator("#components-reconnect-button");
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (await modal.IsVisibleAsync() && DateTime.UtcNow < deadline)
            {
                if (await reload.IsVisibleAsync()) await reload.ClickAsync();
                else if (await retry.IsVisibleAsync()) await retry.ClickAsync();
                await page.WaitForTimeoutAsync(250);
            }
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(modal).ToBeHiddenAsync(new() { Timeout = 15_000 });
        });
    }

    private async Task StartServerAsync()
    {
        var dll = Path.Combine(WebProjectOutput(), "CodeRunner.Web.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["CODERUNNER_DataDirectory"] = data.Path;
        start.Environment["CODERUNNER_Admin__InitialPassword"] = CodeRunnerAppFactory.AdminPassword;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        server = Process.Start(start)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) throw new InvalidOperationException($"server exited with {server.ExitCode}");
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/health")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("server did not become healthy");
    }

    private void StopServer()
    {
        if (server is null || server.HasExited) return;
        server.Kill(entireProcessTree: true);
        server.WaitForExit();
    }

    /// <summary>
    /// SIGTERM, as a service manager stops it: the server unmounts its sandbox path view (bind mounts of the data dir) on the way
    /// out. A killed server leaves them behind, and every later bwrap start on this machine reads the longer mount table.
    /// </summary>
    private async Task StopServerGracefullyAsync()
    {
        if (server is null || server.HasExited) return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await server.WaitForExitAsync(patience.Token); }
        catch (OperationCanceledException) { StopServer(); }
    }

    /// <summary>CodeRunner.Web's own build output, same configuration as this test assembly.</summary>
    private static string WebProjectOutput()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Parent!.Name;     // bin/<Configuration>/net10.0
        return Path.Combine(RepositoryPaths.Root, "CodeRunner.Web", "bin", configuration, testBin.Name);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        await StopServerGracefullyAsync();
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        data.Dispose();
    }
}
