using System.Globalization;
using Bunit;
using CodeRunner.Core.Environments;
using CodeRunner.Web.Components.Pages.Environments;
using CodeRunner.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>The environment card's branches: mine / someone else's public one / the base; unfinished; busy.</summary>
public sealed class EnvironmentCardTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public EnvironmentCardTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        var viewer = new ViewerTimeZone();
        viewer.Initialize("Asia/Shanghai");
        context.Services.AddSingleton(viewer);
    }

    private static EnvironmentSummary Env(string name, bool mine = false, bool canEdit = false, bool isBase = false, bool isPublic = false,
        bool active = true, bool busy = false) => new()
    {
        Name = name, DisplayName = name + " 显示名", PythonVersion = "3.11", OwnerUserName = isBase ? "" : "alice", IsMine = mine, CanEdit = canEdit,
        IsBase = isBase, IsPublic = isPublic, IsActive = active, IsBusy = busy, PackageCount = 3, DiskBytes = 5 * 1024 * 1024,
        LastUsedAt = new DateTime(2026, 1, 1, 20, 0, 0),
    };

    private IRenderedComponent<EnvironmentCard> Render(EnvironmentSummary environment, Action? onDelete = null, Action<bool>? onPublic = null) =>
        context.Render<EnvironmentCard>(p => p
            .Add(c => c.Environment, environment)
            .Add(c => c.OnDelete, () => onDelete?.Invoke())
            .Add(c => c.OnPublicChanged, value => onPublic?.Invoke(value)));

    [Fact]
    public void My_idle_environment_can_be_managed_edited_deleted_and_published()
    {
        var deleted = false;
        bool? published = null;
        var card = Render(Env("mine", mine: true, canEdit: true), () => deleted = true, v => published = v);

        Assert.NotNull(card.Find("[data-testid=env-tag-mine]"));
        Assert.Contains("管理包", card.Find("[data-testid=env-open-packages]").TextContent);
        Assert.Equal("environments/mine", card.Find("[data-testid=env-open-packages]").GetAttribute("href"));
        Assert.NotNull(card.Find("[data-testid=env-edit]"));
        Assert.Contains("5.0 MB", card.Markup);
        Assert.Contains("2026-01-02 04:00", card.Markup); // last used, in the viewer's zone

        card.Find("[data-testid=env-delete]").Click();
        card.Find(".env-public-switch input").Change(true);

        Assert.True(deleted);
        Assert.True(published);
    }

    [Fact]
    public void Someone_elses_public_environment_is_read_only()
    {
        var card = Render(Env("shared", isPublic: true));

        Assert.Empty(card.FindAll("[data-testid=env-delete]"));
        Assert.Empty(card.FindAll("[data-testid=env-edit]"));
        Assert.Empty(card.FindAll("[data-testid=env-public-switch]"));
        Assert.Empty(card.FindAll("[data-testid=env-tag-mine]"));
        Assert.Contains("查看包", card.Find("[data-testid=env-open-packages]").TextContent);
        Assert.Contains("公开", card.Markup);
        Assert.Contains("alice", card.Markup);
    }

    [Fact]
    public void The_base_environment_is_the_systems_and_cannot_be_changed_even_by_an_admin()
    {
        var card = Render(Env("base", isBase: true, canEdit: true));

        Assert.NotNull(card.Find("[data-testid=env-tag-system]"));
        Assert.Empty(card.FindAll("[data-testid=env-delete]"));
        Assert.Empty(card.FindAll("[data-testid=env-public-switch]"));
    }

    [Fact]
    public void An_unfinished_environment_is_marked_and_offers_only_viewing_its_packages()
    {
        var card = Render(Env("broken", mine: true, canEdit: true, active: false));

        Assert.NotNull(card.Find("[data-testid=env-tag-unfinished]"));
        Assert.Contains("查看包", card.Find("[data-testid=env-open-packages]").TextContent);
        Assert.False(card.Find("[data-testid=env-delete]").HasAttribute("disabled"));
    }

    [Fact]
    public void A_busy_environment_is_marked_and_cannot_be_deleted_meanwhile()
    {
        var card = Render(Env("busy", mine: true, canEdit: true, busy: true));

        Assert.NotNull(card.Find("[data-testid=env-tag-busy]"));
        Assert.True(card.Find("[data-testid=env-delete]").HasAttribute("disabled"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
