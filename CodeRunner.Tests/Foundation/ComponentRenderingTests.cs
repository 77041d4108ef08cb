using System.Globalization;
using System.Net;
using CodeRunner.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Tests.Foundation;

/// <summary>Static markup through the framework's HtmlRenderer (bUnit cannot be restored here).</summary>
public class ComponentRenderingTests
{
    private static async Task<string> RenderAsync<TComponent>(string culture, Dictionary<string, object?> parameters) where TComponent : IComponent
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        // No AddBootstrapBlazor here: it would point BootstrapBlazor's process-wide cache at this short-lived
        // provider and break the app hosts other test classes run at the same time.
        await using var provider = services.BuildServiceProvider();
        await using var renderer = new HtmlRenderer(provider, provider.GetRequiredService<ILoggerFactory>());

        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            return await renderer.Dispatcher.InvokeAsync(async () =>
                (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task Coming_soon_card_shows_its_title_and_the_chinese_notice()
    {
        var html = WebUtility.HtmlDecode(await RenderAsync<ComingSoonCard>("zh-CN", new() { ["Title"] = "社区" }));
        Assert.Contains("<h1>社区</h1>", html);
        Assert.Contains("此功能正在开发中", html);
        Assert.Contains("返回首页", html);
    }

    [Fact]
    public async Task Coming_soon_card_follows_the_english_culture()
    {
        var html = WebUtility.HtmlDecode(await RenderAsync<ComingSoonCard>("en-US", new() { ["Title"] = "Community" }));
        Assert.Contains("This feature is being built", html);
        Assert.DoesNotContain("此功能", html);
    }
}
