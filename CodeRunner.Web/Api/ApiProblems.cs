using System.Globalization;
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
        await quotas.TryConsumeApiCallAsync(user, http.RequestAborted);
        var status = await quotas.GetStatusAsync(user, QuotaKind.ApiCalls, http.RequestAborted);
        if (status.Limit is { } limit) ApiErrorFilter.WriteRateLimitHeaders(http, limit, status.Remaining ?? 0, status.ResetsAtUtc);
        return await next(context);
    }
}

/// <summary>Records every authenticated API call in the audit log with the key's name (never its secret) and the response status.</summary>
public sealed class ApiAuditMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, AuditService audit)
    {
        await next(context);
        if (ApiPrincipal.KeyId(context) is not { } keyId) return;
        var user = UserRef.FromPrincipal(context.User);
        var status = context.Response.StatusCode;
        await audit.RecordAsync(user, "api.call", "apikey", keyId,
            new { key = ApiPrincipal.KeyName(context), method = context.Request.Method, path = context.Request.Path.Value, status },
            status < 400 ? AuditStatus.Success : status == 429 ? AuditStatus.Warning : AuditStatus.Error, CancellationToken.None);
    }
}
