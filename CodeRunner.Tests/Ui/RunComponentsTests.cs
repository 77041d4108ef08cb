using System.Globalization;
using Bunit;
using CodeRunner.Core.Tiers;
using CodeRunner.Web.Components.Pages.Run;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>The run pages' small components with branching UI: the status badge and the quota card.</summary>
public sealed class RunComponentsTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public RunComponentsTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
    }

    [Theory]
    [InlineData("success", "成功", "success")]
    [InlineData("error", "错误", "error")]
    [InlineData("failed", "失败", "error")]
    [InlineData("timeout", "超时", "warning")]
    [InlineData("memory_limit", "内存超限", "warning")]
    [InlineData("output_limit", "输出超限", "warning")]
    [InlineData("disk_limit", "磁盘超限", "warning")]
    [InlineData("cancelled", "已停止", "default")]
    [InlineData("running", "运行中", "info")]
    public void Status_badge_shows_the_translated_label_in_the_status_color(string status, string label, string color)
    {
        var badge = context.Render<StatusBadge>(p => p.Add(b => b.Status, status).Add(b => b.Id, "run-status"));
        var chip = badge.Find("#run-status");
        Assert.Equal(label, chip.TextContent.Trim());
        Assert.Contains($"mud-chip-color-{color}", chip.ClassName);
        Assert.Contains($"status-{status}", chip.ClassName);
    }

    [Fact]
    public void Status_badge_shows_its_child_content_instead_of_the_label()
    {
        var badge = context.Render<StatusBadge>(p => p.Add(b => b.Status, "running").AddChildContent("<b>working</b>"));
        Assert.Equal("working", badge.Find(".status-badge b").TextContent);
        Assert.DoesNotContain("运行中", badge.Markup);
    }

    private IRenderedComponent<QuotaCard> Card(int used, int? limit) =>
        context.Render<QuotaCard>(p => p.Add(c => c.Id, "usage-runs").Add(c => c.Title, "今日运行")
            .Add(c => c.Status, new QuotaStatus(QuotaKind.Runs, used, limit, DateTime.UtcNow.Date.AddDays(1))));

    [Fact]
    public void Quota_card_without_a_limit_says_unlimited_and_draws_no_bar()
    {
        var card = Card(used: 37, limit: null);
        var text = card.Find("#usage-runs").TextContent;
        Assert.Contains("37", text);
        Assert.Contains("/ 不限", text);
        Assert.Contains("管理员或当前等级不限次数", text);
        Assert.Empty(card.FindAll(".mud-progress-linear"));
        Assert.Contains("quota-unlimited", card.Find("#usage-runs").ClassName);
    }

    [Fact]
    public void Quota_card_below_the_warning_level_shows_the_remaining_runs_in_the_primary_color()
    {
        var card = Card(used: 3, limit: 10);
        Assert.Contains("今日还剩 7 次", card.Markup);
        Assert.Contains("quota-ok", card.Find("#usage-runs").ClassName);
        Assert.Contains("mud-progress-linear-color-primary", card.Find(".mud-progress-linear").ClassName);
    }

    [Fact]
    public void Quota_card_near_the_limit_turns_amber()
    {
        var card = Card(used: 8, limit: 10);
        Assert.Contains("今日还剩 2 次", card.Markup);
        Assert.Contains("quota-high", card.Find("#usage-runs").ClassName);
        Assert.Contains("mud-progress-linear-color-warning", card.Find(".mud-progress-linear").ClassName);
    }

    [Fact]
    public void Quota_card_with_the_quota_used_up_turns_red_and_never_shows_negative_remaining()
    {
        var card = Card(used: 12, limit: 10);
        var text = card.Find("#usage-runs").TextContent;
        Assert.Contains("12", text);
        Assert.Contains("/ 10", text);
        Assert.Contains("今日还剩 0 次", text);
        Assert.Contains("quota-full", card.Find("#usage-runs").ClassName);
        Assert.Contains("mud-progress-linear-color-error", card.Find(".mud-progress-linear").ClassName);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
