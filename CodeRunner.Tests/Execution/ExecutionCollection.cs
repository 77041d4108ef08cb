namespace CodeRunner.Tests.Execution;

/// <summary>
/// The Execution test classes run one after another: each hosts its own app with real sandboxed runs, and on two
/// cores running them side by side only makes every run's wall clock (and its timeout) less predictable.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ExecutionCollection
{
    public const string Name = "Execution";
}
