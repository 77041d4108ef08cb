using System.Globalization;
using CodeRunner.Core.Common;
using CodeRunner.Web.Accounts;
using CodeRunner.Web.Localization;
using Microsoft.AspNetCore.Components.Authorization;
using CodeRunner.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using CodeRunner.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Services;

namespace CodeRunner.Web.Hosting;

public static class WebServiceCollectionExtensions
{
    public static readonly CultureInfo[] SupportedCultures = [new("zh-CN"), new("en-US")];

    /// <summary>Razor components, MudBlazor, localization, cookie auth, health checks.</summary>
    public static IServiceCollection AddCodeRunnerWeb(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddWebEncoders(options => options.TextEncoderSettings = PageEncoding.Settings);
        services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            options.SnackbarConfiguration.PreventDuplicates = false;
            options.SnackbarConfiguration.VisibleStateDuration = 5000;
        });
        services.AddTransient<MudLocalizer, MudTranslations>();     // MudBlazor's own texts from our resx (zh-CN, en-US)
        services.AddScoped<ThemeState>();
        services.AddSingleton<ThemeMarkup>();
        services.AddSingleton<CodeRunner.Web.Community.PopularTagsCache>();
        services.AddScoped<CodeRunner.Web.Components.Shared.ViewerTimeZone>();
        services.AddLocalization(options => options.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture("zh-CN");
            options.SupportedCultures = SupportedCultures;
            options.SupportedUICultures = SupportedCultures;
            // Only the user's explicit choice (cookie) counts; the browser's language does not override zh-CN.
            options.RequestCultureProviders = [new CookieRequestCultureProvider()];
        });

        services.AddHttpContextAccessor();
        // The audit log's IP and user agent: from the HTTP request, or in a circuit from the request that opened it.
        services.AddScoped(sp =>
        {
            var http = sp.GetRequiredService<IHttpContextAccessor>().HttpContext;
            return new RequestContext
            {
                IpAddress = http?.Connection.RemoteIpAddress?.ToString(),
                UserAgent = http?.Request.Headers.UserAgent.ToString(),
            };
        });
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddScoped<CurrentUser>();
        services.AddScoped<ErrorMessages>();
        services.AddScoped<CodeRunner.Web.Components.Shared.UiFeedback>();
        services.AddScoped<IdentityRedirectManager>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/login";
            options.LogoutPath = "/account/logout";
            options.AccessDeniedPath = "/account/access-denied";
            options.Cookie.Name = "coderunner.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromDays(7);
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, policy => policy.RequireRole(UserRef.AdminRole));

        // One key ring per site: in data/keys for one SQLite node; in the shared PostgreSQL database when several nodes
        // serve the site, so a cookie, an antiforgery token or an encrypted AI key made on one node opens on every other.
        var dataProtection = services.AddDataProtection().SetApplicationName("CodeRunner");
        if (services.RegisteredInstance<DatabaseSelection>().IsShared) dataProtection.PersistKeysToDbContext<CodeRunnerDbContext>();
        else dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(services.RegisteredInstance<DataDirectory>().Root, "keys")));

        services.AddHealthChecks().AddDbContextCheck<CodeRunnerDbContext>("database");
        services.AddAntiforgery();
        return services;
    }

    private static T RegisteredInstance<T>(this IServiceCollection services) =>
        (T)services.First(d => d.ServiceType == typeof(T)).ImplementationInstance!;
}
