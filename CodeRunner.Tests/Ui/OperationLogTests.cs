using System.Globalization;
using Bunit;
using CodeRunner.Core.Environments;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Web.Components.Pages.Environments;
using CodeRunner.Web.Localization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>The install log: tool output as it came, the install proxy's refusals in the reader's language.</summary>
public sealed class OperationLogTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public OperationLogTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        context.Services.AddSingleton<ErrorMessages>();
    }

    [Fact]
    public async Task A_refused_destination_is_shown_in_chinese_next_to_the_tools_own_output()
    {
        var log = context.Render<OperationLog>();
        var refused = EnvironmentLogLine.NetworkRefused(new InstallNetworkRefusal("evil.example:443", InstallNetworkRefusalReason.NotAllowed));

        await log.InvokeAsync(() => log.Instance.RunAsync("安装", _ => Lines(new EnvironmentLogLine("Collecting requests").ToCore(), refused.ToCore()), "完成"));

        var lines = log.FindAll(".log-line").Select(l => l.TextContent).ToList();
        Assert.Contains("Collecting requests", lines);
        var notice = Assert.Single(lines, l => l.Contains("evil.example:443"));
        Assert.Contains("已拒绝连接 evil.example:443", notice);
        Assert.Contains("network refused", refused.Text);
    }

    private static async IAsyncEnumerable<OperationLogLine> Lines(params OperationLogLine[] lines)
    {
        foreach (var line in lines)
        {
            await Task.Yield();
            yield return line;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
