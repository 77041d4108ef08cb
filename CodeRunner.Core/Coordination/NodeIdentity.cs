using Microsoft.Extensions.Configuration;

namespace CodeRunner.Core.Coordination;

/// <summary>
/// This web node's name (Node:Name, default the machine name). Runs record it, so a node restarting after a crash
/// fails only its own interrupted runs, not the live runs of the other nodes on the same database.
/// </summary>
public sealed class NodeIdentity
{
    public const int MaxNameLength = 64;

    public NodeIdentity(string name)
    {
        name = name.Trim();
        Name = name.Length > MaxNameLength ? name[..MaxNameLength] : name;
    }

    public string Name { get; }

    public static NodeIdentity From(IConfiguration configuration) =>
        new(string.IsNullOrWhiteSpace(configuration["Node:Name"]) ? Environment.MachineName : configuration["Node:Name"]!);
}
