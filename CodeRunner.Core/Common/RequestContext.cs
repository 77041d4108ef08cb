namespace CodeRunner.Core.Common;

/// <summary>Where an action came from, for the audit log. The web layer fills it per request/circuit.</summary>
public sealed class RequestContext
{
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
}
