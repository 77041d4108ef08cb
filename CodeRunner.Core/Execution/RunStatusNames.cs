using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Core.Execution;

public static class RunStatusNames
{
    /// <summary>The stored status name (<see cref="ExecutionStatus"/>) of a sandbox outcome.</summary>
    public static string Of(RunStatus status) => status switch
    {
        RunStatus.Success => ExecutionStatus.Success,
        RunStatus.Error => ExecutionStatus.Error,
        RunStatus.Timeout => ExecutionStatus.Timeout,
        RunStatus.MemoryLimit => ExecutionStatus.MemoryLimit,
        RunStatus.OutputLimit => ExecutionStatus.OutputLimit,
        RunStatus.Cancelled => ExecutionStatus.Cancelled,
        RunStatus.DiskLimit => ExecutionStatus.DiskLimit,
        _ => ExecutionStatus.Error,
    };
}
