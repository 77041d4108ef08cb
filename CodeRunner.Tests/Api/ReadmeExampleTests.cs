using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Api;

/// <summary>The curl and Python `requests` examples in README.md, run as written against a real Kestrel port.</summary>
public sealed partial class ReadmeExampleTests : IAsyncLifetime
{
    private readonly CodeRunnerAppFactory app = new();
    private string baseUrl = "";
    private string secret = "";

    public async Task InitializeAsync()
    {
        app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var user = await app.CreateUserAsync();
        secret = await app.WithScopeAsync(async sp =>
            (await sp.GetRequiredService<ApiKeyService>().CreateAsync(CodeRunnerAppFactory.RefOf(user), "readme")).Secret);
    }

    [Fact]
    public async Task Curl_example_runs_code_with_stdin()
    {
        var block = CodeBlocks("bash").First(b => b.Contains("/api/v1/execute"));
        var output = await RunAsync("bash", ["-c", block]);
        Assert.Contains("\"stdout\":\"hello world\\n\"", output);
        Assert.Contains("\"status\":\"success\"", output);
    }

    [Fact]
    public async Task Curl_examples_list_snippets()
    {
        var block = CodeBlocks("bash").First(b => b.Contains("/api/v1/codes"));
        var firstLine = block.Split('\n')[0];
        var output = await RunAsync("bash", ["-c", firstLine]);
        Assert.Contains("\"items\":", output);
    }

    [Fact]
    public async Task Python_requests_example_runs_code()
    {
        var script = CodeBlocks("python").Single(b => b.Contains("import requests"));
        var output = await RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.StartsWith("success 45", output.Trim());
    }

    /// <summary>Fenced blocks of a language in README.md, with the documented local address swapped for the test server.</summary>
    private IEnumerable<string> CodeBlocks(string language)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        return FencedBlock().Matches(readme)
            .Where(m => m.Groups[1].Value == language)
            .Select(m => m.Groups[2].Value.Replace("http://localhost:5080", baseUrl.TrimEnd('/')));
    }

    private async Task<string> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["CODERUNNER_KEY"] = secret;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"{program} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [GeneratedRegex("```(\\w+)\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    public async Task DisposeAsync() => await app.DisposeAsync();
}
