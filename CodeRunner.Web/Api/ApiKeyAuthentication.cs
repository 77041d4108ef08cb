using System.Security.Claims;
using System.Text.Encodings.Web;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Web.Localization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CodeRunner.Web.Api;

/// <summary>
/// Authenticates REST API calls by `Authorization: Bearer sk-…` or `X-API-Key: sk-…`. The key is looked up on
/// every request (no cache), so disabling or deleting it takes effect on the next call.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyService keys, AuditService audit, ApiAuthFailureLog failureLog, ErrorMessages errors)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-API-Key";
    public const string KeyIdClaim = "coderunner:api_key_id";
    public const string KeyNameClaim = "coderunner:api_key_name";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = ReadSecret(Request);
        if (secret is null) return AuthenticateResult.NoResult();

        var identity = await keys.AuthenticateAsync(secret, Context.RequestAborted);
        if (identity is null)
        {
            // One row per client per window, not one per request: a stream of bad keys must not grow the log without bound.
            // Never the secret, not even part of it.
            if (failureLog.TakeRecordSlot(Context.Connection.RemoteIpAddress?.ToString()) is { } notRecordedBefore)
                await audit.RecordAsync(null, null, "api.auth_failed", "apikey", null,
                    new { path = Request.Path.Value, method = Request.Method, earlier_failures_not_recorded = notRecordedBefore },
                    AuditStatus.Error, Context.RequestAborted);
            return AuthenticateResult.Fail("Invalid API key.");
        }

        var user = identity.User;
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.UserName),
            new(UserRef.LevelClaim, user.Level.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(KeyIdClaim, identity.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(KeyNameClaim, identity.KeyName),
        };
        if (user.IsAdmin) claims.Add(new Claim(ClaimTypes.Role, UserRef.AdminRole));
        // A temporary password must be changed before the account is used, by the API too (PasswordChangeGate refuses it).
        if (identity.MustChangePassword) claims.Add(new Claim(CodeRunnerClaimsFactory.MustChangePasswordClaim, "1"));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"CodeRunner API\"";
        await Results.Problem(statusCode: 401, title: errors["api.unauthorized.title"], detail: errors["api.unauthorized"],
            extensions: new Dictionary<string, object?> { ["code"] = "api.unauthorized" }).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var code = Context.User.HasClaim(c => c.Type == CodeRunnerClaimsFactory.MustChangePasswordClaim) ? "account.must_change_password" : "forbidden";
        await Results.Problem(statusCode: 403, detail: errors[code],
            extensions: new Dictionary<string, object?> { ["code"] = code }).ExecuteAsync(Context);
    }

    /// <summary>The presented secret from either header, or null when none was sent.</summary>
    public static string? ReadSecret(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        var header = request.Headers[HeaderName].ToString();
        return string.IsNullOrWhiteSpace(header) ? null : header.Trim();
    }
}

/// <summary>Reads the acting user and key of an authenticated API call.</summary>
public static class ApiPrincipal
{
    public static UserRef User(HttpContext context) =>
        UserRef.FromPrincipal(context.User) ?? throw new InvalidOperationException("The API call is not authenticated.");

    public static string? KeyName(HttpContext context) => context.User.FindFirst(ApiKeyAuthenticationHandler.KeyNameClaim)?.Value;

    public static string? KeyId(HttpContext context) => context.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value;
}

/// <summary>
/// Decides which failed API-key authentications reach the audit log: the first from a client in each
/// <see cref="Window"/>, carrying how many were folded into it since the previous row. Memory is bounded.
/// </summary>
public sealed class ApiAuthFailureLog(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private const int MaxClients = 10_000;
    private readonly Dictionary<string, (DateTimeOffset WindowEnds, int NotRecorded)> clients = new();

    /// <summary>Null when this failure is only counted; otherwise the number of failures not recorded before it.</summary>
    public int? TakeRecordSlot(string? client)
    {
        var key = client ?? "unknown";
        var now = clock.GetUtcNow();
        lock (clients)
        {
            if (clients.TryGetValue(key, out var entry) && entry.WindowEnds > now)
            {
                clients[key] = entry with { NotRecorded = entry.NotRecorded + 1 };
                return null;
            }
            if (clients.Count >= MaxClients) clients.Clear();
            clients[key] = (now + Window, 0);
            return entry.NotRecorded;
        }
    }
}
