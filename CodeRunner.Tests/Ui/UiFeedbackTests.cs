using System.Globalization;
using Bunit;
using CodeRunner.Core.Common;
using CodeRunner.Web.Components.Shared;
using CodeRunner.Web.Localization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CodeRunner.Tests.Ui;

/// <summary>The shared "run an action, say how it went" helper, against MudBlazor's real snackbar and our real resx.</summary>
public sealed class UiFeedbackTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public UiFeedbackTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
        context.Services.AddScoped<ErrorMessages>();
        context.Services.AddScoped<UiFeedback>();
    }

    private UiFeedback Feedback => context.Services.GetRequiredService<UiFeedback>();
    private ISnackbar Snackbar => context.Services.GetRequiredService<ISnackbar>();

    [Fact]
    public async Task A_refusal_is_translated_and_shown_as_an_error_toast()
    {
        var succeeded = await Feedback.RunAsync(() => throw new ConflictError("account.username_taken", "taken", "alice"), "已保存");

        Assert.False(succeeded);
        var toast = Assert.Single(Snackbar.ShownSnackbars);
        Assert.Equal(Severity.Error, toast.Severity);
        Assert.Equal("用户名“alice”已被占用。", toast.Message);
    }

    [Fact]
    public async Task Success_shows_the_success_message_and_returns_the_value()
    {
        var outcome = await Feedback.RunAsync(() => Task.FromResult(42), "已保存");

        Assert.True(outcome.Succeeded);
        Assert.Equal(42, outcome.Value);
        var toast = Assert.Single(Snackbar.ShownSnackbars);
        Assert.Equal(Severity.Success, toast.Severity);
        Assert.Equal("已保存", toast.Message);
    }

    [Fact]
    public async Task Unexpected_exceptions_are_not_swallowed()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Feedback.RunAsync(() => throw new InvalidOperationException("bug")));
        Assert.Empty(Snackbar.ShownSnackbars);
    }

    [Fact]
    public async Task Inline_variant_returns_the_sentence_in_the_users_language_without_a_toast()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        var message = await Feedback.TryAsync(() => throw new ForbiddenError());

        Assert.Equal("You are not allowed to do this.", message);
        Assert.Null(await Feedback.TryAsync(() => Task.CompletedTask));
        Assert.Empty(Snackbar.ShownSnackbars);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // Async: MudBlazor's services are only IAsyncDisposable.
    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
