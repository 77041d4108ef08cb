using CodeRunner.Core.Execution;

namespace CodeRunner.Web.Components.Pages.Run;

/// <summary>A history table row (BootstrapBlazor's Table wants a settable class with a parameterless constructor).</summary>
public sealed class HistoryRow
{
    public long Id { get; set; }
    public string? UserName { get; set; }
    public string Status { get; set; } = "";
    public int? ExitCode { get; set; }
    public long DurationMs { get; set; }
    public double PeakMemoryMb { get; set; }
    public string EnvironmentName { get; set; } = "";
    public bool IsApiCall { get; set; }
    public DateTime CreatedAt { get; set; }
    public string CodePreview { get; set; } = "";

    public static HistoryRow From(ExecutionSummary s) => new()
    {
        Id = s.Id, UserName = s.UserName, Status = s.Status, ExitCode = s.ExitCode, DurationMs = s.DurationMs, PeakMemoryMb = s.PeakMemoryMb,
        EnvironmentName = s.EnvironmentName, IsApiCall = s.IsApiCall, CreatedAt = s.CreatedAt, CodePreview = s.CodePreview,
    };
}
