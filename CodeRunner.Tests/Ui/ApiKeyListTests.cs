using System.Globalization;
using Bunit;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Web.Components.Pages.ApiKeys;
using CodeRunner.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>The API key table: an active, a disabled and an expired key each show their own state; the row actions report the key.</summary>
public sealed class ApiKeyListTests : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 6, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    private static readonly ApiKeyView Active = new(1, "ci", "sk-abc", Now.AddDays(-3), Now.AddHours(-1), 42, Now.AddDays(30), true);
    private static readonly ApiKeyView Disabled = new(2, "old laptop", "sk-def", Now.AddDays(-10), null, 0, null, false);
    private static readonly ApiKeyView Expired = new(3, "trial", "sk-ghi", Now.AddDays(-40), Now.AddDays(-35), 7, Now.AddDays(-1), true);

    public ApiKeyListTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        var viewer = new ViewerTimeZone();
        viewer.Initialize("Asia/Shanghai");
        context.Services.AddSingleton(viewer);
    }

    private IRenderedComponent<ApiKeyList> Render(IReadOnlyList<ApiKeyView> keys, Action<ApiKeyView, bool>? onSetEnabled = null, Action<ApiKeyView>? onDelete = null) =>
        context.Render<ApiKeyList>(p => p
            .Add(c => c.Keys, keys)
            .Add(c => c.Now, Now)
            .Add(c => c.OnSetEnabled, change => onSetEnabled?.Invoke(change.Key, change.Enabled))
            .Add(c => c.OnDelete, key => onDelete?.Invoke(key)));

    [Fact]
    public void Each_row_shows_whether_its_key_is_enabled_disabled_or_expired()
    {
        var list = Render([Active, Disabled, Expired]);

        var active = list.Find("tr[data-key-name='ci']");
        Assert.Equal("enabled", active.GetAttribute("data-state"));
        Assert.Equal("已启用", active.QuerySelector(".key-state")!.TextContent.Trim());
        Assert.Null(active.QuerySelector(".key-expired"));
        Assert.Contains("2026-07-01 20:00", active.TextContent); // expiry in the viewer's zone (UTC+8)

        var disabled = list.Find("tr[data-key-name='old laptop']");
        Assert.Equal("disabled", disabled.GetAttribute("data-state"));
        Assert.Equal("已停用", disabled.QuerySelector(".key-state")!.TextContent.Trim());
        Assert.Contains("从未", disabled.TextContent);
        Assert.Contains("永不过期", disabled.TextContent);

        var expired = list.Find("tr[data-key-name='trial']");
        Assert.Equal("expired", expired.GetAttribute("data-state"));
        Assert.Contains("已过期", expired.QuerySelector(".key-expired")!.TextContent);
    }

    [Fact]
    public void No_keys_shows_the_empty_note_instead_of_a_table()
    {
        var list = Render([]);

        Assert.NotNull(list.Find("#no-keys"));
        Assert.Empty(list.FindAll("tr"));
    }

    [Fact]
    public void The_switch_and_delete_button_report_their_own_row()
    {
        (ApiKeyView Key, bool Enabled)? toggled = null;
        ApiKeyView? deleted = null;
        var list = Render([Active, Disabled], (k, on) => toggled = (k, on), k => deleted = k);

        list.Find("tr[data-key-name='old laptop'] .key-enabled input").Change(true);
        list.Find("tr[data-key-name='ci'] .delete-key").Click();

        Assert.Equal((Disabled, true), toggled);
        Assert.Equal(Active, deleted);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
