using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Web.Localization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CodeRunner.Web.Api;

public static class ApiEndpoints
{
    public const string OpenApiPath = "/api/openapi/{documentName}.json";
    public const string DocsPath = "api/docs";

    /// <summary>GET /health (database check, JSON), the REST API under /api/v1, its OpenAPI document and docs page.</summary>
    public static WebApplication MapCodeRunnerApi(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();

        // These run after UseCodeRunnerPipeline's authorization, so they see the API key's principal
        // (the rate limiter runs earlier, see WebSecurity.UseRequestThrottling).
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1"), api =>
        {
            api.UseMiddleware<ApiRequestProblems>();
            api.UseMiddleware<ApiBodySizeMiddleware>();
            api.UseMiddleware<ApiAuditMiddleware>();
        });
        // Swagger UI's page loads only its own scripts from 'self', so the global CSP needs no exception.
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = DocsPath;
            options.DocumentTitle = "CodeRunner API";
            options.SwaggerEndpoint("/api/openapi/v1.json", "CodeRunner API v1");
        });
        app.MapOpenApi(OpenApiPath).AllowAnonymous();

        var v1 = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiServiceCollectionExtensions.Policy)
            .RequireRateLimiting(ApiServiceCollectionExtensions.RateLimitPolicy)
            .AddEndpointFilter<ApiErrorFilter>()
            .AddEndpointFilter<ApiQuotaFilter>()
            .WithTags("CodeRunner")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        v1.MapPost("/execute", ExecuteAsync)
            .WithName("Execute")
            .WithSummary("Run Python code (or a saved snippet) and return its output.")
            .Accepts<ExecuteRequest>("application/json")
            .Produces<ExecuteResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        v1.MapGet("/codes", ListCodesAsync)
            .WithName("ListCodes")
            .WithSummary("My snippets and everyone's public snippets, newest change first.");
        v1.MapGet("/codes/{id:int}", GetCodeAsync)
            .WithName("GetCode")
            .WithSummary("One snippet with its code.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> ExecuteAsync(
        ExecuteRequest body, HttpContext http, SnippetService snippets, IExecutionService executions, IOptions<ExecutionOptions> limits, ErrorMessages messages, CancellationToken cancellationToken)
    {
        var actor = ApiPrincipal.User(http);
        var errors = Validate(body, limits.Value, messages);
        if (errors.Count > 0)
            return Results.ValidationProblem(errors, detail: messages["api.invalid_request"], statusCode: StatusCodes.Status422UnprocessableEntity,
                extensions: new Dictionary<string, object?> { ["code"] = "api.invalid_request" });

        var request = new ExecutionRequest { Code = body.Code, EnvironmentName = body.Environment, Stdin = body.Stdin };
        if (body.SnippetId is { } snippetId)
        {
            var snippet = await snippets.GetAsync(actor, snippetId, cancellationToken);
            request = request with { Code = snippet.Code, SnippetId = snippet.Id, EnvironmentName = body.Environment ?? snippet.EnvironmentName };
        }

        var outcome = await executions.RunAsync(actor, request, ExecutionOrigin.Api, cancellationToken);
        var result = outcome.Result;
        return TypedResults.Ok(new ExecuteResponse(outcome.ExecutionId, outcome.StatusName, outcome.Stdout, outcome.Stderr, result.ExitCode,
            result.WallMs, result.CpuMs, Math.Round(result.PeakMemoryMb, 1), result.OutputTruncated));
    }

    /// <summary>The request's shape, with the same configured limits the execution service applies (Execution:MaxCodeBytes / MaxStdinBytes).</summary>
    private static Dictionary<string, string[]> Validate(ExecuteRequest body, ExecutionOptions limits, ErrorMessages messages)
    {
        var errors = new Dictionary<string, string[]>();
        var hasCode = !string.IsNullOrWhiteSpace(body.Code);
        if (hasCode == body.SnippetId.HasValue)
            errors["code"] = [messages["api.code_or_snippet_required"]];
        if (body.Code is not null && System.Text.Encoding.UTF8.GetByteCount(body.Code) > limits.MaxCodeBytes)
            errors["code"] = [string.Format(System.Globalization.CultureInfo.CurrentCulture, messages["library.code_too_large"], limits.MaxCodeBytes / 1024)];
        if (body.Stdin is not null && System.Text.Encoding.UTF8.GetByteCount(body.Stdin) > limits.MaxStdinBytes)
            errors["stdin"] = [string.Format(System.Globalization.CultureInfo.CurrentCulture, messages["api.stdin_too_large"], limits.MaxStdinBytes / 1024)];
        if (body.Environment is { } env && !EnvironmentNames.IsWellFormedReference(env))
            errors["environment"] = [messages["api.environment_invalid"]];
        return errors;
    }

    private static async Task<Ok<CodePage>> ListCodesAsync(HttpContext http, SnippetQueries queries, CancellationToken cancellationToken,
        int page = 1, [FromQuery(Name = "page_size")] int pageSize = 20, string? search = null, string? tag = null)
    {
        var actor = ApiPrincipal.User(http);
        var result = await queries.AccessibleAsync(actor, new SnippetQuery(search, tag, page, pageSize), cancellationToken);
        return TypedResults.Ok(new CodePage(result.Items.Select(s => CodeSummary.From(s, actor.Id)).ToList(), result.TotalCount, result.Page, result.PageSize));
    }

    private static async Task<Ok<CodeDetail>> GetCodeAsync(int id, HttpContext http, SnippetService snippets, CancellationToken cancellationToken)
    {
        var actor = ApiPrincipal.User(http);
        return TypedResults.Ok(CodeDetail.From(await snippets.GetAsync(actor, id, cancellationToken), actor.Id));
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}

/// <summary>
/// Refuses bodies over Api:MaxBodyBytes with 413 before anything parses them. A body without Content-Length
/// (chunked) is read here, bounded, so its size is known before binding.
/// </summary>
public sealed class ApiBodySizeMiddleware(RequestDelegate next, IOptions<ApiOptions> options)
{
    public async Task InvokeAsync(HttpContext context, ErrorMessages messages)
    {
        var max = options.Value.MaxBodyBytes;
        if (context.Request.ContentLength > max)
        {
            await TooLargeAsync(context, messages, max);
            return;
        }
        var limit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = max;

        if (context.Request.ContentLength is null && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            var buffered = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffered.Length + read > max)
                {
                    await TooLargeAsync(context, messages, max);
                    return;
                }
                buffered.Write(chunk, 0, read);
            }
            buffered.Position = 0;
            context.Request.Body = buffered;
            context.Request.ContentLength = buffered.Length;
        }
        await next(context);
    }

    private static Task TooLargeAsync(HttpContext context, ErrorMessages messages, long max) =>
        Results.Problem(detail: string.Format(System.Globalization.CultureInfo.CurrentCulture, messages["api.body_too_large"], max / 1024),
            statusCode: StatusCodes.Status413PayloadTooLarge,
            extensions: new Dictionary<string, object?> { ["code"] = "api.body_too_large" }).ExecuteAsync(context);
}
