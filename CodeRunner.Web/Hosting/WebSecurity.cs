using CodeRunner.Core.Execution;
using System.Net;
using System.Threading.RateLimiting;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Library;
using CodeRunner.Web.Accounts;
using CodeRunner.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace CodeRunner.Web.Hosting;

/// <summary>Settings under "ReverseProxy": which proxies may tell the app the client's address and scheme.</summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "ReverseProxy";
    /// <summary>Addresses of trusted proxies, e.g. "127.0.0.1". X-Forwarded-* from anyone else is ignored.</summary>
    public string[] KnownProxies { get; set; } = [];
    /// <summary>Trusted proxy networks in CIDR form, e.g. "10.0.0.0/8".</summary>
    public string[] KnownNetworks { get; set; } = [];
    /// <summary>How many proxies in a row may add an X-Forwarded-For entry.</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool IsConfigured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;
}

/// <summary>Sessions, the temporary-password gate, sign-in throttling, forwarded headers, HSTS and the circuit's message size.</summary>
public static class WebSecurity
{
    /// <summary>Sign-in and register form posts accepted per client IP per minute (Accounts:FormPostsPerMinutePerIp).</summary>
    public const int DefaultAccountFormPostsPerMinute = 20;

    /// <summary>
    /// A circuit message carries the editor's code as JSON: UTF-8 (3 bytes per Chinese character) or \uXXXX escapes
    /// (6 bytes per control character). Eight times the larger of the code and stdin limits (Execution:*) fits the largest program and its stdin.
    /// </summary>
    public static long CircuitMessageLimitBytes(ExecutionOptions execution) => Math.Max(execution.MaxCodeBytes, execution.MaxStdinBytes) * 8L;

    public static IServiceCollection AddCodeRunnerSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, PasswordChangeGate>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.PasswordChange, policy => policy.RequireAuthenticatedUser().AddRequirements(new PasswordChangeRequirement()));
        services.PostConfigure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, ConfigureSessionCookie);

        services.AddOptions<HubOptions>().Configure<IOptions<ExecutionOptions>>((hub, execution) => hub.MaximumReceiveMessageSize = CircuitMessageLimitBytes(execution.Value));

        var proxy = configuration.GetSection(ReverseProxyOptions.Section).Get<ReverseProxyOptions>() ?? new ReverseProxyOptions();
        services.Configure<ReverseProxyOptions>(configuration.GetSection(ReverseProxyOptions.Section));
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // Host is not taken from a header: nginx passes it as Host, and AllowedHosts filters it.
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = proxy.ForwardLimit;
            options.KnownProxies.Clear();     // the defaults trust loopback; only what is configured is trusted
            options.KnownIPNetworks.Clear();
            foreach (var address in proxy.KnownProxies) options.KnownProxies.Add(IPAddress.Parse(address));
            foreach (var network in proxy.KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));

        var formPostsPerMinute = configuration.GetValue("Accounts:FormPostsPerMinutePerIp", DefaultAccountFormPostsPerMinute);
        services.Configure<RateLimiterOptions>(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => IsAccountFormPost(http)
                ? RateLimitPartition.GetFixedWindowLimiter("account-form:" + ClientAddress(http),
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = formPostsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(""));
        });
        // Behind HTTPS every cookie is Secure (the auth cookie already follows the request; antiforgery's default is never).
        services.Configure<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        return services;
    }

    /// <summary>First in the pipeline: the client's real address and scheme from a trusted proxy, then HSTS over HTTPS.</summary>
    public static IApplicationBuilder UseTransportSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.IsConfigured) app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment()) app.UseHsts();   // only sent on HTTPS requests
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                MakeRedirectRelative(context);
                return Task.CompletedTask;
            });
            await next(context);
        });
        return app;
    }

    /// <summary>
    /// Redirects to this site leave without scheme and host (the cookie handler and Blazor's NavigationManager build
    /// absolute ones from the request's Host header), so a forged Host is never echoed back.
    /// </summary>
    private static void MakeRedirectRelative(HttpContext context)
    {
        var location = context.Response.Headers.Location.ToString();
        if (location.Length == 0 || !Uri.TryCreate(location, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https")) return;
        if (string.Equals(target.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase))
            context.Response.Headers.Location = target.PathAndQuery + target.Fragment;
    }

    /// <summary>
    /// Between authentication and authorization: the API key is authenticated first (the result is cached for the
    /// authorization step) so that the rate limiter sees who calls and also limits requests whose key is bad.
    /// </summary>
    public static IApplicationBuilder UseRequestThrottling(this IApplicationBuilder app)
    {
        // Minimal APIs throw on binding failures (so the API can explain them, see ApiRequestProblems); elsewhere
        // (sign-out, the culture form) such a request just gets its status code, as without the option.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException error) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = error.StatusCode;
            }
        });
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1"), api => api.Use(async (context, next) =>
        {
            var result = await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
            if (result.Succeeded) context.User = result.Principal;
            await next(context);
        }));
        app.UseRateLimiter();
        return app;
    }

    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static bool IsAccountFormPost(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
        && (http.Request.Path.StartsWithSegments("/account/login") || http.Request.Path.StartsWithSegments("/account/register"));

    private static void ConfigureSessionCookie(CookieAuthenticationOptions options)
    {
        var events = options.Events ?? new CookieAuthenticationEvents();
        var refreshClaims = events.OnValidatePrincipal;     // Identity's periodic SecurityStampValidator
        events.OnValidatePrincipal = async context =>
        {
            if (!await IsSessionCurrentAsync(context))
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                return;
            }
            await refreshClaims(context);
        };

        // Refused because the password must be changed first: go there rather than to "access denied".
        var redirectToAccessDenied = events.OnRedirectToAccessDenied;
        events.OnRedirectToAccessDenied = context =>
        {
            if (PasswordChangeGate.MustChangePassword(context.HttpContext.User)) context.RedirectUri = AccountEndpoints.MustChangePasswordPath;
            return redirectToAccessDenied(context);
        };
        options.Events = events;
    }

    /// <summary>Each request re-reads the user's security stamp, so sign-out, a password change or deactivation ends every copy of the cookie at once.</summary>
    private static async Task<bool> IsSessionCurrentAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var claims = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var userId = context.Principal?.FindFirst(claims.UserIdClaimType)?.Value;
        var stamp = context.Principal?.FindFirst(claims.SecurityStampClaimType)?.Value;
        return userId is not null
               && await services.GetRequiredService<AccountService>().IsSessionCurrentAsync(userId, stamp, context.HttpContext.RequestAborted);
    }
}
