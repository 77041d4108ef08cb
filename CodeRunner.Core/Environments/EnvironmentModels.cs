namespace CodeRunner.Core.Environments;

/// <summary>One environment as the pages show it. The base environment has <see cref="IsBase"/> and no owner.</summary>
public sealed record EnvironmentSummary
{
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public string? Description { get; init; }
    public required string PythonVersion { get; init; }
    public string? OwnerId { get; init; }
    /// <summary>Owner's user name; empty for the base environment.</summary>
    public string OwnerUserName { get; init; } = "";
    public bool IsPublic { get; init; }
    public bool IsActive { get; init; } = true;
    public bool IsBase { get; init; }
    /// <summary>The acting user may change it (owner or admin; never the base environment).</summary>
    public bool CanEdit { get; init; }
    public bool IsMine { get; init; }
    /// <summary>Null when it could not be counted (e.g. the environment is being changed).</summary>
    public int? PackageCount { get; init; }
    public long? DiskBytes { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; init; }
    /// <summary>Create/install/uninstall/upgrade is running on it now.</summary>
    public bool IsBusy { get; init; }
}

/// <summary>What the create form sends. <see cref="SpecFileName"/> is environment.yml/.yaml or requirements.txt.</summary>
public sealed record EnvironmentCreateRequest
{
    public required string Name { get; init; }
    public string? DisplayName { get; init; }
    public string? Description { get; init; }
    public required string PythonVersion { get; init; }
    public IReadOnlyList<string> Packages { get; init; } = [];
    public string? SpecFileName { get; init; }
    public string? SpecFileContent { get; init; }
    public bool IsPublic { get; init; }
}

/// <summary>Editable metadata.</summary>
public sealed record EnvironmentEdit(string DisplayName, string? Description, bool IsPublic);

/// <summary>What a run needs to use an environment: the interpreter to start and the prefix to bind (null = base).</summary>
public sealed record ResolvedEnvironment(string Name, string InterpreterPath, string? Prefix);

/// <summary>The admin view's header: backend in use and disk used by all environments.</summary>
public sealed record EnvironmentBackendOverview(string Kind, string ToolPath, string Version, string EnvironmentsRoot, long TotalDiskBytes, int EnvironmentCount);

/// <summary>An environment a run may use, for the run page's picker (no package counting, so it is cheap).</summary>
public sealed record EnvironmentChoice(string Name, string DisplayName, string PythonVersion, string OwnerUserName, bool IsMine, bool IsBase);
