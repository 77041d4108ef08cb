using System.Net;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CodeRunner.Tests.Foundation;

/// <summary>Serilog.AspNetCore request logging writes one line per request, with the user, to the data/logs file.</summary>
public class RequestLoggingTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    [Fact]
    public async Task A_signed_in_request_is_logged_with_method_path_status_and_user()
    {
        var user = await app.CreateUserAsync();
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        var marker = "/no-such-page-" + Guid.NewGuid().ToString("N")[..8];
        var response = await client.GetAsync(marker);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        var line = await WaitForLogLineAsync(marker);
        Assert.Contains($"HTTP GET {marker} responded 404 in", line);
        Assert.Contains($"for {user.UserName}", line);
    }

    [Fact]
    public async Task Static_assets_are_not_logged_at_information()
    {
        var marker = "/css/app.css?probe=" + Guid.NewGuid().ToString("N")[..8];
        await app.CreateClient().GetAsync(marker);
        // A page request after it: once its line is in the file, the asset's would be too.
        var page = "/no-such-page-" + Guid.NewGuid().ToString("N")[..8];
        await app.CreateClient().GetAsync(page);
        await WaitForLogLineAsync(page);
        Assert.DoesNotContain(ReadLogs(), l => l.Contains("/css/app.css"));
    }

    private async Task<string> WaitForLogLineAsync(string marker)
    {
        for (var i = 0; i < 100; i++)
        {
            var line = ReadLogs().FirstOrDefault(l => l.Contains(marker));
            if (line is not null) return line;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"no log line for {marker}");
    }

    private string[] ReadLogs()
    {
        var folder = Path.Combine(app.DataDirectory, "logs");
        if (!Directory.Exists(folder)) return [];
        return Directory.GetFiles(folder, "coderunner-*.log").SelectMany(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n');
        }).ToArray();
    }
}
