using System.Globalization;
using Bunit;
using CodeRunner.Web.Localization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>MudBlazor's own texts come from our resx: Chinese by default, English when chosen.</summary>
public sealed class MudTranslationsTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public MudTranslationsTests()
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        context.Services.AddTransient<MudLocalizer, MudTranslations>();
    }

    private sealed record Row(string Name);

    private IRenderedComponent<MudDataGrid<Row>> RenderGridWithPager() =>
        context.Render<MudDataGrid<Row>>(grid => grid
            .Add(g => g.Items, Enumerable.Range(1, 30).Select(i => new Row($"r{i}")).ToList())
            .Add(g => g.Columns, (RenderFragment)(b =>
            {
                b.OpenComponent<PropertyColumn<Row, string>>(0);
                b.AddAttribute(1, nameof(PropertyColumn<Row, string>.Property), (System.Linq.Expressions.Expression<Func<Row, string>>)(r => r.Name));
                b.CloseComponent();
            }))
            .Add(g => g.PagerContent, (RenderFragment)(b =>
            {
                b.OpenComponent<MudDataGridPager<Row>>(0);
                b.CloseComponent();
            })));

    [Fact]
    public void Data_grid_pager_speaks_chinese_by_default()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        var markup = RenderGridWithPager().Markup;
        Assert.Contains("每页行数：", markup);
        Assert.Contains("第 1-10 条，共 30 条", markup);
        Assert.DoesNotContain("Rows per page", markup);
    }

    [Fact]
    public void Data_grid_pager_speaks_english_when_chosen()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        var markup = RenderGridWithPager().Markup;
        Assert.Contains("Rows per page:", markup);
        Assert.Contains("1-10 of 30", markup);
    }

    [Fact]
    public void Every_key_has_an_english_text_so_english_never_falls_back_to_chinese()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        var localizer = context.Services.GetRequiredService<MudLocalizer>();
        Assert.Equal("Select all", localizer["MudSelect_SelectAll"].Value);
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        Assert.Equal("全选", localizer["MudSelect_SelectAll"].Value);
        Assert.True(localizer["NoSuchMudKey"].ResourceNotFound);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // Async: MudBlazor's services are only IAsyncDisposable.
    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
