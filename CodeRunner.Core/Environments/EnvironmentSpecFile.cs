using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>
/// Reads an uploaded requirements.txt or environment.yml into plain package specs, which the
/// backends validate again. Only the dependency list of environment.yml is used (channels come from
/// the admin's package sources), so a file cannot point pip or conda somewhere else.
/// </summary>
public static class EnvironmentSpecFile
{
    public const int MaxBytes = 64 * 1024;
    public const string Field = "specFile";

    public static bool IsRequirements(string fileName) => fileName.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    public static bool IsCondaYaml(string fileName) =>
        fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Package specs of the file; <paramref name="pipStyle"/> turns conda's "numpy=1.26" into "numpy==1.26".</summary>
    public static IReadOnlyList<string> Parse(string fileName, string content, bool pipStyle)
    {
        if (content.Length > MaxBytes)
            throw new ValidationError("environments.spec_file_too_large", Field, $"The file is larger than {MaxBytes / 1024} KB.", MaxBytes / 1024);
        if (content.Contains('\0'))
            throw new ValidationError("environments.spec_file_not_text", Field, "The file is not a text file.");
        IReadOnlyList<string> specs = IsRequirements(fileName) ? RequirementLines(content)
            : IsCondaYaml(fileName) ? YamlDependencies(content, pipStyle)
            : throw new ValidationError("environments.spec_file_type", Field, "Upload an environment.yml or a requirements.txt.", fileName);
        return EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpecs(specs), Field);
    }

    private static List<string> RequirementLines(string content) =>
        content.Split('\n').Select(line => line.Split('#')[0].Trim()).Where(line => line.Length > 0).ToList();

    /// <summary>The "dependencies:" list, including its "- pip:" sub-list; python and pip themselves are skipped.</summary>
    private static List<string> YamlDependencies(string content, bool pipStyle)
    {
        var specs = new List<string>();
        var inDependencies = false;
        var inPip = false;
        var pipIndent = -1;
        foreach (var raw in content.Split('\n'))
        {
            var line = raw.Split('#')[0].TrimEnd('\r', ' ', '\t');
            if (line.Trim().Length == 0) continue;
            var indent = line.Length - line.TrimStart().Length;
            var text = line.Trim();
            if (indent == 0 && !text.StartsWith('-'))
            {
                inDependencies = text.StartsWith("dependencies:", StringComparison.Ordinal);
                inPip = false;
                continue;
            }
            if (!inDependencies || !text.StartsWith('-')) continue;
            var item = text[1..].Trim().Trim('"', '\'');
            if (inPip && indent <= pipIndent) inPip = false;
            if (item.Equals("pip:", StringComparison.Ordinal))
            {
                inPip = true;
                pipIndent = indent;
                continue;
            }
            if (item.Length == 0) continue;
            if (!inPip)
            {
                var name = item.Split('=', '<', '>', '!', '~', ' ')[0];
                if (name.Equals("python", StringComparison.OrdinalIgnoreCase) || name.Equals("pip", StringComparison.OrdinalIgnoreCase)) continue;
                if (pipStyle) item = CondaToPip(item);
            }
            specs.Add(item);
        }
        return specs;
    }

    /// <summary>conda's single "=" (numpy=1.26) means a version prefix; pip spells it ==1.26.*.</summary>
    private static string CondaToPip(string spec)
    {
        var index = spec.IndexOf('=');
        if (index <= 0 || index + 1 >= spec.Length) return spec;
        var before = spec[index - 1];
        var after = spec[index + 1];
        if (before is '=' or '<' or '>' or '!' or '~' || after == '=') return spec;
        var version = spec[(index + 1)..].Split('=')[0];
        return $"{spec[..index]}=={version}{(version.Contains('*') ? "" : ".*")}";
    }
}
