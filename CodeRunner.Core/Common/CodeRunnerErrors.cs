namespace CodeRunner.Core.Common;

/// <summary>
/// An error a user can be told about. <see cref="Code"/> is a stable key that the web layer
/// localizes (zh-CN / en-US resources, see Web/Resources/ErrorMessages); <see cref="Arguments"/>
/// fill its placeholders. The exception message is English, for logs.
/// </summary>
public abstract class CodeRunnerError(string code, string message, params object[] arguments) : Exception(message)
{
    public string Code { get; } = code;
    public object[] Arguments { get; } = arguments;
}

public sealed class NotFoundError(string resourceType, object id)
    : CodeRunnerError("not_found", $"{resourceType} {id} was not found.", resourceType, id)
{
    public string ResourceType { get; } = resourceType;
}

public sealed class ForbiddenError(string? reason = null)
    : CodeRunnerError("forbidden", reason ?? "You are not allowed to do this.");

/// <summary>Bad input; <see cref="Field"/> names the field when there is one.</summary>
public sealed class ValidationError(string code, string? field, string message, params object[] arguments)
    : CodeRunnerError(code, message, arguments)
{
    public string? Field { get; } = field;
}

/// <summary>A tier limit or daily quota is used up.</summary>
public sealed class QuotaExceededError(string code, string message, int limit, int used, DateTime resetsAtUtc)
    : CodeRunnerError(code, message, limit, used, resetsAtUtc)
{
    public int Limit { get; } = limit;
    public int Used { get; } = used;
    public DateTime ResetsAtUtc { get; } = resetsAtUtc;
}

/// <summary>The request conflicts with the current state (e.g. deleting an environment in use).</summary>
public sealed class ConflictError(string code, string message, params object[] arguments)
    : CodeRunnerError(code, message, arguments);
