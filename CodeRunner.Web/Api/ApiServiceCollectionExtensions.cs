using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using CodeRunner.Web.Localization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace CodeRunner.Web.Api;

public static class ApiServiceCollectionExtensions
{
    public const string Policy = "api";
    public const string RateLimitPolicy = "api-key";

    /// <summary>API-key authentication, per-key rate limit, snake_case JSON, problem details and the OpenAPI document.</summary>
    public static IServiceCollection AddCodeRunnerApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ApiOptions>(configuration.GetSection(ApiOptions.Section));
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());

        services.AddSingleton<ApiAuthFailureLog>();
        // Binding failures (bad JSON, wrong types, page=abc, wrong content type) throw, so ApiRequestProblems can
        // answer them with problem details and a stable code instead of an empty 400/415.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        var perMinute = configuration.GetValue(ApiOptions.Section + ":" + nameof(ApiOptions.RateLimitPerMinute), new ApiOptions().RateLimitPerMinute);
        services.AddRateLimiter(options =>
        {
            // A valid key is limited per key; anything else (no key, a bad key) per client address, so that
            // failed authentications are limited too (the limiter runs after the key is checked, see WebSecurity).
            options.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                ApiPrincipal.KeyId(context) is { } keyId ? "key:" + keyId : "ip:" + Hosting.WebSecurity.ClientAddress(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var messages = http.RequestServices.GetRequiredService<ErrorMessages>();
                if (!http.Request.Path.StartsWithSegments("/api"))
                {
                    // The sign-in / register forms (WebSecurity's per-IP limit): a plain sentence in the user's language.
                    http.Response.ContentType = "text/plain; charset=utf-8";
                    await http.Response.WriteAsync(messages["account.too_many_requests"], cancellationToken);
                    return;
                }
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests,
                    detail: string.Format(CultureInfo.CurrentCulture, messages["api.rate_limited"], perMinute),
                    extensions: new Dictionary<string, object?> { ["code"] = "api.rate_limited", ["limit_per_minute"] = perMinute })
                    .ExecuteAsync(http);
            };
        });

        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        });
        services.AddProblemDetails();
        services.AddOpenApi(options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, context, cancellationToken) =>
            {
                document.Info.Title = "CodeRunner API";
                document.Info.Description = "Run Python code and read saved snippets. Create a key on the API keys page and send it as `Authorization: Bearer sk-…` (or `X-API-Key`).";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "API key sk-…" },
                    ["apiKey"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = ApiKeyAuthenticationHandler.HeaderName },
                };
                document.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] },
                ];
                return Task.CompletedTask;
            });
        });

        // API clients choose their language with Accept-Language; pages keep the cookie-only rule.
        services.PostConfigure<RequestLocalizationOptions>(options =>
            options.RequestCultureProviders.Insert(0, new CustomRequestCultureProvider(context =>
            {
                if (!context.Request.Path.StartsWithSegments("/api")) return Task.FromResult<ProviderCultureResult?>(null);
                var language = context.Request.Headers.AcceptLanguage.ToString();
                if (language.StartsWith("en", StringComparison.OrdinalIgnoreCase)) return Task.FromResult<ProviderCultureResult?>(new("en-US"));
                if (language.StartsWith("zh", StringComparison.OrdinalIgnoreCase)) return Task.FromResult<ProviderCultureResult?>(new("zh-CN"));
                return Task.FromResult<ProviderCultureResult?>(null);
            })));
        return services;
    }
}
