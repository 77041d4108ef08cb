using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Routing.Template;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Tiers;
using CodeRunner.Web.Localization;

namespace CodeRunner.Web.Api;

/// <summary>
/// The one place where Core errors become HTTP: an endpoint filter on the /api/v1 group turns every
/// <see cref="CodeRunnerError"/> into an RFC 7807 problem with the error's stable code and localized sentence.
/// </summary>
public sealed class ApiErrorFilter(ErrorMessages messages, ILogger<ApiErrorFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (CodeRunnerError error)
        {
            logger.LogInformation("API call {Path} refused: {Code}", context.HttpContext.Request.Path, error.Code);
            return ToResult(error, context.HttpContext, messages);
        }
    }

    public static IResult ToResult(CodeRunnerError error, HttpContext http, ErrorMessages messages)
    {
        var detail = messages.Describe(error);
        var extensions = new Dictionary<string, object?> { ["code"] = error.Code };
        switch (error)
        {
            case ValidationError v:
                return Results.ValidationProblem(
                    new Dictionary<string, string[]> { [v.Field ?? "request"] = [detail] },
                    detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity, extensions: extensions);
            case QuotaExceededError q:
                if (q.ResetsAtUtc != DateTime.MaxValue)
                {
                    WriteRateLimitHeaders(http, q.Limit, 0, q.ResetsAtUtc);
                    http.Response.Headers.RetryAfter = http.RequestServices.GetRequiredService<QuotaDay>().SecondsUntil(q.ResetsAtUtc).ToString(CultureInfo.InvariantCulture);
                    extensions["limit"] = q.Limit;
                    extensions["resets_at"] = q.ResetsAtUtc;
                    return Results.Problem(detail: detail, statusCode: StatusCodes.Status429TooManyRequests, extensions: extensions);
                }
                extensions["limit"] = q.Limit;
                return Results.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, extensions: extensions);
            case NotFoundError:
                return Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, extensions: extensions);
            case ForbiddenError:
                return Results.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, extensions: extensions);
            case ConflictError:
                return Results.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, extensions: extensions);
            default:
                return Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, extensions: extensions);
        }
    }

    public static void WriteRateLimitHeaders(HttpContext http, int limit, int remaining, DateTime resetsAtUtc)
    {
        var headers = http.Response.Headers;
        headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = new DateTimeOffset(DateTime.SpecifyKind(resetsAtUtc, DateTimeKind.Utc)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Takes one call from the user's daily API quota before the endpoint runs, and reports what is left in headers.</summary>
public sealed class ApiQuotaFilter(QuotaService quotas) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var user = ApiPrincipal.User(http);
        var status = await quotas.TryConsumeApiCallAsync(user, http.RequestAborted);
        if (status.Limit is { } limit) ApiErrorFilter.WriteRateLimitHeaders(http, limit, status.Remaining ?? 0, status.ResetsAtUtc);
        return await next(context);
    }
}

/// <summary>
/// Records every authenticated API call in the audit log with the key's name (never its secret) and the response status;
/// a usage record, written after the response (<see cref="AuditService.RecordUsage"/>).
/// </summary>
public sealed class ApiAuditMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, AuditService audit)
    {
        await next(context);
        if (ApiPrincipal.KeyId(context) is not { } keyId) return;
        var user = UserRef.FromPrincipal(context.User);
        var status = context.Response.StatusCode;
        audit.RecordUsage(user, "api.call", "apikey", keyId,
            new { key = ApiPrincipal.KeyName(context), method = context.Request.Method, path = context.Request.Path.Value, status },
            status < 400 ? AuditStatus.Success : status == 429 ? AuditStatus.Warning : AuditStatus.Error);
    }
}

/// <summary>
/// Every refusal the framework makes before an endpoint runs becomes a problem with a stable code: body binding
/// failures (malformed JSON, wrong types, lone surrogates, missing body), bad query values, a wrong content type,
/// and the empty 404/405/413 that routing and the server would otherwise send.
/// </summary>
public sealed class ApiRequestProblems(RequestDelegate next, ILogger<ApiRequestProblems> logger)
{
    public async Task InvokeAsync(HttpContext context, ErrorMessages messages)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            logger.LogInformation("API call {Path} refused before the endpoint: {Message}", context.Request.Path, error.Message);
            context.Response.Clear();
            var (status, code, argument) = Classify(error, context.Request);
            await WriteAsync(context, messages, status, code, argument);
            return;
        }
        if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null
            && context.Response.ContentLength is null or 0)
        {
            // Routing answers 404 rather than 405 here: the static-assets fallback route accepts every method.
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && AllowedMethods(context) is { Count: > 0 } allowed)
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = string.Join(", ", allowed);
            }
            var code = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "api.not_found",
                StatusCodes.Status405MethodNotAllowed => "api.method_not_allowed",
                StatusCodes.Status413PayloadTooLarge => "api.body_too_large",
                StatusCodes.Status415UnsupportedMediaType => "api.unsupported_media_type",
                _ => "api.bad_request",
            };
            await WriteAsync(context, messages, context.Response.StatusCode, code, Argument(code, context));
        }
    }

    /// <summary>The methods of the API endpoints whose route matches this request's path.</summary>
    private static List<string> AllowedMethods(HttpContext context)
    {
        var allowed = new List<string>();
        foreach (var endpoint in context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods || endpoint.RoutePattern.RawText is not { } pattern
                || !pattern.StartsWith("/api/v1/", StringComparison.Ordinal))
                continue;
            var matcher = new TemplateMatcher(TemplateParser.Parse(pattern), new RouteValueDictionary());
            if (matcher.TryMatch(context.Request.Path, new RouteValueDictionary())) allowed.AddRange(methods.HttpMethods);
        }
        return allowed.Distinct().ToList();
    }

    private static (int Status, string Code, object? Argument) Classify(BadHttpRequestException error, HttpRequest request) => error switch
    {
        { StatusCode: StatusCodes.Status415UnsupportedMediaType } => (415, "api.unsupported_media_type", null),
        { StatusCode: StatusCodes.Status413PayloadTooLarge } => (413, "api.body_too_large", null),
        { InnerException: JsonException json } => (400, "api.invalid_json", json.Path ?? "$"),
        _ when request.ContentLength is null or 0 && !HttpMethods.IsGet(request.Method) => (400, "api.body_required", null),
        _ => (400, "api.invalid_parameter", null),
    };

    private static object? Argument(string code, HttpContext context) => code switch
    {
        "api.method_not_allowed" => context.Request.Method,
        _ => null,
    };

    private static async Task WriteAsync(HttpContext context, ErrorMessages messages, int status, string code, object? argument)
    {
        var template = messages[code];
        var detail = code == "api.body_too_large"
            ? string.Format(CultureInfo.CurrentCulture, template, context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value.MaxBodyBytes / 1024)
            : string.Format(CultureInfo.CurrentCulture, template, argument);
        context.Response.StatusCode = status;
        await Results.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code })
            .ExecuteAsync(context);
    }
}
