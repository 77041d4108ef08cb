namespace CodeRunner.Sandbox.Environments;

/// <summary>An environment name the UI must reject; <see cref="Value"/> is what the user typed.</summary>
public sealed class InvalidEnvironmentNameException(string value)
    : ArgumentException($"invalid environment name '{value}': 2-48 characters, a letter first, then letters, digits, '_' or '-'")
{
    public string Value { get; } = value;
}

/// <summary>A package spec that is not a plain PEP 508 name with an optional version (no options, URLs, paths or shell syntax).</summary>
public sealed class InvalidPackageSpecException(string value, string reason)
    : ArgumentException($"invalid package spec '{value}': {reason}")
{
    public string Value { get; } = value;
}

public sealed class InvalidPythonVersionException(string value)
    : ArgumentException($"invalid Python version '{value}': expected e.g. 3.11 or 3.11.4")
{
    public string Value { get; } = value;
}

public sealed class EnvironmentNotFoundException(string name) : InvalidOperationException($"environment '{name}' does not exist")
{
    public string Name { get; } = name;
}

public sealed class EnvironmentAlreadyExistsException(string name) : InvalidOperationException($"environment '{name}' already exists")
{
    public string Name { get; } = name;
}

/// <summary>The environment tool (pip, venv, conda) failed; the log lines streamed before say why.</summary>
public sealed class EnvironmentOperationException(string message, int? exitCode) : InvalidOperationException(message)
{
    public int? ExitCode { get; } = exitCode;
}
