using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>Turns the sandbox's typed environment exceptions into localizable Core errors.</summary>
public static class EnvironmentErrors
{
    public static T Translate<T>(Func<T> action, string specField = "spec")
    {
        try
        {
            return action();
        }
        catch (Exception exception) when (ToCoreError(exception, specField) is { } error)
        {
            throw error;
        }
    }

    public static CodeRunnerError? ToCoreError(Exception exception, string specField = "spec") => exception switch
    {
        InvalidEnvironmentNameException e => new ValidationError("environments.invalid_name", "name", e.Message, e.Value),
        InvalidPackageSpecException e => new ValidationError("environments.invalid_spec", specField, e.Message, e.Value),
        InvalidPythonVersionException e => new ValidationError("environments.invalid_python_version", "pythonVersion", e.Message, e.Value),
        EnvironmentAlreadyExistsException e => new ConflictError("environments.name_taken", e.Message, e.Name),
        EnvironmentNotFoundException e => new NotFoundError("environment", e.Name),
        EnvironmentOperationException e => new ConflictError("environments.operation_failed", e.Message, e.Message),
        _ => null,
    };
}
