namespace CodeRunner.Core.Execution;

public static class ExecutionStatus
{
    public const string Running = "running";
    public const string Success = "success";
    public const string Error = "error";
    public const string Timeout = "timeout";
    public const string MemoryLimit = "memory_limit";
    public const string OutputLimit = "output_limit";
    /// <summary>The run filled its disk quota or file count (work dir, /tmp and /dev/shm together).</summary>
    public const string DiskLimit = "disk_limit";
    public const string Cancelled = "cancelled";
    /// <summary>The server stopped while the run was going; set at the next start.</summary>
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Running, Success, Error, Timeout, MemoryLimit, OutputLimit, DiskLimit, Cancelled, Failed];
}

/// <summary>One run of a program, from the page or the REST API.</summary>
public class CodeExecution
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Code { get; set; }
    /// <summary>Combined output, capped.</summary>
    public string Output { get; set; } = "";
    public string Status { get; set; } = ExecutionStatus.Running;
    public int? ExitCode { get; set; }
    public long DurationMs { get; set; }
    public long CpuMs { get; set; }
    public double PeakMemoryMb { get; set; }
    public bool OutputTruncated { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public bool IsApiCall { get; set; }
    public int? SnippetId { get; set; }
    public string EnvironmentName { get; set; } = "base";
    /// <summary>Where artifacts of this run are kept (under data/runs), null when none.</summary>
    public string? ArtifactDirectory { get; set; }
    /// <summary>The web node that ran it (Node:Name); at its next start a node fails only its own interrupted runs.</summary>
    public string? Node { get; set; }
}
