namespace CodeRunner.Tests.Execution;

/// <summary>
/// The Execution test classes run one after another: each hosts its own app, and BootstrapBlazor keeps a
/// process-wide cache holding one app's service provider, so an app disposed by one class breaks the pages of an
/// app another class is still using.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ExecutionCollection
{
    public const string Name = "Execution";
}
