using Bunit;
using CodeRunner.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Ui;

/// <summary>Times are the viewer's: a UTC instant is shown in the browser's zone, and re-rendered when the circuit learns it.</summary>
public sealed class LocalTimeTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly ViewerTimeZone viewer = new();
    private static readonly DateTime Utc = new(2026, 3, 1, 20, 15, 0, DateTimeKind.Unspecified);

    public LocalTimeTests() => context.Services.AddSingleton(viewer);

    [Fact]
    public void The_zone_from_the_cookie_is_used_in_the_first_paint()
    {
        viewer.Initialize("Asia/Shanghai");

        var time = context.Render<LocalTime>(p => p.Add(c => c.Value, Utc)).Find("time");

        Assert.Equal("2026-03-02 04:15", time.TextContent);
        Assert.Equal("2026-03-01T20:15:00Z", time.GetAttribute("datetime"));
    }

    [Fact]
    public void The_zone_reported_by_the_browser_later_re_renders_the_time()
    {
        var rendered = context.Render<LocalTime>(p => p.Add(c => c.Value, Utc).Add(c => c.ShowZone, true));

        viewer.SetFromBrowser("America/New_York");

        rendered.WaitForAssertion(() => Assert.Equal("2026-03-01 15:15 (America/New_York)", rendered.Find("time").TextContent));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("Not/AZone")]
    [InlineData("")]
    public void A_cookie_that_is_not_a_known_zone_leaves_the_server_zone(string cookie)
    {
        viewer.Initialize(cookie);

        Assert.False(viewer.IsFromBrowser);
        Assert.Equal(TimeZoneInfo.Local.Id, viewer.Zone.Id);
    }

    [Fact]
    public void The_text_can_sit_inside_a_sentence()
    {
        viewer.Initialize("Asia/Shanghai");

        var rendered = context.Render<LocalTime>(p => p.Add(c => c.Value, Utc)
            .Add(c => c.ChildContent, (Microsoft.AspNetCore.Components.RenderFragment<string>)(text => b => b.AddContent(0, $"resets at {text}"))));

        Assert.Equal("resets at 2026-03-02 04:15", rendered.Find("time").TextContent);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await context.DisposeAsync();
}
